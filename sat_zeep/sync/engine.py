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
- A download is counted (by the database, never past two) just before Descargar is sent, and
  given back when nothing reached SAT (DNS, refused, TLS, Autentica failing). A package already
  in place is checked, not downloaded again.
- Transient failures are retried with backoff and jitter, across runs (``retry``); a run that
  never reached SAT leaves every request as it was (nothing is unconfirmed).
- A package whose two downloads were used without a whole copy (or that expired, with
  ``rerequest_expired``) has its period asked for again as a new request, one second wider;
  once that one's packages are in, the old request's packages are kept as ``.superseded``.
- 5003 (too many documents) halves the period and asks again; 5004 means nothing to download;
  5002 (the period used up) and 5005 (a duplicate of a request we do not hold) ask for a
  period one second wider.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from pathlib import Path

from ..client.codes import CodEstatus, EstadoSolicitud, TipoSolicitud
from ..client.models import SolicitaDescargaResult
from ..client.parameters import earliest_start
from ..client.polling import PollPolicy
from ..client.sat_client import MEXICO_TIME, SatClient
from ..errors import DestinationError, RequestValidationError, SatError
from .crashpoints import crashpoint
from .destination import DEFAULT_MIN_FREE, Destination
from .downloads import RETRY_CODES, UNCERTAIN, Downloads
from .events import EventSink, SyncEvent, SyncSummary, ignore
from .identity import StateOwner
from .ondisk import check_downloaded
from .plan import Period, SyncJob, estado_for, months
from .retry import RetryPolicy, RunHealth, reached_sat
from .store import OPEN_REQUESTS, RequestRow, SyncStore

