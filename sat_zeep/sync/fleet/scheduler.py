"""One process driving every taxpayer of a store at once, under bounded concurrency.

    scheduler = FleetScheduler(FleetRuntime("fleet.sqlite3", Path("facturas")), concurrency=16)
    summary = scheduler.run(max_wait=timedelta(hours=2))

A taxpayer waiting for SAT holds nothing: it is an entry in a heap keyed by when it is next due.
``concurrency`` threads take the taxpayers that are due, run one step each (plan, submit, check,
download: one connection and one SAT call at a time per thread) and put them back with their
next due time. Each taxpayer has its own e.firma, its own token and its own folder under the
output folder. Every step takes a fence first, so this scheduler and procrastinate workers on the
same PostgreSQL never step on each other. It drives anything with ``Steps``: the fleet's store
(``FleetRuntime``) or the per-folder engines of ``sat-zeep sync`` (``sat_zeep.sync.side_by_side``).
"""

from __future__ import annotations

import heapq
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["FleetScheduler", "RunSummary", "StepOutcome", "Steps"]

#: A step taken over by another process: look at the taxpayer again after this long.
STALE_RETRY = 5.0


@dataclass(frozen=True)
class StepOutcome:
    """How one step ended."""

    next_due: datetime | None
    sat_calls: int = 0
    error: str | None = None
    #: The step was taken over by another worker (its writes changed nothing).
    stale: bool = False


class Steps(Protocol):
    """What the scheduler drives: a step of one taxpayer at a time, by key.

    ``FleetRuntime`` (the fleet's store) is one; the per-folder engines of ``sync --config``
    (``sat_zeep.sync.side_by_side``) are another.
    """

    def keys(self) -> list[str]:
        """Every taxpayer it holds."""
        ...

    def step(self, key: str) -> StepOutcome:
        """One step of ``key``: do what is due now, say when it is next due."""
        ...

    def clock(self) -> datetime:
        """The clock ``StepOutcome.next_due`` is on."""
        ...

    def close(self) -> None:
        """Free what the steps held (connections); called once the run is over."""
        ...


@dataclass
class RunSummary:
    """What one ``run`` did."""

    steps: int = 0
    sat_calls: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    #: Taxpayers with something still due when the run stopped (max wait).
    unfinished: list[str] = field(default_factory=list)


class FleetScheduler:
    """Every taxpayer of one store, side by side in this process."""

    def __init__(self, runtime: Steps, concurrency: int = 16) -> None:
        self.runtime = runtime
        self.concurrency = max(1, concurrency)

    def run(
        self, rfcs: list[str] | None = None, max_wait: timedelta = timedelta(hours=1)
    ) -> RunSummary:
        """Drive the taxpayers (all of the store's by default) until none has anything due."""
        summary = RunSummary()
        chosen = rfcs if rfcs is not None else self.runtime.keys()
        due: list[tuple[float, str]] = [(time.monotonic(), rfc) for rfc in chosen]
        heapq.heapify(due)
        deadline = time.monotonic() + max_wait.total_seconds()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="fleet") as pool:
            running: dict[Future[StepOutcome], str] = {}
            while due or running:
                while due and len(running) < self.concurrency and due[0][0] <= time.monotonic():
                    _, rfc = heapq.heappop(due)
                    running[pool.submit(self.runtime.step, rfc)] = rfc
                if time.monotonic() >= deadline:
                    summary.unfinished = sorted({rfc for _, rfc in due} | set(running.values()))
                    break
                # With every thread busy, what is due waits for a thread, not for its time.
                room = len(running) < self.concurrency
                pause = max(0.0, min(due[0][0] - time.monotonic(), 1.0)) if due and room else 1.0
                if running:
                    done, _ = wait(running, timeout=pause, return_when=FIRST_COMPLETED)
                else:
                    time.sleep(pause)
                    done = set()
                for future in done:
                    rfc = running.pop(future)
                    self._record(summary, rfc, future.result(), due)
            for future in running:
                future.cancel()
        self.runtime.close()
        return summary

    def _record(
        self, summary: RunSummary, rfc: str, outcome: StepOutcome, due: list[tuple[float, str]]
    ) -> None:
        summary.steps += 1
        summary.sat_calls += outcome.sat_calls
        if outcome.stale:
            heapq.heappush(due, (time.monotonic() + STALE_RETRY, rfc))
            return
        if outcome.error is not None:
            summary.errors[rfc] = outcome.error
        else:
            summary.errors.pop(rfc, None)
        if outcome.next_due is not None:
            delay = (outcome.next_due - self.runtime.clock()).total_seconds()
            heapq.heappush(due, (time.monotonic() + max(0.0, delay), rfc))
