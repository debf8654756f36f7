"""The PostgreSQL backend (psycopg 3, ``%(name)s`` parameters, one connection)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .connector import DatabaseError, Queries, Row

__all__ = ["PostgresConnector"]


class PostgresConnector:
    """One psycopg connection in autocommit mode; ``transaction`` wraps ``conn.transaction()``."""

    backend = "postgres"

    def __init__(self, url: str, queries: Queries) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:  # pragma: no cover - psycopg is in the test extra
            raise DatabaseError(
                "PostgreSQL needs psycopg: pip install 'sat-zeep[postgres]'"
            ) from None
        self._errors: type[Exception] = psycopg.Error
        self.queries = queries
        try:
            self._db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as error:
            raise DatabaseError(f"cannot connect to PostgreSQL: {_first_line(error)}") from None

    def execute(self, name: str, **params: Any) -> int:
        def run() -> int:
            with self._db.cursor() as cursor:
                cursor.execute(self.queries[name], params)
                return cursor.rowcount

        return int(self._run(run))

    def execute_many(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        def run() -> None:
            with self._db.cursor() as cursor:
                cursor.executemany(self.queries[name], list(rows))

        self._run(run)

    def one(self, name: str, **params: Any) -> Row | None:
        def run() -> Row | None:
            with self._db.cursor() as cursor:
                cursor.execute(self.queries[name], params)
                return cursor.fetchone()

        row: Row | None = self._run(run)
        return row

    def all(self, name: str, **params: Any) -> list[Row]:
        def run() -> list[Row]:
            with self._db.cursor() as cursor:
                cursor.execute(self.queries[name], params)
                return cursor.fetchall()

        rows: list[Row] = self._run(run)
        return rows

    def iterate(self, name: str, **params: Any) -> Iterator[Row]:
        # ``stream`` hands the rows over as the server sends them, not all at once.
        try:
            with self._db.cursor() as cursor:
                yield from cursor.stream(self.queries[name], params)
        except self._errors as error:
            raise DatabaseError(f"PostgreSQL: {_first_line(error)}") from None

    def script(self, sql: str) -> None:
        self._run(lambda: self._db.execute(sql))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self._db.transaction():
                yield
        except self._errors as error:
            raise DatabaseError(f"PostgreSQL: {_first_line(error)}") from None

    def close(self) -> None:
        self._db.close()

    def _run(self, call: Any) -> Any:
        try:
            return call()
        except self._errors as error:
            raise DatabaseError(f"PostgreSQL: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
