"""One process driving every taxpayer of a store at once, under bounded concurrency.

    scheduler = FleetScheduler("fleet.sqlite3", Path("facturas"), concurrency=16)
    summary = scheduler.run(max_wait=timedelta(hours=2))

A taxpayer waiting for SAT holds nothing: it is an entry in a heap keyed by when it is next due.
``concurrency`` threads take the taxpayers that are due, run one step each (``TaxpayerStep``:
submit, check, download; one connection, one SAT call at a time per thread) and put them back
with their next due time. Each taxpayer has its own e.firma, its own token (kept in memory,
renewed as it expires) and its own folder under ``out``. Every step takes a fence first, so this
scheduler and procrastinate workers on the same PostgreSQL never step on each other.
"""

from __future__ import annotations

import heapq
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import zeep

from ..client import MEXICO_TIME, SatClient
from ..endpoints import Endpoints, ServiceType
from ..errors import CredentialError, SatError
from ..fiel import Fiel
from ..transport import default_transport
from .credentials import FielCache
from .errors import StaleFenceError
from .steps import StepSettings, TaxpayerStep
from .store import FleetStore
from .times import utc_now
from .windows import plan_for

__all__ = ["FleetScheduler", "RunSummary", "plan_taxpayer", "sat_endpoints", "worker_name"]

EndpointsFor = Callable[[str], Endpoints]


def worker_name() -> str:
    """``host:pid``: who holds a taxpayer, as ``fleet status`` shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def plan_taxpayer(store: FleetStore, rfc: str, worker: str, now: datetime) -> int:
    """Plan the periods of the taxpayer's window as of today; how many are new."""
    fence = store.claim(rfc, worker, now)
    taxpayer = store.taxpayer(rfc)
    assert taxpayer is not None  # claim found it
    added = store.plan(fence, plan_for(taxpayer, now.astimezone(MEXICO_TIME).date()), now)
    store.end_step(fence, now, None)
    return added


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

    def __init__(
        self,
        target: str | Path,
        out: Path,
        *,
        endpoints_for: EndpointsFor | None = None,
        concurrency: int = 16,
        settings: StepSettings | None = None,
        transport: zeep.Transport | None = None,
        clock: Callable[[], datetime] = utc_now,
        worker: str | None = None,
    ) -> None:
        self.target = target
        self.out = out
        self.endpoints_for = endpoints_for or sat_endpoints()
        self.concurrency = max(1, concurrency)
        self.settings = settings or StepSettings()
        self.transport = transport or default_transport()
        self.clock = clock
        self.worker = worker or worker_name()
        self.fiels = FielCache()
        self.clients: dict[str, SatClient] = {}
        self._local = threading.local()
        self._stores: list[FleetStore] = []
        self._stores_lock = threading.Lock()

    def run(
        self, rfcs: list[str] | None = None, max_wait: timedelta = timedelta(hours=1)
    ) -> RunSummary:
        """Plan and drive the taxpayers (all of the store's by default) until none is due."""
        summary = RunSummary()
        store = self._store()
        now = self.clock()
        chosen = rfcs if rfcs is not None else [t.rfc for t in store.taxpayers()]
        for rfc in chosen:
            plan_taxpayer(store, rfc, self.worker, now)
        due: list[tuple[float, str]] = [(time.monotonic(), rfc) for rfc in chosen]
        heapq.heapify(due)
        deadline = time.monotonic() + max_wait.total_seconds()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="fleet") as pool:
            running: dict[Future[datetime | None], str] = {}
            while due or running:
                while due and len(running) < self.concurrency and due[0][0] <= time.monotonic():
                    _, rfc = heapq.heappop(due)
                    running[pool.submit(self._step, rfc, summary)] = rfc
                if time.monotonic() >= deadline:
                    summary.unfinished = sorted({rfc for _, rfc in due} | set(running.values()))
                    break
                pause = max(0.0, min(due[0][0] - time.monotonic(), 1.0)) if due else 1.0
                if running:
                    done, _ = wait(running, timeout=pause, return_when=FIRST_COMPLETED)
                else:
                    time.sleep(pause)
                    done = set()
                for future in done:
                    rfc = running.pop(future)
                    summary.steps += 1
                    next_due = future.result()
                    if next_due is not None:
                        delay = (next_due - self.clock()).total_seconds()
                        heapq.heappush(due, (time.monotonic() + max(0.0, delay), rfc))
            for future in running:
                future.cancel()
        self.close()
        return summary

    def close(self) -> None:
        with self._stores_lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
        self._local = threading.local()

    # -- one step -------------------------------------------------------------------------------

    def _step(self, rfc: str, summary: RunSummary) -> datetime | None:
        """One step of one taxpayer (in a pool thread): its next due time, or None."""
        store = self._store()
        now = self.clock()
        taxpayer = store.taxpayer(rfc)
        if taxpayer is None:
            return None
        try:
            fiel = self.fiels.get(taxpayer)
        except CredentialError as error:
            summary.errors[rfc] = str(error)
            fence = store.claim(rfc, self.worker, now)
            store.end_step(fence, None, str(error))
            return None
        fence = store.claim(rfc, self.worker, now)
        client = self._client(rfc, fiel, taxpayer.service)
        step = TaxpayerStep(store, client, taxpayer, fence, self.out, self.settings, self.worker)
        try:
            next_due = step.run()
            store.end_step(fence, next_due, None)
        except StaleFenceError:  # someone else holds it now: look again later
            return self.clock() + timedelta(seconds=5)
        except SatError as error:  # the database or SAT failed beyond the step's own retries
            summary.errors[rfc] = str(error)
            return self.clock() + timedelta(seconds=30)
        finally:
            summary.sat_calls += step.sent
        return next_due

    def _client(self, rfc: str, fiel: Fiel, service: str) -> SatClient:
        """The taxpayer's client (its token inside), made once: one step per RFC at a time."""
        client = self.clients.get(rfc)
        if client is None or client.fiel is not fiel:
            endpoints = self.endpoints_for(service)
            client = SatClient(fiel, endpoints, transport=self.transport, clock=self.clock)
            self.clients[rfc] = client
        return client

    def _store(self) -> FleetStore:
        store: FleetStore | None = getattr(self._local, "store", None)
        if store is None:
            store = FleetStore.open(self.target)
            self._local.store = store
            with self._stores_lock:
                self._stores.append(store)
        return store


def sat_endpoints(base_url: str | None = None) -> EndpointsFor:
    """SAT's endpoints for a service, or those of a server at ``base_url`` (a fake SAT)."""

    def endpoints(service: str) -> Endpoints:
        if base_url:
            return Endpoints.from_base_url(base_url, service)
        kind = ServiceType(service)
        return Endpoints.cfdi() if kind is ServiceType.CFDI else Endpoints.retenciones()

    return endpoints
