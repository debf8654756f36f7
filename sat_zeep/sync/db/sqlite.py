"""The SQLite backend (sqlite3, WAL, ``:name`` parameters)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .connector import DatabaseError, Queries, Row

__all__ = ["SqliteConnector"]


class SqliteConnector:
    """One sqlite3 connection in autocommit mode; ``transaction`` opens ``BEGIN IMMEDIATE``."""

    backend = "sqlite"

    def __init__(self, path: Path, queries: Queries) -> None:
        self.queries = queries
        self.path = path
        try:
            # The busy timeout first: switching a new file to WAL takes a lock that another
            # process opening it at the same moment may hold.
            self._db = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as error:
            raise DatabaseError(f"cannot open the SQLite database {path}: {error}") from None
        self._depth = 0

    def execute(self, name: str, **params: Any) -> int:
        return int(self._run(lambda: self._db.execute(self.queries[name], params).rowcount))

    def execute_many(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        sql = self.queries[name]
        self._run(lambda: self._db.executemany(sql, rows))

    def one(self, name: str, **params: Any) -> Row | None:
        row = self._run(lambda: self._db.execute(self.queries[name], params).fetchone())
        return None if row is None else dict(row)

    def all(self, name: str, **params: Any) -> list[Row]:
        rows = self._run(lambda: self._db.execute(self.queries[name], params).fetchall())
        return [dict(row) for row in rows]

    def iterate(self, name: str, **params: Any) -> Iterator[Row]:
        cursor = self._run(lambda: self._db.execute(self.queries[name], params))
        while batch := cursor.fetchmany(10_000):
            yield from (dict(row) for row in batch)

    def script(self, sql: str) -> None:
        for statement in sql.split(";\n"):
            if statement.strip():
                self._run(lambda s=statement: self._db.execute(s))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._run(lambda: self._db.execute("BEGIN IMMEDIATE"))
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        else:
            self._run(self._db.commit)
        finally:
            self._depth = 0

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # busy: the last connection to close does it
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leave one file behind
        self._db.close()

    def _run(self, call: Any) -> Any:
        try:
            return call()
        except sqlite3.Error as error:
            raise DatabaseError(f"SQLite ({self.path}): {error}") from None
