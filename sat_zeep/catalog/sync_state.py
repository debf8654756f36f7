"""What the sync asked SAT for, read (read-only) from its state file in the output folder.

Only these columns of ``.sat-zeep-sync.sqlite3`` are relied on::

    requests(key, direction, kind, period_start, period_end, status)
    packages(request_key, status)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["STATE_FILE", "RequestState", "read_requests"]

STATE_FILE = ".sat-zeep-sync.sqlite3"

_QUERY = """
SELECT r.key, r.direction, r.kind, r.period_start, r.period_end, r.status, p.status
FROM requests r LEFT JOIN packages p ON p.request_key = r.key
"""


@dataclass(frozen=True)
class RequestState:
    """One request of the sync and the statuses of its packages."""

    direction: str
    kind: str
    start: datetime
    end: datetime
    status: str
    package_statuses: tuple[str, ...]


def read_requests(out: Path) -> list[RequestState]:
    """The requests of the sync that filed ``out`` (empty when it holds no state file)."""
    path = out / STATE_FILE
    if not path.exists():
        return []
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(_QUERY).fetchall()
    except sqlite3.Error:
        return []
    finally:
        db.close()
    found: dict[str, tuple[tuple[str, str, str, str, str], list[str]]] = {}
    for key, direction, kind, start, end, status, package in rows:
        entry = found.setdefault(key, ((direction, kind, start, end, status), []))
        if package is not None:
            entry[1].append(package)
    return [
        RequestState(
            direction,
            kind.lower(),
            _time(start),
            _time(end),
            status,
            tuple(packages),
        )
        for (direction, kind, start, end, status), packages in found.values()
    ]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)
