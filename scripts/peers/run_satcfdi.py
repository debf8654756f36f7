"""Drive the ``satcfdi`` peer client (python-satcfdi) against the fake SAT.

Run with a venv that holds ``satcfdi`` (the fake SAT itself runs from the project venv)::

    python -m venv /tmp/peers/venv && /tmp/peers/venv/bin/pip install satcfdi
    /tmp/peers/venv/bin/python scripts/peers/run_satcfdi.py

satcfdi hard-codes SAT's URLs as ``soap_url`` class attributes; only those are patched.
Raw envelopes are saved under ``$PEER_LOG`` (default ``/tmp/peers/log/satcfdi``).
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fake_sat import fake_sat, log_exchanges
from satcfdi.models import Signer
from satcfdi.pacs import sat

RFC = "AAA010101AAA"
LOG = Path(os.environ.get("PEER_LOG", "/tmp/peers/log/satcfdi"))


def point_at(base: str) -> None:
    for kind, prefix in (("CFDI", "cfdi"), ("Reten", "retenciones")):
        paths = {
            "Autenticacion": "Autenticacion/Autenticacion.svc",
            "SolicitaDescargaEmitidos": "SolicitaDescargaService.svc",
            "SolicitaDescargaRecibidos": "SolicitaDescargaService.svc",
            "SolicitaDescargaFolio": "SolicitaDescargaService.svc",
            "VerificaSolicitudDescarga": "VerificaSolicitudDescargaService.svc",
            "DescargaMasiva": "DescargaMasivaService.svc",
        }
        for name, path in paths.items():
            getattr(sat, f"_{kind}{name}").soap_url = f"{base}/{prefix}/{path}"


def run(client: sat.SAT, label: str, request: dict[str, Any]) -> dict[str, Any]:
    step = f"{label}: request"
    try:
        answer = (
            client.recover_comprobante_emitted_request(**request)
            if label == "emitidos"
            else client.recover_comprobante_received_request(**request)
        )
        print(f"  {step} -> {answer}")
        if answer.get("CodEstatus") != "5000":
            return {"failed": step, "answer": answer}
        for attempt in range(10):
            step = f"{label}: verify #{attempt + 1}"
            status = client.recover_comprobante_status(answer["IdSolicitud"])
            print(f"  {step} -> {status}")
            if status["EstadoSolicitud"] == sat.EstadoSolicitud.TERMINADA:
                break
        else:
            return {"failed": step, "answer": status}
        sizes, entries = [], 0
        for package in status["IdsPaquetes"]:
            step = f"{label}: download {package}"
            header, data = client.recover_comprobante_download(package)
            raw = base64.b64decode(data)
            sizes.append(len(raw))
            entries += len(zipfile.ZipFile(io.BytesIO(raw)).namelist())
            print(f"  {step} -> {header}, {len(raw)} bytes")
        return {
            "ok": True,
            "documents": status["NumeroCFDIs"],
            "packages": len(sizes),
            "package_bytes": sizes,
            "zip_entries": entries,
        }
    except Exception as error:  # report the step that failed, whatever the peer raised
        return {"failed": step, "error": f"{type(error).__name__}: {str(error)[:300]}"}


def main() -> int:
    exchanges = log_exchanges(LOG)
    with fake_sat(RFC) as server:
        point_at(server.base_url)
        signer = Signer.load(server.cer.read_bytes(), server.key.read_bytes(), server.password)
        client = sat.SAT(signer=signer)
        end = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=30)
        results = {
            "emitidos": run(
                client,
                "emitidos",
                {"fecha_inicial": start, "fecha_final": end, "tipo_solicitud": "Metadata"},
            ),
            "recibidos": run(
                client,
                "recibidos",
                {
                    "fecha_inicial": start,
                    "fecha_final": end,
                    "tipo_solicitud": "CFDI",
                    "estado_comprobante": "Vigente",
                },
            ),
        }
        stats = server.stats()
    print(
        json.dumps(
            {
                "results": results,
                "calls": stats["calls"],
                "rejections": stats["rejections"],
                "http": [(a, s) for a, s, _ in exchanges],
            },
            indent=2,
            default=str,
        )
    )
    return 0 if all(r.get("ok") for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
