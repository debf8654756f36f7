"""Before a download is spent: can the folder take a package? Writable, with room to spare.

SAT serves each package only twice, so a package must never be asked for where it cannot be
written. Each folder is probed with a real file (permissions, read-only mounts and immutable
folders all show) and its free space is compared with a margin (``--min-free``)::

    only 120.0 MiB free in facturas/cfdi/emitidos/cfdi (--min-free 512.0 MiB)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Free space kept on the packages' disk by default: more than any package SAT serves.
DEFAULT_MIN_FREE = 512 * 1024 * 1024


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


@dataclass(frozen=True)
class Destination:
    """Where packages go, and the free space that must remain there."""

    min_free: int = DEFAULT_MIN_FREE

    def problem(self, folder: Path) -> str | None:
        """Why a package cannot be written in ``folder`` now (one line), or None."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=".sat-zeep-probe-", dir=folder)
            os.close(handle)
            os.unlink(probe)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            return f"{folder} cannot be written ({reason})"
        free = shutil.disk_usage(folder).free
        if free < self.min_free:
            return f"only {mib(free)} free in {folder} (--min-free {mib(self.min_free)})"
        return None
