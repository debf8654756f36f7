"""One step of one taxpayer: submit what is due, check what is open, download what is ready.

A step runs under a fence taken when it starts (``FleetStore.claim``); every write carries it,
so a step that was given up for dead (paused, partitioned, slow) stops at its next write with
``StaleFenceError``, having sent nothing more. The rules that make a second run of a step
harmless are the store's: an attempt is committed before its Solicitud is sent, under a unique
(RFC, parameters, variant); a download is counted before it is sent, never past two. No database
transaction is open while SAT is called. All retry state (attempts, not-before, errors) is in
the store, so a restart goes on with the same backoff.

    step = TaxpayerStep(store, client, taxpayer, fence, out=Path("facturas"))
    next_due = step.run()        # None: nothing left to do until new periods are planned
"""

from __future__ import annotations

import os
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from ...client.codes import CodEstatus, EstadoSolicitud, TipoSolicitud
from ...client.models import SolicitaDescargaResult
from ...client.polling import PollPolicy
from ...client.sat_client import MEXICO_TIME, SatClient
from ...errors import PackageTransferError, RequestValidationError
from ...packages.archive.stream_check import check_zip_file
from ..downloads import RETRY_CODES, UNCERTAIN
from ..plan import Period, estado_for
from .rows import PackageRow, PeriodRow, RequestRow, TaxpayerRow
from .store import Fence, FleetStore
from .windows import new_period, parameters_of, plan_for, sent_period

__all__ = ["StepSettings", "TaxpayerStep", "package_path"]


@dataclass(frozen=True)
class StepSettings:
    """How patient a step is with SAT."""

    poll: PollPolicy = field(default_factory=PollPolicy)
    #: Solicitud attempts of one period before it is given up (each one a new variant).
    max_attempts: int = 6
    #: Failed verifications (transport errors) of one request before it is given up.
    max_errors: int = 12
    #: Longest pause after a failure (the pause doubles from 1 s up to this).
    max_backoff: timedelta = timedelta(minutes=5)


def package_path(taxpayer: TaxpayerRow, period: PeriodRow, id_paquete: str) -> str:
    """Where a package goes, relative to the output folder: the taxpayer's own folder."""
    label = Period(
        datetime.fromisoformat(period.period_start), datetime.fromisoformat(period.period_end)
    ).label
    parts = (taxpayer.rfc, taxpayer.service, period.direction, period.kind.lower(), label)
    return "/".join((*parts, f"{id_paquete}.zip"))


