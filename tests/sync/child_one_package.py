"""Run the sync of one package (a month of emitidos metadata) in a process of its own.

python tests/sync/child_one_package.py BASE_URL OUTPUT   (the third-download tests kill it)
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.sync import PollPolicy, SyncEngine, SyncJob
from tests.dates import month_ago

EFIRMA = Path(__file__).resolve().parent.parent / "fixtures" / "efirma"
#: The job of tests/sync/test_sync_guards.py: one request, one package.
ONE = SyncJob(*month_ago(2), directions=("emitidos",), kinds=(TipoSolicitud.METADATA,))


def main(base_url: str, output: str) -> int:
    password = (EFIRMA / "password.txt").read_text(encoding="utf-8")
    fiel = Fiel.from_files(EFIRMA / "fiel.cer", EFIRMA / "fiel.key", password)
    with SatClient(fiel, Endpoints.from_base_url(base_url)) as client:
        engine = SyncEngine(
            client, output, poll=PollPolicy(initial=timedelta(0), maximum=timedelta(0))
        )
        summary = engine.run(ONE)
        engine.close()
    return 0 if summary.complete else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
