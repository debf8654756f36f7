"""The whole job: a resumable bulk sync of CFDI and Retenciones into a folder.

    from sat_zeep.sync import SyncEngine, SyncJob

    with SatClient(fiel) as client:
        engine = SyncEngine(client, "facturas/", on_event=print)
        summary = engine.run(SyncJob(date(2025, 1, 1), date(2025, 12, 31)))
        print(summary.next_step())

Run it again with the same folder (after a crash, a kill -9 or a day later) and it continues.
Many taxpayers, each in its own folder, run side by side on the fleet's scheduler through
``side_by_side.SideBySide`` (what ``sat-zeep sync`` and ``sync --config`` do).
"""

from ..client.polling import PollPolicy
from .engine import SyncEngine
from .events import SyncEvent, SyncSummary
from .plan import Period, SyncJob

__all__ = ["Period", "PollPolicy", "SyncEngine", "SyncEvent", "SyncJob", "SyncSummary"]
