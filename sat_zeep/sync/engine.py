"""The resumable bulk download: plan, submit, poll, download, file; killed at any instant, resumed.

    with SatClient(fiel) as client:
        summary = SyncEngine(client, "facturas/").run(
            SyncJob(date(2025, 1, 1), date(2025, 12, 31))
        )

Rules it keeps, whatever happens:

- A Solicitud is recorded before it is sent. If its answer is lost (a crash, a timeout, an HTTP
  error) SAT may hold it, so it is never sent again as it was: the next attempt starts one second
  earlier (a different request for SAT, covering a superset), which avoids 5002 and 5005; at the
  six-year edge, where an earlier start is refused, it ends one second later instead.
- A download is counted before it is sent, so no package is ever asked for a third time.
  A package already in place is checked, not downloaded again.
- 5003 (too many documents) halves the period and asks again; 5004 means nothing to download.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from pathlib import Path

from ..client import MEXICO_TIME, SatClient
from ..codes import CodEstatus, EstadoSolicitud, TipoSolicitud
from ..errors import RequestValidationError
from ..models import SolicitaDescargaResult
from ..parameters import earliest_start
from ..polling import PollPolicy
from .crashpoints import crashpoint
from .downloads import RETRY_CODES, UNCERTAIN, Downloads
from .events import EventSink, SyncEvent, SyncSummary, ignore
from .plan import Period, SyncJob, estado_for, months
from .store import OPEN_REQUESTS, RequestRow, SyncStore


class SyncEngine:
    """Runs ``SyncJob``s for one client into one output folder (state in that folder)."""

    def __init__(
        self,
        client: SatClient,
        output: str | Path,
        *,
        poll: PollPolicy | None = None,
        concurrency: int = 4,
        max_wait: timedelta = timedelta(minutes=30),
        max_attempts: int = 3,
        on_event: EventSink = ignore,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.client = client
        self.output = Path(output)
        self.poll = poll or PollPolicy()
        self.concurrency = max(1, concurrency)
        self.max_wait = max_wait
        self.max_attempts = max_attempts
        self.emit = on_event
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.store = SyncStore(self.output)
        self.service = client.endpoints.service.value
        self._attempts: dict[str, int] = {}
        self._not_before: dict[str, float] = {}
        self._errors: dict[str, int] = {}
        self.downloads = Downloads(client, self.store, self.output, self.concurrency, on_event)

    def close(self) -> None:
        self.store.close()

    # -- the run ------------------------------------------------------------------------------

    def run(self, job: SyncJob) -> SyncSummary:
        """Do everything the job needs that is not done yet; return what stands."""
        if job.service.value != self.service:
            raise ValueError(
                f"the job is for {job.service.value} but the client talks to {self.service}; "
                "build the client with the matching Endpoints"
            )
        self._plan(job)
        self.downloads.remove_stale_parts()
        deadline = time.monotonic() + self.max_wait.total_seconds()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="sat-download") as pool:
            running: dict[Future[None], str] = {}
            while True:
                self._submit_all()
                self._poll_due()
                self.downloads.start(pool, running)
                if running:
                    done, _ = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.pop(future)
                        future.result()
                    continue
                if not self._open_work():
                    break
                if time.monotonic() >= deadline:
                    self.emit(SyncEvent("waiting", "sync", "stopped waiting for SAT (max wait)"))
                    break
                self._sleep_until_next_check(deadline)
        return self.summary()

    def _plan(self, job: SyncJob) -> None:
        crashpoint("plan")
        today = self.client.now().astimezone(MEXICO_TIME).date()
        for period in months(job.start, job.end, today):
            for direction in job.directions:
                for kind in job.kinds:
                    row = self._row(direction, kind.value, period)
                    if self.store.add_request(row, self._now()):
                        self.emit(SyncEvent("planned", _describe(direction, kind.value, period)))
        if job.rerequest_expired:
            for expired in self.store.requests("expired"):
                self.store.update_request(
                    expired.key, self._now(), status="planned", variant=expired.variant + 1
                )

    def _row(
        self, direction: str, kind: str, period: Period, parent: str | None = None
    ) -> dict[str, object]:
        key = "|".join(
            (self.service, direction, kind, period.start.isoformat(), period.end.isoformat())
        )
        return {
            "key": key,
            "direction": direction,
            "kind": kind,
            "period_start": period.start,
            "period_end": period.end,
            "parent": parent,
        }

    def _open_work(self) -> bool:
        if any(self._attempts.get(r.key, 0) < self.max_attempts for r in self._to_submit()):
            return True
        if self._pollable():
            return True
        return any(p.downloads_used < 2 for p in self.store.packages("pending", "downloading"))

    def _sleep_until_next_check(self, deadline: float) -> None:
        checks = [r.next_check for r in self._pollable() if r.next_check]
        wait_for = 1.0
        if checks:
            wait_for = (min(checks) - self._now()).total_seconds()
        wait_for = max(0.0, min(wait_for, deadline - time.monotonic(), 60.0))
        if wait_for > 0:
            self.sleep(wait_for)

    # -- Solicitud ------------------------------------------------------------------------------

    def _to_submit(self) -> list[RequestRow]:
        return self.store.requests("planned", "submitting", "unconfirmed")

    def _submit_all(self) -> None:
        for row in self._to_submit():
            attempts = self._attempts.get(row.key, 0)
            if attempts < self.max_attempts and time.monotonic() >= self._not_before.get(
                row.key, 0
            ):
                self._submit(row)

    def _back_off(self, key: str) -> None:
        """Wait a little longer after each failed attempt of this run (1 s, 2 s, 4 s…)."""
        self._not_before[key] = time.monotonic() + 2.0 ** (self._attempts.get(key, 1) - 1)

    def _submit(self, row: RequestRow) -> None:
        self._attempts[row.key] = self._attempts.get(row.key, 0) + 1
        variant = row.variant
        if row.status in ("submitting", "unconfirmed"):
            # SAT may hold the previous attempt: ask for a different (wider) period instead.
            variant += 1
        self.store.update_request(row.key, self._now(), status="submitting", variant=variant)
        crashpoint("submit")
        start, end = self._varied_period(row, variant)
        try:
            result = self._solicita(row, start, end)
        except RequestValidationError as error:
            self._fail(row, str(error))
            return
        except UNCERTAIN as error:
            self.store.update_request(row.key, self._now(), status="unconfirmed", error=str(error))
            self._back_off(row.key)
            self.emit(SyncEvent("retrying", _subject(row), f"Solicitud unconfirmed: {error}"))
            return
        crashpoint("submitted")
        if result.is_accepted and result.id_solicitud:
            self.store.update_request(
                row.key,
                self._now(),
                status="accepted",
                id_solicitud=result.id_solicitud,
                checks=0,
                next_check=self._now() + self.poll.delay(1, self.rng),
                error=None,
            )
            self.emit(SyncEvent("accepted", _subject(row), id_solicitud=result.id_solicitud))
        elif result.cod_estatus in RETRY_CODES:
            # A definite "not registered": the same request may be sent again.
            self.store.update_request(
                row.key, self._now(), status="planned", variant=variant, error=result.mensaje
            )
            self._back_off(row.key)
            self.emit(SyncEvent("retrying", _subject(row), f"SAT: {result.mensaje}"))
        else:
            self.store.update_request(row.key, self._now(), codigo=int(result.cod_estatus))
            self._fail(row, f"SAT refused the request: {int(result.cod_estatus)} {result.mensaje}")

    def _varied_period(self, row: RequestRow, variant: int) -> tuple[datetime, datetime]:
        """The period of attempt ``variant``: ``variant`` seconds wider than planned.

        It starts earlier, unless that is older than SAT serves (a period at the six-year edge);
        then it ends later instead.
        """
        shift = timedelta(seconds=variant)
        if row.period_start - shift >= earliest_start(self._now().date()):
            return row.period_start - shift, row.period_end
        return row.period_start, row.period_end + shift

    def _solicita(self, row: RequestRow, start: datetime, end: datetime) -> SolicitaDescargaResult:
        kind = TipoSolicitud(row.kind)
        estado = estado_for(row.direction, kind)
        if row.direction == "emitidos":
            return self.client.solicita_descarga_emitidos(
                start, end, kind, estado_comprobante=estado
            )
        return self.client.solicita_descarga_recibidos(start, end, kind, estado_comprobante=estado)

    def _fail(self, row: RequestRow, reason: str) -> None:
        self.store.update_request(row.key, self._now(), status="failed", error=reason)
        self.emit(SyncEvent("failed", _subject(row), reason))

    # -- Verificación ---------------------------------------------------------------------------

    def _poll_due(self) -> None:
        now = self._now()
        for row in self._pollable():
            if row.next_check is None or row.next_check <= now:
                self._poll(row)

    def _pollable(self) -> list[RequestRow]:
        """Accepted requests, except those that failed to verify too often in this run."""
        limit = 2 * self.max_attempts
        return [r for r in self.store.requests("accepted") if self._errors.get(r.key, 0) < limit]

    def _poll(self, row: RequestRow) -> None:
        crashpoint("verify")
        checks = row.checks + 1
        try:
            state = self.client.verifica_solicitud_descarga(row.id_solicitud or "")
        except UNCERTAIN as error:
            self._errors[row.key] = self._errors.get(row.key, 0) + 1
            self._later(row, checks, f"verification failed, will retry: {error}")
            return
        self._errors.pop(row.key, None)
        crashpoint("verified")
        code = state.cod_estatus
        if code in RETRY_CODES:
            self._later(row, checks, f"SAT: {state.mensaje}")
        elif code == CodEstatus.TOPE_MAXIMO or state.codigo_estado_solicitud == 5003:
            self._split(row)
        elif code != CodEstatus.SOLICITUD_ACEPTADA:
            self._fail(row, f"SAT answered {int(code)} {state.mensaje} to the verification")
        elif state.is_finished:
            folder = self._folder(row)
            packages = {
                id_paquete: folder / f"{id_paquete}.zip" for id_paquete in state.ids_paquetes
            }
            self.store.finish_request(row.key, self._now(), state.numero_cfdis, packages)
            self.emit(
                SyncEvent(
                    "finished", _subject(row), f"{len(packages)} package(s)", row.id_solicitud
                )
            )
        elif state.is_pending:
            self._later(row, checks, "")
        elif state.codigo_estado_solicitud == CodEstatus.NO_SE_ENCONTRO_INFORMACION:
            self.store.update_request(row.key, self._now(), status="empty", codigo=5004)
            self.emit(SyncEvent("empty", _subject(row), "SAT has no documents for this period"))
        elif state.estado_solicitud is EstadoSolicitud.VENCIDA:
            self.store.update_request(row.key, self._now(), status="expired")
            self.emit(SyncEvent("expired", _subject(row), "the packages expired (72 hours)"))
        else:
            self._fail(row, f"the request ended {state.estado_solicitud.name}: {state.mensaje}")

    def _later(self, row: RequestRow, checks: int, message: str) -> None:
        self.store.update_request(
            row.key,
            self._now(),
            checks=checks,
            next_check=self._now() + self.poll.delay(checks, self.rng),
            error=message or None,
        )
        self.emit(SyncEvent("pending", _subject(row), message, row.id_solicitud))

    def _split(self, row: RequestRow) -> None:
        halves = Period(row.period_start, row.period_end).halves()
        if halves is None:
            self._fail(row, "SAT says too many documents even for the shortest period")
            return
        for half in halves:
            self.store.add_request(self._row(row.direction, row.kind, half, row.key), self._now())
        self.store.update_request(row.key, self._now(), status="split", codigo=5003)
        self.emit(SyncEvent("split", _subject(row), "too many documents: asking in two halves"))

    def _folder(self, row: RequestRow) -> Path:
        period = Period(row.period_start, row.period_end)
        return self.output / self.service / row.direction / row.kind.lower() / period.label

    # -- summary --------------------------------------------------------------------------------

    def summary(self) -> SyncSummary:
        """Counts from the state database (all runs so far)."""
        summary = SyncSummary()
        for row in self.store.requests():
            summary.requests[row.status] = summary.requests.get(row.status, 0) + 1
            if row.status == "finished":
                summary.documents[row.kind] = summary.documents.get(row.kind, 0) + row.numero_cfdis
            if row.status in ("failed", "expired"):
                summary.failures.append(f"{_subject(row)}: {row.error or row.status}")
            if row.status in OPEN_REQUESTS:
                summary.pending_at_sat += 1
        for package in self.store.packages():
            summary.packages[package.status] = summary.packages.get(package.status, 0) + 1
            if package.status == "downloaded":
                summary.bytes_downloaded += package.size or 0
            if package.status in ("failed", "expired"):
                summary.failures.append(
                    f"package {package.id_paquete}: {package.error or package.status}"
                )
        return summary

    def _now(self) -> datetime:
        return self.client.now()


def _describe(direction: str, kind: str, period: Period) -> str:
    """How events and the summary name a request: ``emitidos cfdi 2025-01-01_2025-01-31``."""
    return f"{direction} {kind.lower()} {period.label}"


def _subject(row: RequestRow) -> str:
    return _describe(row.direction, row.kind, Period(row.period_start, row.period_end))
