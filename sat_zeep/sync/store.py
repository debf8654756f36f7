"""The sync's memory: one SQLite file in the output folder, written transactionally.

Every step is recorded *before* it is taken (a Solicitud about to be sent, a download about to
start) and again once SAT has answered, each in its own transaction. A run killed at any
instant finds, on the next start, exactly what was done and what may have been done::

    requests(key, direction, kind, period_start, period_end, variant, status, id_solicitud, …)
    packages(id_paquete, request_key, status, downloads_used, path, size, sha256, error)

Request statuses: planned → submitting → accepted → finished | empty | split | failed |
expired, ``unconfirmed`` when a Solicitud may have reached SAT without its answer reaching
us, and ``replaced`` when its period was asked for again (a package ran out of downloads or
expired). Package statuses: pending → downloading → downloaded | failed | expired |
exhausted (both downloads used without a whole copy) | superseded (its period's new request
delivered everything; the file is kept as ``.superseded``).

Transient failures are remembered across runs: ``errors`` (how many), ``error`` (the last),
``not_before`` (the earliest next try); ``attempts`` counts the Solicitudes that may have
reached SAT for a request.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import identity, state
from .identity import StateOwner
from .lock import FolderLock

FILE_NAME = ".sat-zeep-sync.sqlite3"
#: SAT's limit of downloads per package (a third is refused with 5008).
DOWNLOADS_PER_PACKAGE = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    variant INTEGER NOT NULL DEFAULT 0,
    parent TEXT,
    status TEXT NOT NULL,
    id_solicitud TEXT,
    codigo INTEGER,
    numero_cfdis INTEGER NOT NULL DEFAULT 0,
    checks INTEGER NOT NULL DEFAULT 0,
    next_check TEXT,
    error TEXT,
    updated TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    not_before TEXT,
    replaces TEXT
);
CREATE TABLE IF NOT EXISTS packages (
    id_paquete TEXT PRIMARY KEY,
    request_key TEXT NOT NULL REFERENCES requests(key),
    status TEXT NOT NULL,
    downloads_used INTEGER NOT NULL DEFAULT 0,
    path TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    error TEXT,
    updated TEXT NOT NULL,
    errors INTEGER NOT NULL DEFAULT 0,
    not_before TEXT
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Columns added since the first layout: (table, column, declaration), added where missing.
_ADDED_COLUMNS = (
    ("requests", "attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("requests", "errors", "INTEGER NOT NULL DEFAULT 0"),
    ("requests", "not_before", "TEXT"),
    ("requests", "replaces", "TEXT"),
    ("packages", "errors", "INTEGER NOT NULL DEFAULT 0"),
    ("packages", "not_before", "TEXT"),
)

#: Requests that still need something from SAT.
OPEN_REQUESTS = ("planned", "submitting", "unconfirmed", "accepted")


@dataclass(frozen=True)
class RequestRow:
    """One row of ``requests``."""

    key: str
    direction: str
    kind: str
    period_start: datetime
    period_end: datetime
    variant: int
    parent: str | None
    status: str
    id_solicitud: str | None
    codigo: int | None
    numero_cfdis: int
    checks: int
    next_check: datetime | None
    error: str | None
    attempts: int = 0
    errors: int = 0
    not_before: datetime | None = None
    replaces: str | None = None


@dataclass(frozen=True)
class PackageRow:
    """One row of ``packages``."""

    id_paquete: str
    request_key: str
    status: str
    downloads_used: int
    path: Path
    size: int | None
    sha256: str | None
    error: str | None
    errors: int = 0
    not_before: datetime | None = None


def _open(folder: Path, path: Path, owner: StateOwner | None) -> sqlite3.Connection:
    """The checked state database of ``folder`` (see ``state`` and ``identity``)."""
    state.refuse_fresh_start(folder, path)
    try:
        db = state.connect(path)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            _add_columns(db)
            state.check_readable(db, path)
            if owner is not None:
                identity.claim(db, owner, str(folder))
            state.back_up(db, path)
        except BaseException:
            db.close()
            raise
    except sqlite3.Error as error:
        raise state.failure(error, path) from None
    return db


def _add_columns(db: sqlite3.Connection) -> None:
    """Bring a state written by an earlier version to the current columns."""
    for table, column, declaration in _ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class SyncStore:
    """The state database of one output folder (thread-safe; one writer at a time)."""

    def __init__(self, folder: Path, owner: StateOwner | None = None) -> None:
        """Lock ``folder``, open its state (refusing a damaged or foreign one), claim it."""
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME
        self.folder_lock = FolderLock.acquire(folder)
        try:
            self._db = _open(folder, self.path, owner)
        except BaseException:
            self.folder_lock.release()
            raise
        self._lock = threading.Lock()

    def close(self) -> None:
        """Back the state up, close it and free the folder."""
        try:
            state.back_up(self._db, self.path)
            self._db.close()
        finally:
            self.folder_lock.release()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic step: everything inside is committed together, or not at all."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- requests -----------------------------------------------------------------------------

    def add_request(self, row: dict[str, Any], now: datetime) -> bool:
        """Insert a planned request unless one with its key exists; True if inserted."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO requests (key, direction, kind, period_start, period_end,"
                " variant, parent, replaces, status, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?)",
                (
                    row["key"],
                    row["direction"],
                    row["kind"],
                    row["period_start"].isoformat(),
                    row["period_end"].isoformat(),
                    row.get("variant", 0),
                    row.get("parent"),
                    row.get("replaces"),
                    now.isoformat(),
                ),
            )
            return cursor.rowcount == 1

    def update_request(self, key: str, now: datetime, **values: Any) -> None:
        """Set columns of one request (datetimes are stored as ISO text)."""
        columns = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
        columns["updated"] = now.isoformat()
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self.transaction() as db:
            db.execute(f"UPDATE requests SET {assignments} WHERE key = ?", (*columns.values(), key))

    def requests(self, *statuses: str) -> list[RequestRow]:
        """Requests in any of ``statuses`` (all when none given), in planning order."""
        query = "SELECT * FROM requests"
        if statuses:
            query += f" WHERE status IN ({', '.join('?' * len(statuses))})"
        with self._lock:
            rows = self._db.execute(query + " ORDER BY period_start, direction, kind", statuses)
            return [self._request(row) for row in rows.fetchall()]

    def request(self, key: str) -> RequestRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM requests WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._request(row)

    @staticmethod
    def _request(row: sqlite3.Row) -> RequestRow:
        return RequestRow(
            key=row["key"],
            direction=row["direction"],
            kind=row["kind"],
            period_start=datetime.fromisoformat(row["period_start"]),
            period_end=datetime.fromisoformat(row["period_end"]),
            variant=row["variant"],
            parent=row["parent"],
            status=row["status"],
            id_solicitud=row["id_solicitud"],
            codigo=row["codigo"],
            numero_cfdis=row["numero_cfdis"],
            checks=row["checks"],
            next_check=_time(row["next_check"]),
            error=row["error"],
            attempts=row["attempts"],
            errors=row["errors"],
            not_before=_time(row["not_before"]),
            replaces=row["replaces"],
        )

    # -- packages -----------------------------------------------------------------------------

    def finish_request(
        self, key: str, now: datetime, numero_cfdis: int, packages: dict[str, Path]
    ) -> None:
        """Mark a request finished and record its packages, in one transaction."""
        with self.transaction() as db:
            db.execute(
                "UPDATE requests SET status = 'finished', codigo = 5000, numero_cfdis = ?,"
                " error = NULL, updated = ? WHERE key = ?",
                (numero_cfdis, now.isoformat(), key),
            )
            for id_paquete, path in packages.items():
                db.execute(
                    "INSERT OR IGNORE INTO packages (id_paquete, request_key, status, path,"
                    " updated) VALUES (?, ?, 'pending', ?, ?)",
                    (id_paquete, key, str(path), now.isoformat()),
                )

    def update_package(self, id_paquete: str, now: datetime, **values: Any) -> None:
        columns = {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()}
        columns["updated"] = now.isoformat()
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self.transaction() as db:
            db.execute(
                f"UPDATE packages SET {assignments} WHERE id_paquete = ?",
                (*columns.values(), id_paquete),
            )

    def start_download(self, id_paquete: str, now: datetime) -> int | None:
        """Count one more download *before* it is sent; the new count, or None when none is left.

        The database enforces SAT's limit: a package with two downloads counted is not counted
        again, and nothing may be sent for it.
        """
        with self.transaction() as db:
            row = db.execute(
                "UPDATE packages SET downloads_used = downloads_used + 1, status = 'downloading',"
                " updated = ? WHERE id_paquete = ? AND downloads_used < ? RETURNING downloads_used",
                (now.isoformat(), id_paquete, DOWNLOADS_PER_PACKAGE),
            ).fetchone()
        return None if row is None else int(row["downloads_used"])

    def give_back_download(
        self, id_paquete: str, now: datetime, error: str, not_before: datetime
    ) -> None:
        """Undo the count of a download that never left this machine (nothing reached SAT)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE packages SET downloads_used = downloads_used - 1, status = 'pending',"
                " errors = errors + 1, error = ?, not_before = ?, updated = ?"
                " WHERE id_paquete = ? AND downloads_used > 0",
                (error, not_before.isoformat(), now.isoformat(), id_paquete),
            )

    def package_failed_for_now(
        self, id_paquete: str, now: datetime, error: str, not_before: datetime
    ) -> None:
        """A transient failure of a package: one more error, tried again after ``not_before``."""
        with self.transaction() as db:
            db.execute(
                "UPDATE packages SET status = 'pending', errors = errors + 1, error = ?,"
                " not_before = ?, updated = ? WHERE id_paquete = ?",
                (error, not_before.isoformat(), now.isoformat(), id_paquete),
            )

    def request_failed_for_now(
        self, key: str, now: datetime, error: str, not_before: datetime, **values: Any
    ) -> None:
        """A transient failure of a request: one more error, tried again after ``not_before``."""
        columns = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
        assignments = "".join(f", {name} = ?" for name in columns)
        with self.transaction() as db:
            db.execute(
                f"UPDATE requests SET errors = errors + 1, error = ?, not_before = ?, updated = ?"
                f"{assignments} WHERE key = ?",
                (error, not_before.isoformat(), now.isoformat(), *columns.values(), key),
            )

    def packages(self, *statuses: str) -> list[PackageRow]:
        query = "SELECT * FROM packages"
        if statuses:
            query += f" WHERE status IN ({', '.join('?' * len(statuses))})"
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id_paquete", statuses).fetchall()
        return [
            PackageRow(
                id_paquete=row["id_paquete"],
                request_key=row["request_key"],
                status=row["status"],
                downloads_used=row["downloads_used"],
                path=Path(row["path"]),
                size=row["size"],
                sha256=row["sha256"],
                error=row["error"],
                errors=row["errors"],
                not_before=_time(row["not_before"]),
            )
            for row in rows
        ]
