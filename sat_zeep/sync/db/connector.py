"""The connector interface, named queries, and ``connect`` (which backend from which target)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from ...errors import SatError

__all__ = ["Connector", "DatabaseError", "Queries", "connect", "is_url"]

Row = dict[str, Any]

_HEADER = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
#: A ``:name`` parameter (not a ``::type`` cast).
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class DatabaseError(SatError):
    """The database could not be opened, migrated or queried (the message says which)."""


@dataclass(frozen=True)
class Queries:
    """Named statements parsed from one ``-- name: …`` file, per backend."""

    backend: str
    statements: Mapping[str, str]
    migrations: tuple[tuple[int, str], ...]

    @classmethod
    def of(cls, package: str, folder: str, backend: str) -> Queries:
        """``<package>/<folder>/queries.sql`` and ``<folder>/migrations/<backend>/NNNN_*.sql``.

        The statements are one text for both backends, with ``:name`` parameters; for
        PostgreSQL they become psycopg's ``%(name)s`` (and a literal ``%`` becomes ``%%``).
        """
        root = resources.files(package).joinpath(folder)
        text = root.joinpath("queries.sql").read_text(encoding="utf-8")
        if backend == "postgres":
            text = to_pyformat(text)
        migrations = []
        for entry in root.joinpath("migrations").joinpath(backend).iterdir():
            if entry.name.endswith(".sql"):
                number = int(entry.name.split("_", 1)[0])
                migrations.append((number, entry.read_text(encoding="utf-8")))
        return cls(backend, parse_queries(text), tuple(sorted(migrations)))

    def __getitem__(self, name: str) -> str:
        try:
            return self.statements[name]
        except KeyError:
            raise DatabaseError(f"no query named {name!r} for {self.backend}") from None


def to_pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s``; ``::type`` casts stay, ``%`` is doubled.

    >>> to_pyformat("SELECT :a::text WHERE x LIKE '5%'")
    "SELECT %(a)s::text WHERE x LIKE '5%%'"
    """
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def parse_queries(text: str) -> dict[str, str]:
    """``{name: sql}`` from a file of ``-- name: x`` headers, each followed by its statement."""
    parts = _HEADER.split(text)
    return {name: sql.strip() for name, sql in zip(parts[1::2], parts[2::2], strict=True)}


class Connector(Protocol):
    """What callers see of a database: named statements, rows as dicts, transactions."""

    backend: str
    queries: Queries

    def execute(self, name: str, **params: Any) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    def execute_many(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run a statement once per parameter set, in one batch."""
        ...

    def one(self, name: str, **params: Any) -> Row | None:
        """The first row of a query, or None."""
        ...

    def all(self, name: str, **params: Any) -> list[Row]:
        """Every row of a query."""
        ...

    def iterate(self, name: str, **params: Any) -> Iterator[Row]:
        """The rows of a query, fetched in batches."""
        ...

    def script(self, sql: str) -> None:
        """Run several statements (a migration) in the current transaction."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Commit on success, roll back on error; nested calls join the outer transaction."""
        ...

    def close(self) -> None: ...


def is_url(target: str | Path) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def connect(target: str | Path, package: str, folder: str = "sql") -> Connector:
    """Open ``target`` (a PostgreSQL URL or an SQLite path) with the queries of ``package``."""
    if is_url(target):
        from .postgres import PostgresConnector

        return PostgresConnector(str(target), Queries.of(package, folder, "postgres"))
    from .sqlite import SqliteConnector

    return SqliteConnector(Path(target), Queries.of(package, folder, "sqlite"))
