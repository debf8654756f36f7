"""Drive the ``sat-ws`` peer client (package ``mx_edi``, v3.25.0) against the fake SAT.

Run with a venv that holds ``sat-ws`` (the fake SAT itself runs from the project venv)::

    python -m venv /tmp/peers/venv && /tmp/peers/venv/bin/pip install sat-ws
    /tmp/peers/venv/bin/python scripts/peers/run_sat_ws.py

sat-ws writes SAT's URLs as literals inside its methods, so the requests are redirected at the
``requests`` layer. It still calls the pre-2025 ``SolicitaDescarga`` operation, which SAT removed
on 2025-05-30; the fake SAT answers it with an ActionNotSupported fault, as SAT does.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fake_sat import fake_sat, log_exchanges
from mx_edi.connectors.sat.enums import DownloadType, RequestType
from mx_edi.connectors.sat.query import Query
from mx_edi.connectors.sat.sat_connector import SATConnector

RFC = "AAA010101AAA"
LOG = Path(os.environ.get("PEER_LOG", "/tmp/peers/log/sat_ws"))


def main() -> int:
    with fake_sat(RFC) as server:
        exchanges = log_exchanges(
            LOG,
            {
                "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx": f"{server.base_url}/cfdi",
                "https://cfdidescargamasiva.clouda.sat.gob.mx": f"{server.base_url}/cfdi",
            },
        )
        step, result = "authenticate", {}
        try:
            connector = SATConnector(
                server.cer.read_bytes(), server.key.read_bytes(), server.password.encode()
            )
            end = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
            query = Query(
                DownloadType.ISSUED, RequestType.METADATA, start=end - timedelta(days=30), end=end
            )
            step = "emitidos: request (SolicitaDescarga)"
            query.send(connector)
            result = {"ok": True, "query": repr(query)}
        except Exception as error:  # report the step that failed, whatever the peer raised
            result = {"failed": step, "error": f"{type(error).__name__}: {str(error)[:300]}"}
        stats = server.stats()
    print(
        json.dumps(
            {
                "result": result,
                "calls": stats["calls"],
                "rejections": stats["rejections"],
                "http": [(a, s) for a, s, _ in exchanges],
                "last_response": exchanges[-1][2][:400].decode() if exchanges else None,
            },
            indent=2,
        )
    )
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
