"""What is left of failed downloads: ``<package>.zip.damaged``, ``.damaged.2``, ``.damaged.3``…

They are kept while no whole copy of the package is held (to look at, or to show what arrived);
once one lands they tell nothing more and are removed.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["damaged_copies", "retire_damaged_copies"]

_SUFFIX = re.compile(r"\.damaged(\.[0-9]+)?")


def damaged_copies(destino: Path) -> list[Path]:
    """The damaged copies kept beside ``destino``, in name order."""
    prefix = destino.name
    return sorted(
        path
        for path in destino.parent.glob(f"{prefix}.damaged*")
        if _SUFFIX.fullmatch(path.name[len(prefix) :])
    )


def retire_damaged_copies(destino: Path) -> list[Path]:
    """Remove the damaged copies beside ``destino`` (a whole copy is there now); return them."""
    removed = damaged_copies(destino)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
