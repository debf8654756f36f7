"""Numbered migrations: each applied once, in order, recorded in ``schema_version``."""

from __future__ import annotations

from .connector import Connector

__all__ = ["migrate"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)


#: The advisory lock migrations hold on PostgreSQL (any fixed number; "migr" in ASCII).
_LOCK_KEY = 0x6D696772


def migrate(db: Connector) -> int:
    """Apply the migrations ``db`` has not seen yet; the schema version it ends on."""
    with db.transaction():
        if db.backend == "postgres":  # two processes migrating at once wait for each other
            # before CREATE TABLE IF NOT EXISTS, which two sessions at once can both attempt
            db.script(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        db.script(_TABLE)
        current = db.one("schema_version")
        version = int(current["version"]) if current and current["version"] is not None else 0
        for number, sql in db.queries.migrations:
            if number > version:
                db.script(sql)
                db.execute("record_migration", version=number)
                version = number
    return version
