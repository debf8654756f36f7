"""Many per-folder syncs side by side, driven by the fleet's one-process scheduler.

    runs = SideBySide({"uno": (open_uno, job), "otro": (open_otro, job)}, downloads=4)
    FleetScheduler(runs, concurrency=8).run(max_wait=...)
    runs.engines["uno"].end()        # its summary; runs.errors["otro"]: why it stopped

Each taxpayer is its own ``SyncEngine``: its own client (and token), folder and state, with
every rule of the per-folder sync (``engine``). A taxpayer waiting for SAT holds no thread: its
engine says how long until something is due and the scheduler comes back then. Downloads of all
taxpayers share one pool of ``downloads`` threads. ``sat-zeep sync`` runs one taxpayer this way,
``sync --config`` all of its list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from ..errors import SatError
from .engine import SyncEngine
from .fleet.scheduler import StepOutcome
from .plan import SyncJob

__all__ = ["SideBySide"]

#: Makes a taxpayer's engine (its client, folder lock and state), in the thread of its first step.
OpenEngine = Callable[[], SyncEngine]
#: What stops one taxpayer (reported under its name), while the others go on.
TAXPAYER_ERRORS = (SatError, OSError, sqlite3.Error)


class SideBySide:
    """The ``Steps`` of per-folder engines, for ``FleetScheduler``."""

    def __init__(self, runs: dict[str, tuple[OpenEngine, SyncJob]], downloads: int) -> None:
        self.runs = runs
        self.pool = ThreadPoolExecutor(max(1, downloads), thread_name_prefix="sat-download")
        #: The engines that began, by key (``end()`` gives each one's summary).
        self.engines: dict[str, SyncEngine] = {}
        #: Why a taxpayer stopped before its end, by key.
        self.errors: dict[str, BaseException] = {}

    def keys(self) -> list[str]:
        return list(self.runs)

    def clock(self) -> datetime:
        return datetime.now(timezone.utc)

    def step(self, key: str) -> StepOutcome:
        """Begin the taxpayer's run (first step) or take its next step."""
        try:
            engine = self.engines.get(key)
            if engine is None:
                opener, job = self.runs[key]
                engine = opener()
                self.engines[key] = engine
                engine.begin(job)
            pause = engine.step(self.pool)
        except TAXPAYER_ERRORS as error:
            self.errors[key] = error
            return StepOutcome(None, error=str(error))
        if pause is None:
            return StepOutcome(None)
        return StepOutcome(self.clock() + timedelta(seconds=pause))

    def close(self) -> None:
        """Wait for the downloads (the engines stay open for their summaries)."""
        self.pool.shutdown(wait=True)