class TaxpayerStep:
    """The work of one taxpayer that is due now, under one fence."""

    def __init__(
        self,
        store: FleetStore,
        client: SatClient,
        taxpayer: TaxpayerRow,
        fence: Fence,
        out: Path,
        settings: StepSettings | None = None,
        worker: str = "",
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.taxpayer = taxpayer
        self.fence = fence
        self.out = out
        self.settings = settings or StepSettings()
        self.worker = worker
        self.rng = rng or random.Random()
        self.sent = 0

    def run(self) -> datetime | None:
        """Do what is due; when the taxpayer is next due (None: nothing left)."""
        self.plan()
        self.submit_due()
        self.check_open()
        self.download_ready()
        return self.next_due()

    def plan(self) -> int:
        """Once a day: the periods of the taxpayer's window not planned yet; how many."""
        today = self._today()
        if self.taxpayer.planned_on == today.isoformat():
            return 0
        added = self.store.plan(self.fence, plan_for(self.taxpayer, today), self._now())
        self.store.write(self.fence, "planned_on", day=today.isoformat())
        return added

    def next_due(self) -> datetime | None:
        s = self.settings
        return self.store.next_due(self.taxpayer.rfc, self._now(), s.max_attempts, s.max_errors)

    # -- Solicitud ------------------------------------------------------------------------------

    def submit_due(self) -> None:
        for period in self.store.periods_to_submit(self.taxpayer.rfc):
            if period.attempts >= self.settings.max_attempts:
                self._end_period(period, "failed", None, _gave_up(period))
            elif period.not_before is None or period.not_before <= self._now():
                self._submit(period)

    def _submit(self, period: PeriodRow) -> None:
        parameters = parameters_of(period, self.taxpayer.service)
        variant = period.variant
        if period.status in ("submitting", "unconfirmed"):
            # The last attempt may have reached SAT. Its IdSolicitud, if it came back after all,
            # is in the store: adopt it. Otherwise ask for a different (wider) period.
            last = self.store.attempt(self.taxpayer.rfc, parameters, variant)
            request = None if last is None else self.store.request_of_attempt(last.id)
            if request is not None:
                self._answered(period, "accepted", variant, request.id_solicitud, 5000, None)
                return
            if last is not None:
                variant += 1
        start, end = sent_period(period, variant, self._today())
        attempt_id = self.store.begin_attempt(
            self.fence,
            period,
            parameters=parameters,
            variant=variant,
            sent_start=start.isoformat(),
            sent_end=end.isoformat(),
            worker=self.worker,
            now=self._now(),
        )
        if attempt_id is None:  # another step sent this very Solicitud: never send it again
            self._answered(period, "unconfirmed", variant, None, None, "sent by another step")
            return
        try:
            self.sent += 1
            result = self._solicita(period, start, end)
        except RequestValidationError as error:
            self._end_period(period, "failed", None, str(error))
            return
        except UNCERTAIN as error:
            backoff = self._backoff(period.attempts + 1)
            self._answered(period, "unconfirmed", variant, None, None, str(error), backoff)
            return
        if result.is_accepted and result.id_solicitud:
            first_check = self._now() + self.settings.poll.delay(1, self.rng)
            self.store.record_request(
                attempt_id, result.id_solicitud, period, first_check, self._now()
            )
            self._answered(period, "accepted", variant, result.id_solicitud, 5000, None)
        elif result.cod_estatus in RETRY_CODES:
            # Not registered: ask again later, as the next variant (never the same twice).
            backoff = self._backoff(period.attempts + 1)
            self._answered(period, "planned", variant + 1, None, None, result.mensaje, backoff)
        else:
            code = int(result.cod_estatus)
            self._end_period(period, "failed", code, f"SAT refused it: {code} {result.mensaje}")

    def _solicita(
        self, period: PeriodRow, start: datetime, end: datetime
    ) -> SolicitaDescargaResult:
        kind = TipoSolicitud(period.kind)
        estado = estado_for(period.direction, kind)
        if period.direction == "emitidos":
            return self.client.solicita_descarga_emitidos(
                start, end, kind, estado_comprobante=estado
            )
        return self.client.solicita_descarga_recibidos(start, end, kind, estado_comprobante=estado)

    def _answered(
        self,
        period: PeriodRow,
        status: str,
        variant: int,
        id_solicitud: str | None,
        codigo: int | None,
        error: str | None,
        not_before: datetime | None = None,
    ) -> None:
        self.store.write(
            self.fence,
            "period_answered",
            key=period.key,
            status=status,
            variant=variant,
            id_solicitud=id_solicitud,
            codigo=codigo,
            not_before=not_before,
            last_error=error,
            now=self._now(),
        )

    def _end_period(
        self, period: PeriodRow, status: str, codigo: int | None, error: str | None
    ) -> None:
        self.store.write(
            self.fence,
            "period_ended",
            key=period.key,
            status=status,
            codigo=codigo,
            numero_cfdis=0,
            last_error=error,
            now=self._now(),
        )

    # -- Verificación ---------------------------------------------------------------------------

    def check_open(self) -> None:
        for request in self.store.requests_to_check(self.taxpayer.rfc):
            if request.errors >= self.settings.max_errors:
                self._end(request, "failed", "failed", None, "SAT could not be asked about it")
            elif request.next_check is None or request.next_check <= self._now():
                self._check(request)

    def _check(self, request: RequestRow) -> None:
        checks = request.checks + 1
        self.store.check_fence(self.fence)  # a step taken over asks SAT nothing more
        try:
            self.sent += 1
            state = self.client.verifica_solicitud_descarga(request.id_solicitud)
        except UNCERTAIN as error:
            errors = request.errors + 1
            self._later(request, checks - 1, errors, self._backoff(errors), str(error))
            return
        code = state.cod_estatus
        if code in RETRY_CODES:
            self._later(request, checks, request.errors, self._poll_delay(checks), state.mensaje)
        elif code == CodEstatus.TOPE_MAXIMO or state.codigo_estado_solicitud == 5003:
            self._split(request)
        elif code != CodEstatus.SOLICITUD_ACEPTADA:
            reason = f"SAT answered {int(code)} {state.mensaje} to the verification"
            self._end(request, "failed", "failed", int(code), reason)
        elif state.is_finished:
            period = self._period(request.period_key)
            packages = {i: package_path(self.taxpayer, period, i) for i in state.ids_paquetes}
            self.store.finish_request(
                self.fence, request, state.numero_cfdis, packages, self._now()
            )
        elif state.is_pending:
            self._later(request, checks, request.errors, self._poll_delay(checks), None)
        elif state.codigo_estado_solicitud == CodEstatus.NO_SE_ENCONTRO_INFORMACION:
            self._end(request, "empty", "empty", 5004, None)
        elif state.estado_solicitud is EstadoSolicitud.VENCIDA:
            self._end(request, "expired", "expired", None, "the packages expired (72 hours)")
        else:
            reason = f"the request ended {state.estado_solicitud.name}: {state.mensaje}"
            self._end(request, "failed", "failed", None, reason)

    def _later(
        self, request: RequestRow, checks: int, errors: int, when: datetime, error: str | None
    ) -> None:
        self.store.write(
            self.fence,
            "request_checked",
            id_solicitud=request.id_solicitud,
            checks=checks,
            errors=errors,
            next_check=when,
            last_error=error,
            now=self._now(),
        )

    def _end(
        self,
        request: RequestRow,
        status: str,
        period_status: str,
        codigo: int | None,
        error: str | None,
    ) -> None:
        self.store.end_request(
            self.fence, request, status, period_status, codigo, error, self._now()
        )

    def _split(self, request: RequestRow) -> None:
        period = self._period(request.period_key)
        halves = Period(
            datetime.fromisoformat(period.period_start), datetime.fromisoformat(period.period_end)
        ).halves()
        if halves is None:
            self._end(
                request, "failed", "failed", 5003, "too many documents in the shortest period"
            )
            return
        t = self.taxpayer
        self.store.plan(
            self.fence,
            [
                new_period(t.rfc, t.service, period.direction, period.kind, h, period.key)
                for h in halves
            ],
            self._now(),
        )
        self._end(request, "split", "split", 5003, None)

    def _period(self, key: str) -> PeriodRow:
        return next(p for p in self.store.periods(self.taxpayer.rfc) if p.key == key)

    # -- Descarga -------------------------------------------------------------------------------

    def download_ready(self) -> None:
        for package in self.store.packages_to_download(self.taxpayer.rfc):
            if package.not_before is None or package.not_before <= self._now():
                self._download(package)

    def _download(self, package: PackageRow) -> None:
        path = self.out / package.path
        if path.exists():
            checked = _checked(path)
            if checked is not None:  # a step that died after the rename, before writing it down
                self._downloaded(package, *checked)
                return
            path.unlink()
        used = self.store.start_download(self.fence, package.id_paquete, self._now())
        if used is None:  # both downloads spent: nothing is sent
            self._not_downloaded(package, "failed", "both of the package's downloads were used")
            return
        fetching = path.with_name(f".{path.name}.fetching")
        try:
            self.sent += 1
            result = self.client.descargar(package.id_paquete, destino=fetching)
        except (PackageTransferError, *UNCERTAIN) as error:
            status = "pending" if used < 2 else "failed"
            self._not_downloaded(package, status, str(error), self._backoff(package.errors + 1))
            return
        code = result.cod_estatus
        if result.is_accepted and result.path is not None:
            _make_durable(fetching, path)
            self._downloaded(package, result.sha256 or "", result.size)
        elif code == CodEstatus.PAQUETE_VENCIDO:
            self._not_downloaded(package, "expired", result.mensaje)
        elif code in RETRY_CODES and used < 2:
            self._not_downloaded(package, "pending", result.mensaje, self._backoff(used))
        else:
            self._not_downloaded(package, "failed", f"SAT answered {int(code)} {result.mensaje}")

    def _downloaded(self, package: PackageRow, sha256: str, size: int) -> None:
        self.store.write(
            self.fence,
            "package_downloaded",
            id_paquete=package.id_paquete,
            size=size,
            sha256=sha256,
            now=self._now(),
        )

    def _not_downloaded(
        self, package: PackageRow, status: str, error: str, not_before: datetime | None = None
    ) -> None:
        self.store.write(
            self.fence,
            "package_not_downloaded",
            id_paquete=package.id_paquete,
            status=status,
            not_before=not_before,
            last_error=error,
            now=self._now(),
        )

    # -- time -----------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.client.now()

    def _today(self) -> date:
        return self._now().astimezone(MEXICO_TIME).date()

    def _backoff(self, failures: int) -> datetime:
        seconds = min(2.0 ** max(0, failures - 1), self.settings.max_backoff.total_seconds())
        return self._now() + timedelta(seconds=seconds * self.rng.uniform(0.8, 1.2))

    def _poll_delay(self, checks: int) -> datetime:
        return self._now() + self.settings.poll.delay(checks, self.rng)


def _gave_up(period: PeriodRow) -> str:
    return f"gave up after {period.attempts} attempts: {period.last_error or 'no answer'}"


def _checked(path: Path) -> tuple[str, int] | None:
    """(sha256, size) of a ZIP that passes a download's checks, or None."""
    try:
        return check_zip_file(path), path.stat().st_size
    except (zipfile.BadZipFile, OSError):
        return None


def _make_durable(fetched: Path, final: Path) -> None:
    """fsync the file, rename it into place, fsync the folder: durable on local disk and NFS."""
    with fetched.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(fetched, final)
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
