"""Run one sync in a process of its own (the kill -9 tests kill this process).

python tests/sync/child_sync.py BASE_URL OUTPUT [RETRY_SECONDS]

Exit 0 when the sync is complete, 1 when something is left for another run.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.sync import PollPolicy, SyncEngine, SyncJob
from sat_zeep.sync.retry import RetryPolicy
from tests.dates import month_ago

EFIRMA = Path(__file__).resolve().parent.parent / "fixtures" / "efirma"


def main(base_url: str, output: str, retry_seconds: str = "2") -> int:
    password = (EFIRMA / "password.txt").read_text(encoding="utf-8")
    fiel = Fiel.from_files(EFIRMA / "fiel.cer", EFIRMA / "fiel.key", password)
    with SatClient(fiel, Endpoints.from_base_url(base_url)) as client:
        engine = SyncEngine(
            client,
            output,
            poll=PollPolicy(initial=timedelta(0), maximum=timedelta(0)),
            retry=RetryPolicy(initial=timedelta(seconds=float(retry_seconds))),
        )
        summary = engine.run(SyncJob(month_ago(3)[0], month_ago(2)[1]))
        engine.close()
    return 0 if summary.complete else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
