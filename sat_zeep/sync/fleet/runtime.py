"""What a process needs to run taxpayer steps: connections, e.firmas, clients, in memory only.

    runtime = FleetRuntime("postgresql://…", Path("/srv/facturas"), worker="host-1:4121")
    outcome = runtime.step("AAA010101AAA")      # claim a fence, run the step, end it
    outcome.next_due                            # when to come back (None: nothing left)

Used by the in-process scheduler and by the procrastinate workers alike. Connections are one
per thread; each taxpayer's e.firma is loaded once and its client (with its token, renewed as it
expires) kept for the next step. Nothing of this is written anywhere.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import zeep

from ...client.sat_client import SatClient
from ...errors import CredentialError, SatError
from ...signing.fiel import Fiel
from ...soap.endpoints import Endpoints, ServiceType
from ...soap.transport import default_transport
from ..db import DatabaseError
from .credentials import FielCache
from .errors import StaleFenceError
from .scheduler import StepOutcome
from .steps import StepSettings, TaxpayerStep
from .store import FleetStore
from .times import utc_now

__all__ = ["EndpointsFor", "FleetRuntime", "StepOutcome", "sat_endpoints", "worker_name"]

EndpointsFor = Callable[[str], Endpoints]
#: How long to wait before looking again at a taxpayer whose step failed unexpectedly.
RETRY_AFTER = timedelta(seconds=10)
#: How long to wait before trying again when the database failed.
DATABASE_RETRY = timedelta(seconds=5)


def worker_name() -> str:
    """``host:pid``: who holds a taxpayer, as ``fleet status`` shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def sat_endpoints(base_url: str | None = None) -> EndpointsFor:
    """SAT's endpoints for a service, or those of a server at ``base_url`` (a fake SAT)."""

    def endpoints(service: str) -> Endpoints:
        if base_url:
            return Endpoints.from_base_url(base_url, service)
        kind = ServiceType(service)
        return Endpoints.cfdi() if kind is ServiceType.CFDI else Endpoints.retenciones()

    return endpoints


class FleetRuntime:
    """Connections, e.firmas and clients of one process, for any number of taxpayers."""

    def __init__(
        self,
        target: str | Path,
        out: Path,
        *,
        endpoints_for: EndpointsFor | None = None,
        settings: StepSettings | None = None,
        transport: zeep.Transport | None = None,
        clock: Callable[[], datetime] = utc_now,
        worker: str | None = None,
    ) -> None:
        self.target = target
        self.out = out
        self.endpoints_for = endpoints_for or sat_endpoints()
        self.settings = settings or StepSettings()
        self.transport = transport or default_transport()
        self.clock = clock
        self.worker = worker or worker_name()
        self.fiels = FielCache()
        self.clients: dict[str, SatClient] = {}
        self._local = threading.local()
        self._stores: list[FleetStore] = []
        self._lock = threading.Lock()

    def store(self) -> FleetStore:
        """This thread's connection to the store."""
        store: FleetStore | None = getattr(self._local, "store", None)
        if store is None:
            store = FleetStore.open(self.target, migrate_schema=False)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def keys(self) -> list[str]:
        """The RFC of every taxpayer of the store."""
        return [taxpayer.rfc for taxpayer in self.store().taxpayers()]

    def step(self, rfc: str) -> StepOutcome:
        """One step of one taxpayer: claim a fence, do what is due, record the next due time.

        When the database fails (an outage, a restart), nothing more is sent: the step ends,
        this thread's connection is dropped (the next step opens a new one) and the taxpayer is
        due again in ``DATABASE_RETRY``.
        """
        try:
            return self._step(rfc)
        except DatabaseError as error:
            self._drop_store()
            return StepOutcome(self.clock() + DATABASE_RETRY, error=str(error))

    def _step(self, rfc: str) -> StepOutcome:
        store = self.store()
        taxpayer = store.taxpayer(rfc)
        if taxpayer is None:
            return StepOutcome(None, error=f"{rfc} is not a taxpayer of this fleet")
        fence = store.claim(rfc, self.worker, self.clock())
        taxpayer = store.taxpayer(rfc) or taxpayer
        try:
            fiel = self.fiels.get(taxpayer)
        except CredentialError as error:  # nothing to do until its e.firma is fixed
            store.end_step(fence, None, str(error))
            return StepOutcome(None, error=str(error))
        client = self._client(rfc, fiel, taxpayer.service)
        step = TaxpayerStep(store, client, taxpayer, fence, self.out, self.settings, self.worker)
        try:
            next_due = step.run()
            store.end_step(fence, next_due, None)
        except StaleFenceError as error:
            return StepOutcome(None, step.sent, str(error), stale=True)
        except DatabaseError:
            raise
        except SatError as error:  # the database or SAT failed beyond the step's own retries
            return StepOutcome(self.clock() + RETRY_AFTER, step.sent, str(error))
        return StepOutcome(next_due, step.sent)

    def _drop_store(self) -> None:
        store: FleetStore | None = getattr(self._local, "store", None)
        self._local.store = None
        if store is not None:
            with self._lock:
                self._stores.remove(store)
            with contextlib.suppress(Exception):
                store.close()

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
        self._local = threading.local()

    def _client(self, rfc: str, fiel: Fiel, service: str) -> SatClient:
        """The taxpayer's client (its token inside), made once: one step per RFC at a time."""
        with self._lock:
            client = self.clients.get(rfc)
            if client is None or client.fiel is not fiel:
                endpoints = self.endpoints_for(service)
                client = SatClient(fiel, endpoints, transport=self.transport, clock=self.clock)
                self.clients[rfc] = client
            return client
