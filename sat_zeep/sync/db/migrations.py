"""Numbered migrations: each applied once, in order, recorded in a version table.

The table is ``schema_version`` unless a caller that shares the database with another schema (the
fleet beside the catalog, on one PostgreSQL) names its own; its queries ``schema_version`` and
``record_migration`` read and write that table.
"""

from __future__ import annotations

from .connector import Connector

__all__ = ["migrate"]


def migrate(db: Connector, table: str = "schema_version") -> int:
    """Apply the migrations ``db`` has not seen yet; the schema version it ends on."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a table name: {table!r}")
    with db.transaction():
        if db.backend == "postgres":  # two processes migrating at once wait for each other,
            # before CREATE TABLE IF NOT EXISTS, which two sessions at once can both attempt
            db.script(f"SELECT pg_advisory_xact_lock(hashtext('{table}'))")
        db.script(
            f"CREATE TABLE IF NOT EXISTS {table} ("
            " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        current = db.one("schema_version")
        version = int(current["version"]) if current and current["version"] is not None else 0
        for number, sql in db.queries.migrations:
            if number > version:
                db.script(sql)
                db.execute("record_migration", version=number)
                version = number
    return version
