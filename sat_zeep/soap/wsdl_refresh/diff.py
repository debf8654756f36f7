"""Compare two ``Contract``s: the changes as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Contract
from .touches import touches

Kind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    """One difference: ``before`` is the vendored file's, ``after`` the fetched one's."""

    kind: Kind
    path: str
    before: str | None
    after: str | None
    touches: tuple[str, ...]


def compare(vendored: Contract, fetched: Contract) -> list[Change]:
    """Every path added, removed or described differently, in a stable order."""
    changes: list[Change] = []
    for path in sorted(set(vendored.entries) | set(fetched.entries), key=_order):
        before = vendored.entries.get(path)
        after = fetched.entries.get(path)
        if before == after:
            continue
        owners = vendored.owners.get(path, set()) | fetched.owners.get(path, set())
        kind: Kind = "added" if before is None else "removed" if after is None else "changed"
        changes.append(Change(kind, path, before, after, touches(owners)))
    return changes


def _order(path: str) -> tuple[int, str]:
    rank = {"definitions": 0, "operation": 1, "element": 2, "type": 3}
    return rank.get(path.split(":", 1)[0].split("/", 1)[0], 4), path
