"""Whose state it is: the RFC and service recorded in the state's ``meta`` table.

::

    meta(name, value):  schema_version 1 | rfc SZP200101AB1 | service cfdi

The first run on a folder records them; every later run checks them, so that a second e.firma
on the same ``--out`` is refused instead of being told that "everything is downloaded".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..errors import StateOwnerError

#: The layout of the state database this version writes.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StateOwner:
    """The taxpayer and service a state belongs to."""

    rfc: str
    service: str

    def describe(self) -> str:
        return f"RFC {self.rfc} ({self.service})"


def read_owner(db: sqlite3.Connection) -> StateOwner | None:
    """The owner recorded in the state, or None (a new state, or one from before owners)."""
    meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
    if "rfc" not in meta or "service" not in meta:
        return None
    return StateOwner(meta["rfc"], meta["service"])


def claim(db: sqlite3.Connection, owner: StateOwner, where: str) -> None:
    """Record ``owner`` in a state that has none; refuse a state recorded for another."""
    recorded = read_owner(db)
    if recorded is None:
        write_owner(db, owner)
        return
    if recorded != owner:
        raise StateOwnerError(
            f"{where} holds the state of {recorded.describe()}, not of {owner.describe()}; "
            "use another --out for this taxpayer; nothing was sent to SAT",
            path=where,
            rfc=recorded.rfc,
            service=recorded.service,
        )


def write_owner(db: sqlite3.Connection, owner: StateOwner) -> None:
    """Record (or replace) the owner and the schema version, in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
            (
                ("schema_version", str(SCHEMA_VERSION)),
                ("rfc", owner.rfc),
                ("service", owner.service),
            ),
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
