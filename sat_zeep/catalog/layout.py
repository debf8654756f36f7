"""Where a sync files its packages.

``<out>/<service>/<direction>/<kind>/<period>/<IdPaquete>.zip``
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FiledPackage", "filed_packages", "place_of"]

SERVICES = ("cfdi", "retenciones")
DIRECTIONS = ("emitidos", "recibidos")
KINDS = ("metadata", "cfdi")


@dataclass(frozen=True)
class FiledPackage:
    """A package's place in a sync's output folder."""

    path: Path
    out: Path
    service: str
    direction: str
    kind: str
    period: str


def place_of(path: Path) -> FiledPackage | None:
    """The place of ``path`` if it sits where a sync files packages, else None."""
    parts = path.parts
    if len(parts) < 5 or path.suffix.lower() != ".zip":
        return None
    service, direction, kind, period = parts[-5], parts[-4], parts[-3], parts[-2]
    if service not in SERVICES or direction not in DIRECTIONS or kind not in KINDS:
        return None
    return FiledPackage(path, path.parents[4], service, direction, kind, period)


def filed_packages(out: Path) -> Iterator[FiledPackage]:
    """Every package filed under ``out``, oldest file first (so later metadata wins)."""
    found = [place for p in out.glob("*/*/*/*/*.zip") if (place := place_of(p)) is not None]
    yield from sorted(found, key=lambda place: (place.path.stat().st_mtime_ns, str(place.path)))
