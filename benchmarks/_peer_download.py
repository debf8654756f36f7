"""A peer library's own Descargar, pointed at the fake SAT; run by ``download_throughput.py``.

    benchmarks/.venv-peers/bin/python benchmarks/_peer_download.py --child cfdiclient --spec F

Runs in the peers venv (no sat_zeep there): only the standard library, the peer and ``_common``
(standard library only) are imported.
The spec (JSON) names the fake SAT's base URL, the e.firma files, a token obtained by the parent
(``token``) and the package. Prints one JSON line with the same figures as
``download_throughput.child`` (``_common.measure``): bytes, seconds, CPU, RSS before, peak RSS.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _common import measure


def _descarga_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/cfdi/DescargaMasivaService.svc"


def cfdiclient_download(spec: dict[str, Any]) -> dict[str, Any]:
    """``cfdiclient.DescargaMasiva.descargar_paquete`` (returns the base64 text), then decode."""
    from cfdiclient import DescargaMasiva, Fiel

    fiel = Fiel(
        Path(spec["cer"]).read_bytes(),
        Path(spec["key"]).read_bytes(),
        Path(spec["password"]).read_text(),
    )
    descarga = DescargaMasiva(fiel, timeout=3600)
    descarga.soap_url = _descarga_url(spec["base_url"])

    def run() -> int:
        answer = descarga.descargar_paquete(spec["token"], spec["rfc"], spec["id_paquete"])
        if answer["cod_estatus"] != "5000" or not answer["paquete_b64"]:
            raise RuntimeError(f"refused: {answer['cod_estatus']} {answer['mensaje']}")
        return len(base64.b64decode(answer["paquete_b64"]))

    return measure(run)


def satcfdi_download(spec: dict[str, Any]) -> dict[str, Any]:
    """``satcfdi.pacs.sat.SAT.recover_comprobante_download`` (base64 text), then decode."""
    from satcfdi.models import Signer
    from satcfdi.pacs import sat as satmodule

    signer = Signer.load(
        certificate=Path(spec["cer"]).read_bytes(),
        key=Path(spec["key"]).read_bytes(),
        password=Path(spec["password"]).read_text(),
    )
    satmodule._CFDIDescargaMasiva.soap_url = _descarga_url(spec["base_url"])
    client = satmodule.SAT(signer=signer)
    client.token_comprobante = {
        "AutenticaResult": spec["token"],
        "Expires": datetime.utcnow() + timedelta(minutes=4),
    }

    def run() -> int:
        status, paquete = client.recover_comprobante_download(spec["id_paquete"])
        if status.get("CodEstatus") != "5000" or not paquete:
            raise RuntimeError(f"refused: {status}")
        return len(base64.b64decode(paquete))

    return measure(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--child", required=True, choices=("cfdiclient", "satcfdi"))
    parser.add_argument("--spec", type=Path, required=True)
    options = parser.parse_args()
    spec = json.loads(options.spec.read_text())
    run = cfdiclient_download if options.child == "cfdiclient" else satcfdi_download
    sys.stdout.write(json.dumps(run(spec)) + "\n")


if __name__ == "__main__":
    main()
