"""Fixtures for sync tests: fake SAT servers and a way to read what a sync filed."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat

__all__ = ["MakeSat", "documents_counted", "documents_filed", "requests_by_criteria"]


def documents_filed(output: Path) -> dict[tuple[str, str], set[str]]:
    """UUIDs found in the packages under ``output``, by (direction, kind)."""
    found: dict[tuple[str, str], set[str]] = {}
    for (direction, kind, uuid), _ in documents_counted(output).items():
        found.setdefault((direction, kind), set()).add(uuid)
    return found


def documents_counted(output: Path) -> Counter[tuple[str, str, str]]:
    """How many times each (direction, kind, UUID) is in the packages under ``output``."""
    found: Counter[tuple[str, str, str]] = Counter()
    for path in output.glob("*/*/*/*/*.zip"):
        direction, kind = path.parts[-4], path.parts[-3]
        with zipfile.ZipFile(path) as package:
            for name in package.namelist():
                if kind == "cfdi":
                    found[direction, kind, name.removesuffix(".xml").upper()] += 1
                elif not name.endswith("_tercero.txt"):
                    text = io.TextIOWrapper(package.open(name), encoding="utf-8", newline="")
                    rows = text.read().split("\r\n")[1:]
                    for row in rows:
                        if row:
                            found[direction, kind, row.split("~", 1)[0].upper()] += 1
    return found


def requests_by_criteria(sat: FakeSat) -> Counter[tuple[object, ...]]:
    """How many times the server received each distinct request."""
    return Counter((record.query, record.tipo_solicitud) for record in sat.ledger.requests())
