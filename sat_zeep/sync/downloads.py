"""The sync's downloads: each package counted only when Descargar may reach SAT, checked, filed.

A package is asked for at most twice, ever (SAT refuses a third time with 5008). Before each
attempt the folder is checked (writable, ``--min-free`` left) and a token is obtained; then the
database counts the download, refusing when two are counted
(``UPDATE … WHERE downloads_used < 2 RETURNING …``), and only then is Descargar sent. A failure
before any byte reached SAT (DNS, refused, TLS handshake, Autentica) gives the count back.

Transient failures leave the package ``pending`` with a ``not_before``; a package whose two
downloads were used without a whole copy becomes ``exhausted`` and its period is asked for again
(see the engine). A file already at its place (a run that died after the rename but before
writing it down) is checked, not downloaded again.
"""

from __future__ import annotations

import random
import threading
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from ..client.codes import CodEstatus
from ..client.parameters import is_id_paquete
from ..client.sat_client import SatClient
from ..errors import (
    PackageTransferError,
    SatError,
    SatHTTPError,
    SatResponseError,
    SatTransportError,
)
from ..packages.archive.stream_check import check_zip_file
from ..packages.download import free_damaged_name
from .crashpoints import crashpoint
from .destination import Destination
from .events import EventSink, SyncEvent
from .retry import RetryPolicy, RunHealth, reached_sat
from .store import DOWNLOADS_PER_PACKAGE, PackageRow, SyncStore

#: Answers that say SAT may or may not have acted on a call.
UNCERTAIN = (SatTransportError, SatHTTPError, SatResponseError)
#: SAT codes that mean "not done, try again" (Error no controlado, error interno).
RETRY_CODES = (CodEstatus.ERROR_NO_CONTROLADO, CodEstatus.ERROR_INTERNO)

__all__ = ["DOWNLOADS_PER_PACKAGE", "RETRY_CODES", "UNCERTAIN", "Downloads"]


