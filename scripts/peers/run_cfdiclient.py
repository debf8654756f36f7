"""Drive the ``cfdiclient`` peer client (python-cfdiclient) against the fake SAT.

Run with a venv that holds ``cfdiclient`` (the fake SAT itself runs from the project venv)::

    python -m venv /tmp/peers/venv && /tmp/peers/venv/bin/pip install cfdiclient
    /tmp/peers/venv/bin/python scripts/peers/run_cfdiclient.py

cfdiclient hard-codes SAT's URLs as ``soap_url`` class attributes; only those are patched.
The flow follows cfdiclient's README, with a new request object for every call (see FRESH);
it exits 0 when both flows (emitidos Metadata, recibidos CFDI) download their packages.
Raw envelopes are saved under ``$PEER_LOG`` (default ``/tmp/peers/log/cfdiclient``).
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
import cfdiclient
from _fake_sat import fake_sat, log_exchanges
from cfdiclient import (
    Autenticacion,
    DescargaMasiva,
    Fiel,
    SolicitaDescargaEmitidos,
    SolicitaDescargaRecibidos,
    VerificaSolicitudDescarga,
)

RFC = "AAA010101AAA"
LOG = Path(os.environ.get("PEER_LOG", "/tmp/peers/log/cfdiclient"))
# cfdiclient signs a reused request object over the Signature its previous call left inside
# (its DigestValue then covers that old Signature, which the enveloped-signature transform
# removes), so a second call on one object answers 302 Sello Mal Formado, at the fake as at SAT.
# The runner therefore builds a new object for every call; PEER_REUSE=1 shows the 302.
FRESH = os.environ.get("PEER_REUSE") != "1"


def point_at(base: str) -> None:
    Autenticacion.soap_url = f"{base}/cfdi/Autenticacion/Autenticacion.svc"
    SolicitaDescargaEmitidos.soap_url = f"{base}/cfdi/SolicitaDescargaService.svc"
    SolicitaDescargaRecibidos.soap_url = f"{base}/cfdi/SolicitaDescargaService.svc"
    VerificaSolicitudDescarga.soap_url = f"{base}/cfdi/VerificaSolicitudDescargaService.svc"
    DescargaMasiva.soap_url = f"{base}/cfdi/DescargaMasivaService.svc"


def run(fiel: Fiel, label: str, request: dict[str, Any]) -> dict[str, Any]:
    step = "authenticate"
    try:
        auth = Autenticacion(fiel)
        token = auth.obtener_token()
        print(f"  {step} -> token {token[:20]}...")
        step = f"{label}: request"
        kind = SolicitaDescargaEmitidos if label == "emitidos" else SolicitaDescargaRecibidos
        answer = kind(fiel).solicitar_descarga(token, RFC, **request)
        print(f"  {step} -> {answer}")
        if answer["cod_estatus"] != "5000":
            return {"failed": step, "answer": answer}
        verifier = VerificaSolicitudDescarga(fiel)
        for attempt in range(10):
            step = f"{label}: verify #{attempt + 1}"
            if FRESH:
                verifier = VerificaSolicitudDescarga(fiel)
            status = verifier.verificar_descarga(token, RFC, answer["id_solicitud"])
            print(f"  {step} -> {status}")
            if status["cod_estatus"] != "5000":
                return {"failed": step, "answer": status}
            if status["estado_solicitud"] == "3":
                break
        else:
            return {"failed": step, "answer": status}
        sizes, entries = [], 0
        downloader = DescargaMasiva(fiel)
        for package in status["paquetes"]:
            step = f"{label}: download {package}"
            if FRESH:
                downloader = DescargaMasiva(fiel)
            result = downloader.descargar_paquete(token, RFC, package)
            print(f"  {step} -> {result['cod_estatus']} {result['mensaje']}")
            raw = base64.b64decode(result["paquete_b64"])
            sizes.append(len(raw))
            entries += len(zipfile.ZipFile(io.BytesIO(raw)).namelist())
        return {
            "ok": True,
            "documents": int(status["numero_cfdis"]),
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
        fiel = Fiel(server.cer.read_bytes(), server.key.read_bytes(), server.password)
        end = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=30)
        results = {
            "emitidos": run(
                fiel,
                "emitidos",
                {
                    "fecha_inicial": start,
                    "fecha_final": end,
                    "rfc_emisor": RFC,
                    "tipo_solicitud": "Metadata",
                },
            ),
            "recibidos": run(
                fiel,
                "recibidos",
                {
                    "fecha_inicial": start,
                    "fecha_final": end,
                    "rfc_receptor": RFC,
                    "tipo_solicitud": "CFDI",
                },
            ),
        }
        stats = server.stats()
    print(
        json.dumps(
            {
                "peer": f"cfdiclient {cfdiclient.version}",
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
