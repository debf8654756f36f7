"""satcfdi's own CFDI parser over a package's first N documents; run by ``cfdi_summaries.py``.

    benchmarks/.venv-peers/bin/python benchmarks/_peer_cfdi.py PACKAGE.zip N

Runs in the peers venv (no sat_zeep there). For each ``*.xml`` entry: ``CFDI.from_string`` and
the fields ``CfdiSummary`` holds (UUID, Version, Emisor/Receptor Rfc and Nombre, Fecha,
FechaTimbrado, SubTotal, Total, Moneda, TipoDeComprobante, complement names). Prints one JSON
line: documents, seconds (reading + parsing + fields, not the imports), satcfdi version, and the
UUIDs' sum of lengths (a cheap check that the fields were really read).
"""

from __future__ import annotations

import json
import sys
import time
import zipfile
from importlib.metadata import version
from typing import Any


def main() -> None:
    from satcfdi.cfdi import CFDI

    path, limit = sys.argv[1], int(sys.argv[2])
    began = time.perf_counter()
    documents = 0
    check = 0
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            if documents >= limit:
                break
            if not info.filename.lower().endswith(".xml"):
                continue
            cfdi: Any = CFDI.from_string(package.read(info))
            timbre = cfdi["Complemento"]["TimbreFiscalDigital"]
            fields = (
                str(timbre["UUID"]).upper(),
                cfdi["Version"],
                cfdi["Emisor"]["Rfc"],
                cfdi["Emisor"].get("Nombre"),
                cfdi["Receptor"]["Rfc"],
                cfdi["Receptor"].get("Nombre"),
                cfdi["Fecha"],
                timbre["FechaTimbrado"],
                cfdi.get("SubTotal"),
                cfdi["Total"],
                cfdi.get("Moneda"),
                cfdi.get("TipoDeComprobante"),
                tuple(cfdi["Complemento"].keys()),
            )
            check += len(fields[0])
            documents += 1
    seconds = time.perf_counter() - began
    sys.stdout.write(
        json.dumps(
            {
                "documents": documents,
                "seconds": seconds,
                "version": version("satcfdi"),
                "check": check,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
