"""The fleet's store: one schema on SQLite (embedded) or PostgreSQL (shared), rules in SQL.

    store = FleetStore.open("postgresql://…")        # or a path: fleet.sqlite3
    fence = store.claim("AAA010101AAA", worker="host-1:4121")
    attempt = store.begin_attempt(fence, period, variant=0, …)   # committed before the send
    if attempt is None: …                            # sent (or being sent) by someone else

Every statement is in ``sql/queries.sql`` (one text for both backends), every schema change a
numbered file in ``sql/migrations/<backend>/``. A store holds one connection: give each thread
its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..db import Connector, connect, is_url, migrate
from .errors import StaleFenceError
from .rows import AttemptRow, PackageRow, PeriodRow, RequestRow, TaxpayerRow, from_row
from .times import parse, stamp

__all__ = ["VERSION_TABLE", "Fence", "FleetStore", "NewPeriod"]

VERSION_TABLE = "fleet_schema_version"
#: PostgreSQL ends a session idle this long inside a transaction (a paused worker).
IDLE_IN_TRANSACTION = "5s"
#: A statement waits this long at most for a row lock (then the step is tried again later).
LOCK_TIMEOUT = "15s"


@dataclass(frozen=True)
class Fence:
    """The fencing number a step took for its taxpayer; its writes carry it."""

    rfc: str
    number: int

    def params(self) -> dict[str, Any]:
        return {"rfc": self.rfc, "fence": self.number}


@dataclass(frozen=True)
class NewPeriod:
    """A period to plan (see ``windows``)."""

    key: str
    direction: str
    kind: str
    period_start: str
    period_end: str
    parent: str | None = None


class FleetStore:
    """Typed access to the fleet's tables through one connector (one connection)."""

    def __init__(self, db: Connector) -> None:
        self.db = db

    @classmethod
    def open(cls, target: str | Path, *, migrate_schema: bool = True) -> FleetStore:
        """Open (and migrate) the store at an SQLite path or a ``postgresql://`` URL."""
        if not is_url(target):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        db = connect(target, package="sat_zeep.sync.fleet")
        if db.backend == "postgres":
            # A transaction never waits on SAT, so one left idle means its process is paused or
            # cut off: the server ends it (and frees its row locks) so others can take over.
            db.script(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")
            db.script(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        if migrate_schema:
            migrate(db, VERSION_TABLE)
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> FleetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- taxpayers and fences -------------------------------------------------------------------

    def add_taxpayer(self, now: datetime, **columns: Any) -> None:
        """Register (or update) a taxpayer; ``columns`` are those of ``fleet_taxpayers``."""
        self.db.execute("add_taxpayer", now=stamp(now), **columns)

    def taxpayer(self, rfc: str) -> TaxpayerRow | None:
        row = self.db.one("taxpayer", rfc=rfc)
        return None if row is None else from_row(TaxpayerRow, row)

    def taxpayers(self) -> list[TaxpayerRow]:
        return [from_row(TaxpayerRow, row) for row in self.db.all("taxpayers")]

    def claim(self, rfc: str, worker: str, now: datetime) -> Fence:
        """A new fence for ``rfc``: from now on, the previous holder's writes change nothing."""
        rows = self.db.all("claim_step", rfc=rfc, worker=worker, now=stamp(now))
        if not rows:
            raise KeyError(f"{rfc} is not a taxpayer of this fleet (sat-zeep fleet add)")
        return Fence(rfc, int(rows[0]["fence"]))

    @contextmanager
    def fenced(self, fence: Fence) -> Iterator[None]:
        """A transaction that first holds ``fence``: ``StaleFenceError`` (nothing written) if stale.

        On PostgreSQL the hold is a row lock on the taxpayer, so a concurrent ``claim`` waits for
        this transaction, and this one, if it comes second, matches nothing.
        """
        with self.db.transaction():
            if self.db.execute("hold_fence", **fence.params()) != 1:
                raise StaleFenceError(
                    f"{fence.rfc}: step {fence.number} was taken over by another worker; "
                    "it stops here, without writing or sending anything more"
                )
            yield

    def check_fence(self, fence: Fence) -> None:
        """``StaleFenceError`` unless ``fence`` is still the taxpayer's (before a call to SAT)."""
        with self.fenced(fence):
            pass

    def write(self, fence: Fence, name: str, **params: Any) -> int:
        """One fenced statement in its own transaction; rows changed (0 when the fence is stale)."""
        with self.fenced(fence):
            return self.db.execute(name, **fence.params(), **_stamped(params))

    def end_step(
        self, fence: Fence, next_due: datetime | None, last_error: str | None = None
    ) -> None:
        """The step is over: when the taxpayer is next due, and the error it ended on."""
        self.write(fence, "end_step", next_due=next_due, last_error=last_error)

    def next_due(
        self, rfc: str, now: datetime, max_attempts: int, max_errors: int
    ) -> datetime | None:
        """When the taxpayer next has something to do (``now`` when it has already), or None."""
        row = self.db.one("next_due", rfc=rfc, max_attempts=max_attempts, max_errors=max_errors)
        due = None if row is None else row["due"]
        if due is None:
            return None
        return parse(due) if due else now

    # -- periods --------------------------------------------------------------------------------

    def plan(self, fence: Fence, periods: list[NewPeriod], now: datetime) -> int:
        """Add the periods not planned yet; how many were new."""
        added = 0
        with self.fenced(fence):
            for period in periods:
                added += self.db.execute(
                    "plan_period",
                    **fence.params(),
                    key=period.key,
                    direction=period.direction,
                    kind=period.kind,
                    period_start=period.period_start,
                    period_end=period.period_end,
                    parent=period.parent,
                    now=stamp(now),
                )
        return added

    def periods(self, rfc: str) -> list[PeriodRow]:
        return [from_row(PeriodRow, row) for row in self.db.all("periods_of", rfc=rfc)]

    def periods_to_submit(self, rfc: str) -> list[PeriodRow]:
        return [from_row(PeriodRow, row) for row in self.db.all("periods_to_submit", rfc=rfc)]

    # -- attempts -------------------------------------------------------------------------------

    def begin_attempt(
        self,
        fence: Fence,
        period: PeriodRow,
        *,
        parameters: str,
        variant: int,
        sent_start: str,
        sent_end: str,
        worker: str,
        now: datetime,
    ) -> int | None:
        """Record the attempt (committed before it is sent): its id, or None not to send it.

        None when (RFC, parameters, variant) is already recorded: that exact Solicitud was sent,
        or is being sent, by some step, and SAT may hold it. ``StaleFenceError`` when the fence
        was taken over.
        """
        with self.fenced(fence):
            rows = self.db.all(
                "insert_attempt",
                **fence.params(),
                parameters=parameters,
                variant=variant,
                period_key=period.key,
                sent_start=sent_start,
                sent_end=sent_end,
                worker=worker,
                now=stamp(now),
            )
            if not rows:
                return None
            self.db.execute(
                "period_submitting",
                **fence.params(),
                key=period.key,
                variant=variant,
                now=stamp(now),
            )
            return int(rows[0]["id"])

    def attempt(self, rfc: str, parameters: str, variant: int) -> AttemptRow | None:
        row = self.db.one("attempt", rfc=rfc, parameters=parameters, variant=variant)
        return None if row is None else from_row(AttemptRow, row)

    def attempts(self, rfc: str | None = None) -> list[AttemptRow]:
        rows = self.db.all("all_attempts") if rfc is None else self.db.all("attempts_of", rfc=rfc)
        return [from_row(AttemptRow, row) for row in rows]

    # -- requests -------------------------------------------------------------------------------

    def record_request(
        self,
        attempt_id: int,
        id_solicitud: str,
        period: PeriodRow,
        next_check: datetime,
        now: datetime,
    ) -> None:
        """Record an IdSolicitud SAT gave (not fenced: a late answer is kept too)."""
        self.db.execute(
            "record_request",
            id_solicitud=id_solicitud,
            attempt_id=attempt_id,
            rfc=period.rfc,
            period_key=period.key,
            next_check=stamp(next_check),
            now=stamp(now),
        )

    def request_of_attempt(self, attempt_id: int) -> RequestRow | None:
        row = self.db.one("request_of_attempt", attempt_id=attempt_id)
        return None if row is None else from_row(RequestRow, row)

    def requests_to_check(self, rfc: str) -> list[RequestRow]:
        return [from_row(RequestRow, row) for row in self.db.all("requests_to_check", rfc=rfc)]

    def finish_request(
        self,
        fence: Fence,
        request: RequestRow,
        numero_cfdis: int,
        packages: dict[str, str],
        now: datetime,
    ) -> bool:
        """The request and its period finished, its packages pending: one transaction."""
        with self.fenced(fence):
            at = stamp(now)
            self.db.execute(
                "request_ended",
                **fence.params(),
                id_solicitud=request.id_solicitud,
                status="finished",
                numero_cfdis=numero_cfdis,
                last_error=None,
                now=at,
            )
            self.db.execute(
                "period_ended",
                **fence.params(),
                key=request.period_key,
                status="finished",
                codigo=5000,
                numero_cfdis=numero_cfdis,
                last_error=None,
                now=at,
            )
            for id_paquete, path in packages.items():
                self.db.execute(
                    "add_package",
                    **fence.params(),
                    id_paquete=id_paquete,
                    period_key=request.period_key,
                    id_solicitud=request.id_solicitud,
                    path=path,
                    now=at,
                )
            return True

    def end_request(
        self,
        fence: Fence,
        request: RequestRow,
        status: str,
        period_status: str,
        codigo: int | None,
        error: str | None,
        now: datetime,
    ) -> bool:
        """A request that ended without packages (empty, split, failed, expired)."""
        with self.fenced(fence):
            at = stamp(now)
            self.db.execute(
                "request_ended",
                **fence.params(),
                id_solicitud=request.id_solicitud,
                status=status,
                numero_cfdis=0,
                last_error=error,
                now=at,
            )
            self.db.execute(
                "period_ended",
                **fence.params(),
                key=request.period_key,
                status=period_status,
                codigo=codigo,
                numero_cfdis=0,
                last_error=error,
                now=at,
            )
            return True

    # -- packages -------------------------------------------------------------------------------

    def packages_to_download(self, rfc: str) -> list[PackageRow]:
        rows = self.db.all("packages_to_download", rfc=rfc)
        return [from_row(PackageRow, row) for row in rows]

    def packages(self, rfc: str | None = None) -> list[PackageRow]:
        rows = self.db.all("all_packages") if rfc is None else self.db.all("packages_of", rfc=rfc)
        return [from_row(PackageRow, row) for row in rows]

    def start_download(self, fence: Fence, id_paquete: str, now: datetime) -> int | None:
        """Count one more download (committed before it is sent): the new count, or None.

        None when both downloads are spent or the package is no longer pending: then nothing
        may be sent. ``StaleFenceError`` when the fence was taken over.
        """
        with self.fenced(fence):
            rows = self.db.all(
                "start_download", **fence.params(), id_paquete=id_paquete, now=stamp(now)
            )
            return int(rows[0]["downloads_used"]) if rows else None

    # -- status ---------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """One row per taxpayer (see the ``status`` query)."""
        return self.db.all("status")


def _stamped(params: dict[str, Any]) -> dict[str, Any]:
    return {k: stamp(v) if isinstance(v, datetime) else v for k, v in params.items()}
