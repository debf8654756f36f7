"""The sync's downloads: each package counted before it is asked for, checked, and filed.

A package is asked for at most twice, ever (SAT refuses a third time with 5008): the count is
written to the state database *before* each attempt. A file already at its place (a run that
died after the rename but before writing it down) is checked, not downloaded again.
"""

from __future__ import annotations

import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from ..client import SatClient
from ..codes import CodEstatus
from ..download import free_damaged_name
from ..errors import PackageTransferError, SatHTTPError, SatResponseError, SatTransportError
from ..parameters import is_id_paquete
from ..zipcheck import check_zip_file
from .crashpoints import crashpoint
from .events import EventSink, SyncEvent
from .store import PackageRow, SyncStore

#: Answers that say SAT may or may not have acted on a call.
UNCERTAIN = (SatTransportError, SatHTTPError, SatResponseError)
#: SAT codes that mean "not done, try again" (Error no controlado, error interno).
RETRY_CODES = (CodEstatus.ERROR_NO_CONTROLADO, CodEstatus.ERROR_INTERNO)
#: SAT's limit of downloads per package.
DOWNLOADS_PER_PACKAGE = 2


class Downloads:
    """Starts the pending downloads on a pool and records what becomes of each."""

    def __init__(
        self,
        client: SatClient,
        store: SyncStore,
        output: Path,
        concurrency: int,
        emit: EventSink,
    ) -> None:
        self.client = client
        self.store = store
        self.output = output
        self.concurrency = concurrency
        self.emit = emit

    def start(self, pool: ThreadPoolExecutor, running: dict[Future[None], str]) -> None:
        """Submit pending packages to ``pool`` until ``concurrency`` are running."""
        busy = set(running.values())
        for package in self.store.packages("pending", "downloading"):
            if len(running) >= self.concurrency:
                return
            if package.id_paquete in busy:
                continue
            if package.downloads_used >= DOWNLOADS_PER_PACKAGE and not package.path.exists():
                self._failed(package, _exhausted(package))
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
                self._failed(package, _exhausted(package))
                return
        used = self.store.start_download(package.id_paquete, self._now())
        crashpoint("download")
        self.emit(SyncEvent("download-started", package.id_paquete, id_paquete=package.id_paquete))
        try:
            result = self.client.descargar(
                package.id_paquete, destino=package.path, progress=self._progress
            )
        except (PackageTransferError, *UNCERTAIN) as error:
            again = used < DOWNLOADS_PER_PACKAGE
            self.store.update_package(
                package.id_paquete,
                self._now(),
                status="pending" if again else "failed",
                error=str(error),
            )
            self.emit(SyncEvent("retrying" if again else "failed", package.id_paquete, str(error)))
            return
        code = result.cod_estatus
        if result.is_accepted and result.path is not None:
            crashpoint("downloaded")
            self._downloaded(package, result.sha256 or "", result.size)
        elif code == CodEstatus.PAQUETE_VENCIDO:
            self.store.update_package(package.id_paquete, self._now(), status="expired")
            self.emit(SyncEvent("expired", package.id_paquete, result.mensaje))
        elif code in RETRY_CODES and used < DOWNLOADS_PER_PACKAGE:
            self.store.update_package(package.id_paquete, self._now(), status="pending")
        else:
            self._failed(package, f"SAT answered {int(code)} {result.mensaje}")

    def remove_stale_parts(self) -> None:
        """Temporary files of downloads that a killed run left behind (never a whole package)."""
        for part in self.output.glob("**/.*.part"):
            part.unlink(missing_ok=True)

    def _progress(self, size: int) -> None:
        crashpoint("mid-download")
        self.emit(SyncEvent("download-progress", "", size=size))

    def _downloaded(self, package: PackageRow, sha256: str, size: int) -> None:
        self.store.update_package(
            package.id_paquete,
            self._now(),
            status="downloaded",
            sha256=sha256,
            size=size,
            error=None,
        )
        self.emit(
            SyncEvent("downloaded", str(package.path), id_paquete=package.id_paquete, size=size)
        )

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