#: How many times one period is asked for again after losing its packages, at most.
MAX_ASKED_AGAIN = 2
_AGAIN = "|again"
#: Solicitud answers that a period one second wider avoids (5002 used up, 5005 duplicate).
_SHIFT_CODES = (CodEstatus.SOLICITUDES_AGOTADAS, CodEstatus.SOLICITUD_DUPLICADA)
#: How many seconds wider a period may be asked for before a 5002/5005 is final.
MAX_SHIFTS = 3


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
        retry: RetryPolicy | None = None,
        min_free: int = DEFAULT_MIN_FREE,
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
        self.service = client.endpoints.service.value
        self.retry = retry or RetryPolicy(per_run=max_attempts)
        self.destination = Destination(min_free)
        self.health = RunHealth()
        self.store = SyncStore(self.output, StateOwner(client.fiel.rfc, self.service))
        #: Transient failures of each request in this run (submission, verification).
        self._errors: dict[str, int] = {}
        self.downloads = Downloads(
            client,
            self.store,
            self.output,
            self.concurrency,
            on_event,
            retry=self.retry,
            destination=self.destination,
            health=self.health,
            rng=self.rng,
        )

    def close(self) -> None:
        self.store.close()

    # -- the run ------------------------------------------------------------------------------

    def run(self, job: SyncJob) -> SyncSummary:
        """Do everything the job needs that is not done yet; return what stands."""
        self.begin(job)
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="sat-download") as pool:
            while (pause := self.step(pool)) is not None:
                if pause > 0:
                    self.sleep(pause)
        return self.end()

    # The run in steps, for a scheduler that drives many engines side by side:
    # ``begin``, then ``step`` until it returns None (pausing as long as it says), then ``end``.

    def begin(self, job: SyncJob) -> None:
        """Check the job and the folder, plan its periods, look at what is on disk."""
        if job.service.value != self.service:
            raise ValueError(
                f"the job is for {job.service.value} but the client talks to {self.service}; "
                "build the client with the matching Endpoints"
            )
        problem = self.destination.problem(self.output)
        if problem is not None:
            raise DestinationError(
                f"{problem}: free some space (or lower --min-free) and run the same command "
                "again; nothing was sent to SAT",
                path=str(self.output),
            )
        self._job = job
        self._plan(job)
        check_downloaded(self.store, self._now(), self.emit)
        self.downloads.remove_stale_parts()
        self._deadline = time.monotonic() + self.max_wait.total_seconds()

    def step(self, pool: ThreadPoolExecutor) -> float | None:
        """Submit, verify and download what is due now (downloads on ``pool``).

        Returns how many seconds until something is due again, or None when the run is over
        (nothing left this run may do, a blocked folder, or ``max_wait`` passed).
        """
        self._ask_again(self._job)
        self._submit_all()
        self._poll_due()
        if self._download_ready(pool):
            return 0.0  # what the downloads left (a retry, a period asked again) is due now
        if self.downloads.blocked or not self._open_work():
            return None
        if time.monotonic() >= self._deadline:
            self.emit(SyncEvent("waiting", "sync", "stopped waiting for SAT (max wait)"))
            return None
        return self._until_next_check(self._deadline)

    def end(self) -> SyncSummary:
        """What stands once the steps are over."""
        self._ask_again(self._job)
        return self.summary()

    def _download_ready(self, pool: ThreadPoolExecutor) -> bool:
        """Run the ready downloads on ``pool`` until none is left to start; whether any ran."""
        running: dict[Future[None], str] = {}
        ran = False
        try:
            while True:
                self.downloads.start(pool, running)
                if not running:
                    return ran
                ran = True
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    future.result()
        finally:
            wait(running)  # none of this engine's downloads outlives its step

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

    # -- periods asked for again ----------------------------------------------------------------

    def _ask_again(self, job: SyncJob) -> None:
        """New requests for periods whose packages are lost; old copies set aside when done."""
        lost = list(self.store.packages("exhausted"))
        if job.rerequest_expired:
            lost += self.store.packages("expired")
        for package in lost:
            row = self.store.request(package.request_key)
            if row is None or row.status != "finished":
                continue
            if row.key.count(_AGAIN) >= MAX_ASKED_AGAIN:
                continue  # stays a failure: SAT keeps failing this period's packages
            self._replace(row, package.error or package.status)
        for row in self.store.requests("replaced"):
            self._supersede(row)

    def _replace(self, row: RequestRow, reason: str) -> None:
        """Ask for ``row``'s period again as a request SAT sees as new (one second wider)."""
        number = 1 + sum(1 for r in self.store.requests() if r.key.startswith(row.key + _AGAIN))
        period = Period(row.period_start, row.period_end)
        again = self._row(row.direction, row.kind, period, row.parent)
        again.update(key=f"{row.key}{_AGAIN}{number}", variant=row.variant + 1, replaces=row.key)
        self.store.add_request(again, self._now())
        self.store.update_request(
            row.key, self._now(), status="replaced", error=f"asked for again: {reason}"
        )
        self.emit(
            SyncEvent("planned", _subject(row), f"asked for again as a new request: {reason}")
        )

    def _supersede(self, row: RequestRow) -> None:
        """Once the newest request for ``row``'s period has every package, set ``row``'s aside."""
        latest = row
        while latest.status == "replaced":
            successor = next((r for r in self.store.requests() if r.replaces == latest.key), None)
            if successor is None:
                return
            latest = successor
        if latest.status != "finished":
            return
        packages = [p for p in self.store.packages() if p.request_key == latest.key]
        if any(p.status != "downloaded" for p in packages):
            return
        for package in self.store.packages("downloaded"):
            if package.request_key != row.key:
                continue
            if package.path.exists():
                package.path.replace(package.path.with_name(package.path.name + ".superseded"))
            self.store.update_package(
                package.id_paquete,
                self._now(),
                status="superseded",
                error=f"its period was downloaded again ({latest.key})",
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
        """Something this run may still do: submit, verify, download or wait for."""
        if any(self._errors.get(r.key, 0) < self.retry.per_run for r in self._to_submit()):
            return True
        if self._pollable():
            return True
        return bool(self.downloads.waiting())

    def _until_next_check(self, deadline: float) -> float:
        """Seconds until the next check, retry or download is due (at most a minute)."""
        now = self._now()
        times = [r.next_check for r in self._pollable() if r.next_check]
        times += [r.not_before for r in self._to_submit() if r.not_before]
        times += [p.not_before for p in self.downloads.waiting() if p.not_before]
        wait_for = 1.0
        if times:
            wait_for = (min(times) - now).total_seconds()
        return max(0.0, min(wait_for, deadline - time.monotonic(), 60.0))

    # -- Solicitud ------------------------------------------------------------------------------

    def _to_submit(self) -> list[RequestRow]:
        return self.store.requests("planned", "submitting", "unconfirmed")

    def _submit_all(self) -> None:
        now = self._now()
        for row in self._to_submit():
            if self._errors.get(row.key, 0) >= self.retry.per_run:
                continue
            if row.not_before is None or row.not_before <= now:
                self._submit(row)

    def _for_now(self, row: RequestRow, error: SatError | str, **values: object) -> None:
        """A transient failure of ``row``: remembered, tried again after a backoff."""
        self._errors[row.key] = self._errors.get(row.key, 0) + 1
        self.health.failed(error)
        not_before = self._now() + self.retry.delay(row.errors + 1, self.rng)
        self.store.request_failed_for_now(row.key, self._now(), str(error), not_before, **values)

    def _submit(self, row: RequestRow) -> None:
        try:
            self.client.current_token()
        except UNCERTAIN as error:  # Autentica failed: nothing was asked of SAT
            self._for_now(row, error)
            self.emit(SyncEvent("retrying", _subject(row), f"not sent: {error}"))
            return
        variant = row.variant
        if row.status in ("submitting", "unconfirmed"):
            # SAT may hold the previous attempt: ask for a different (wider) period instead.
            variant += 1
        self.store.update_request(
            row.key, self._now(), status="submitting", variant=variant, attempts=row.attempts + 1
        )
        crashpoint("submit")
        start, end = self._varied_period(row, variant)
        try:
            result = self._solicita(row, start, end)
        except RequestValidationError as error:
            self._fail(row, str(error))
            return
        except UNCERTAIN as error:
            if not reached_sat(error):  # nothing reached SAT: the request is as it was
                self._for_now(
                    row, error, status=row.status, variant=row.variant, attempts=row.attempts
                )
                self.emit(SyncEvent("retrying", _subject(row), f"not sent: {error}"))
                return
            self._for_now(row, error, status="unconfirmed")
            self.emit(SyncEvent("retrying", _subject(row), f"Solicitud unconfirmed: {error}"))
            return
        crashpoint("submitted")
        if result.is_accepted and result.id_solicitud:
            self.health.ok()
            self.store.update_request(
                row.key,
                self._now(),
                status="accepted",
                id_solicitud=result.id_solicitud,
                checks=0,
                next_check=self._now() + self.poll.delay(1, self.rng),
                error=None,
                not_before=None,
            )
            self.emit(SyncEvent("accepted", _subject(row), id_solicitud=result.id_solicitud))
        elif result.cod_estatus in RETRY_CODES:
            # A definite "not registered": the same request may be sent again.
            self._for_now(row, f"SAT: {result.mensaje}", status="planned", variant=variant)
            self.emit(SyncEvent("retrying", _subject(row), f"SAT: {result.mensaje}"))
        elif result.cod_estatus in _SHIFT_CODES:
            # This exact period is used up (5002) or held by a request we do not know (5005):
            # a period one second wider is a new request for SAT.
            self.health.ok()
            reason = f"SAT answered {int(result.cod_estatus)} {result.mensaje}"
            if variant >= MAX_SHIFTS:
                self.store.update_request(row.key, self._now(), codigo=int(result.cod_estatus))
                self._fail(row, f"SAT refused the request: {reason} (also {variant} s wider)")
                return
            self.store.update_request(
                row.key, self._now(), status="planned", variant=variant + 1, error=reason
            )
            self.emit(SyncEvent("retrying", _subject(row), f"{reason}: asking one second wider"))
        else:
            self.health.ok()
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
        limit = 2 * self.retry.per_run
        return [r for r in self.store.requests("accepted") if self._errors.get(r.key, 0) < limit]

    def _poll(self, row: RequestRow) -> None:
        crashpoint("verify")
        checks = row.checks + 1
        try:
            state = self.client.verifica_solicitud_descarga(row.id_solicitud or "")
        except UNCERTAIN as error:
            self._errors[row.key] = self._errors.get(row.key, 0) + 1
            self.health.failed(error)
            self._later(row, checks, f"verification failed, will retry: {error}")
            return
        self._errors.pop(row.key, None)
        crashpoint("verified")
        code = state.cod_estatus
        if code in RETRY_CODES:
            self._errors[row.key] = self._errors.get(row.key, 0) + 1
            self.health.failed(f"SAT: {state.mensaje}")
            self._later(row, checks, f"SAT: {state.mensaje}")
            return
        self.health.ok()
        if code == CodEstatus.TOPE_MAXIMO or state.codigo_estado_solicitud == 5003:
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
        """Counts from the state database (all runs so far), and how this run ended."""
        summary = SyncSummary(outage=self.health.outage(), blocked=self.downloads.blocked)
        summary.last_error = self.health.last_error
        for row in self.store.requests():
            summary.requests[row.status] = summary.requests.get(row.status, 0) + 1
            if row.status == "finished":
                summary.documents[row.kind] = summary.documents.get(row.kind, 0) + row.numero_cfdis
            if row.status in ("failed", "expired"):
                summary.failures.append(f"{_subject(row)}: {row.error or row.status}")
            if row.status == "replaced":
                summary.asked_again.append(f"{_subject(row)}: {row.error}")
            if row.status == "accepted":
                summary.pending_at_sat += 1
            elif row.status in OPEN_REQUESTS:
                summary.to_retry += 1
        for package in self.store.packages():
            summary.packages[package.status] = summary.packages.get(package.status, 0) + 1
            if package.status == "downloaded":
                summary.bytes_downloaded += package.size or 0
            if package.status in ("failed", "expired", "exhausted"):
                request = self.store.request(package.request_key)
                if request is None or request.status != "replaced":
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
