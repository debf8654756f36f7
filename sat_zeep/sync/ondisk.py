"""At the start of every run: are the packages recorded as downloaded still on disk, intact?

Each one's size is compared with what was recorded (a ``stat``), and its SHA-256 is computed
again from the file (about 1.5 GB/s on one core; ``benchmarks/state_check.py``). A package that
is missing or differs is reported, the damaged copy is kept beside it as ``.damaged``, and:

- with a download left at SAT, it goes back to ``pending`` and this run downloads it again;
- with none left, it is marked ``exhausted`` and its period is asked for again as a new
  request, never left looking downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..packages.archive.stream_check import file_sha256
from ..packages.download import free_damaged_name
from .events import EventSink, SyncEvent
from .store import DOWNLOADS_PER_PACKAGE, PackageRow, SyncStore


@dataclass(frozen=True)
class DiskProblem:
    """A package recorded as downloaded that is not on disk as it was."""

    id_paquete: str
    path: Path
    problem: str
    downloads_left: int
    kept: Path | None

    def message(self) -> str:
        kept = f"; what was there is kept as {self.kept.name}" if self.kept else ""
        if self.downloads_left:
            noun = "download" if self.downloads_left == 1 else "downloads"
            action = f"it will be downloaded again ({self.downloads_left} {noun} left)"
        else:
            action = "no download of it is left at SAT: its period will be asked for again"
        return f"{self.path} {self.problem}{kept}; {action}"


def problem_of(package: PackageRow, sha256: Callable[[Path], str] = file_sha256) -> str | None:
    """What is wrong with a downloaded package's file, or None."""
    try:
        size = package.path.stat().st_size
    except FileNotFoundError:
        return "is missing"
    if package.size is not None and size != package.size:
        return f"size differs from the download's ({size} bytes, not {package.size})"
    if package.sha256 and sha256(package.path) != package.sha256:
        return "SHA-256 differs from the download's: the file was changed or damaged"
    return None


def check_downloaded(store: SyncStore, now: datetime, emit: EventSink) -> list[DiskProblem]:
    """Check every package recorded as downloaded; mark and report each one that is not."""
    problems = []
    for package in store.packages("downloaded"):
        problem = problem_of(package)
        if problem is None:
            continue
        kept = None
        if package.path.exists():
            kept = free_damaged_name(package.path)
            package.path.replace(kept)
        left = max(0, DOWNLOADS_PER_PACKAGE - package.downloads_used)
        found = DiskProblem(package.id_paquete, package.path, problem, left, kept)
        status = "pending" if left else "exhausted"
        store.update_package(package.id_paquete, now, status=status, error=found.message())
        kind = "retrying" if left else "failed"
        emit(SyncEvent(kind, package.id_paquete, found.message(), id_paquete=package.id_paquete))
        problems.append(found)
    return problems