class Downloads:
    """Starts the pending downloads on a pool and records what becomes of each."""

    def __init__(
        self,
        client: SatClient,
        store: SyncStore,
        output: Path,
        concurrency: int,
        emit: EventSink,
        *,
        retry: RetryPolicy | None = None,
        destination: Destination | None = None,
        health: RunHealth | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.output = output
        self.concurrency = concurrency
        self.emit = emit
        self.retry = retry or RetryPolicy()
        self.destination = destination or Destination()
        self.health = health or RunHealth()
        self.rng = rng or random.Random()
        #: Why no download may start now (a full or unwritable folder), once found.
        self.blocked: str | None = None
        self._errors: dict[str, int] = {}
        self._lock = threading.Lock()

    def waiting(self) -> list[PackageRow]:
        """Packages this run may still try (downloads left, under this run's error limit)."""
        if self.blocked:
            return []
        return [
            package
            for package in self.store.packages("pending", "downloading")
            if self._errors.get(package.id_paquete, 0) < self.retry.per_run
            and (package.downloads_used < DOWNLOADS_PER_PACKAGE or package.path.exists())
        ]

    def start(self, pool: ThreadPoolExecutor, running: dict[Future[None], str]) -> None:
        """Submit due packages to ``pool`` until ``concurrency`` are running."""
        busy = set(running.values())
        now = self._now()
        for package in self.store.packages("pending", "downloading"):
            if len(running) >= self.concurrency or self.blocked:
                return
            if package.id_paquete in busy:
                continue
            if package.downloads_used >= DOWNLOADS_PER_PACKAGE and not package.path.exists():
                self._exhausted(package)
                continue
            if self._errors.get(package.id_paquete, 0) >= self.retry.per_run:
                continue
            if package.not_before is not None and package.not_before > now:
                continue
            running[pool.submit(self.download, package)] = package.id_paquete

    def download(self, package: PackageRow) -> None:
        """One attempt at one package (in a worker thread)."""
        misplaced = misplaced_package(package, self.output)
        if misplaced:
            self._failed(package, misplaced)
            return
        if package.path.exists():
            checked = _checked(package.path)
            if checked is not None:  # a previous run got it and died before writing it down
                self._downloaded(package, *checked)
                return
            package.path.replace(free_damaged_name(package.path))
            if package.downloads_used >= DOWNLOADS_PER_PACKAGE:
                self._exhausted(package)
                return
        problem = self.destination.problem(package.path.parent)
        if problem is not None:
            self._block(package, problem)
            return
        try:
            self.client.current_token()
        except UNCERTAIN as error:  # Autentica failed: no Descargar was sent, nothing counted
            self._not_sent(package, error)
            return
        used = self.store.start_download(package.id_paquete, self._now())
        if used is None:
            self._exhausted(package)
            return
        crashpoint("download")
        self.emit(SyncEvent("download-started", package.id_paquete, id_paquete=package.id_paquete))
        try:
            result = self.client.descargar(
                package.id_paquete, destino=package.path, progress=self._progress
            )
        except (PackageTransferError, *UNCERTAIN) as error:
            if not reached_sat(error):
                self.store.give_back_download(
                    package.id_paquete, self._now(), str(error), self._not_before(package)
                )
                self._not_sent(package, error, counted=False)
            else:
                self._spent(package, used, error)
            return
        except OSError as error:  # the disk under the package failed while it arrived
            self._spent(package, used, f"could not write {package.path}: {error.strerror}")
            self.blocked = f"{package.path.parent} cannot be written ({error.strerror})"
            return
        code = result.cod_estatus
        if result.is_accepted and result.path is not None:
            self.health.ok()
            crashpoint("downloaded")
            self._downloaded(package, result.sha256 or "", result.size)
        elif code == CodEstatus.PAQUETE_VENCIDO:
            self.health.ok()
            self.store.update_package(package.id_paquete, self._now(), status="expired")
            self.emit(SyncEvent("expired", package.id_paquete, result.mensaje))
        elif code in RETRY_CODES:
            self._spent(package, used, f"SAT answered {int(code)} {result.mensaje}")
        elif code == CodEstatus.MAXIMO_DE_DESCARGAS:
            self.health.ok()
            self._exhausted(package, f"SAT answered {int(code)} {result.mensaje}")
        else:
            self.health.ok()
            self._failed(package, f"SAT answered {int(code)} {result.mensaje}")

    def remove_stale_parts(self) -> None:
        """Temporary files of downloads that a killed run left behind (never a whole package)."""
        for part in self.output.glob("**/.*.part"):
            part.unlink(missing_ok=True)

    def _progress(self, size: int) -> None:
        crashpoint("mid-download")
        self.emit(SyncEvent("download-progress", "", size=size))

    def _not_before(self, package: PackageRow) -> datetime:
        errors = package.errors + 1
        return self._now() + self.retry.delay(errors, self.rng)

    def _count_error(self, package: PackageRow) -> None:
        with self._lock:
            self._errors[package.id_paquete] = self._errors.get(package.id_paquete, 0) + 1

    def _not_sent(self, package: PackageRow, error: SatError, *, counted: bool = True) -> None:
        """Nothing reached SAT for this attempt: no download used; tried again later."""
        self.health.failed(error)
        self._count_error(package)
        if counted:
            self.store.package_failed_for_now(
                package.id_paquete, self._now(), str(error), self._not_before(package)
            )
        message = f"no download used, will retry: {error}"
        self.emit(SyncEvent("retrying", package.id_paquete, message, id_paquete=package.id_paquete))

    def _spent(self, package: PackageRow, used: int, error: SatError | str) -> None:
        """The attempt may have reached SAT: its download is spent; again if one is left."""
        self.health.failed(error)
        self._count_error(package)
        if used >= DOWNLOADS_PER_PACKAGE:
            self._exhausted(package, str(error))
            return
        self.store.package_failed_for_now(
            package.id_paquete, self._now(), str(error), self._not_before(package)
        )
        left = DOWNLOADS_PER_PACKAGE - used
        message = f"{error} ({left} download{'s' if left != 1 else ''} left)"
        self.emit(SyncEvent("retrying", package.id_paquete, message, id_paquete=package.id_paquete))

    def _block(self, package: PackageRow, problem: str) -> None:
        self.blocked = problem
        message = f"not downloaded (no download used): {problem}"
        self.store.update_package(package.id_paquete, self._now(), error=message)
        self.emit(SyncEvent("waiting", package.id_paquete, message, id_paquete=package.id_paquete))

    def _downloaded(self, package: PackageRow, sha256: str, size: int) -> None:
        self.store.update_package(
            package.id_paquete,
            self._now(),
            status="downloaded",
            sha256=sha256,
            size=size,
            error=None,
            not_before=None,
        )
        self.emit(
            SyncEvent("downloaded", str(package.path), id_paquete=package.id_paquete, size=size)
        )

    def _exhausted(self, package: PackageRow, last: str = "") -> None:
        reason = _exhausted(package) + (f" (last: {last})" if last else "")
        self.store.update_package(package.id_paquete, self._now(), status="exhausted", error=reason)
        self.emit(SyncEvent("failed", package.id_paquete, reason, id_paquete=package.id_paquete))

    def _failed(self, package: PackageRow, reason: str) -> None:
        self.store.update_package(package.id_paquete, self._now(), status="failed", error=reason)
        self.emit(SyncEvent("failed", package.id_paquete, reason, id_paquete=package.id_paquete))

    def _now(self) -> datetime:
        return self.client.now()


def misplaced_package(package: PackageRow, output: Path) -> str | None:
    """Why ``package`` must not be touched (an id or path SAT's answers cannot make), or None.

    Ids are checked when SAT lists them; this guards states written before they were.
    """
    if not is_id_paquete(package.id_paquete):
        return f"the package id {package.id_paquete[:80]!r} is not <IdSolicitud>_<number>"
    path = package.path
    inside = path.resolve().is_relative_to(output.resolve())
    if path.name != f"{package.id_paquete}.zip" or not inside:
        return f"its recorded path {str(path)[:200]!r} is outside {output} or misnamed: untouched"
    return None


def _exhausted(package: PackageRow) -> str:
    kept = sorted(package.path.parent.glob(package.path.name + ".damaged*"))
    where = f"; what arrived is kept in {', '.join(str(path) for path in kept)}" if kept else ""
    return f"both of the package's downloads were used without a whole copy{where}"


def _checked(path: Path) -> tuple[str, int] | None:
    """(sha256, size) of a ZIP that passes the checks a download gets, or None."""
    try:
        return check_zip_file(path), path.stat().st_size
    except (zipfile.BadZipFile, OSError):
        return None
