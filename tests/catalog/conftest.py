"""Catalog fixtures: the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from sat_zeep.testing.postgres import PostgresServer

_numbers = itertools.count()

CatalogTarget = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgres"])
def catalog_target(request: pytest.FixtureRequest, tmp_path: Path) -> CatalogTarget:
    """A function giving a new, empty catalog target (a file, or a new PostgreSQL database)."""

    def sqlite() -> str:
        return str(tmp_path / f"catalog-{next(_numbers)}.sqlite3")

    if request.param == "sqlite":
        return sqlite
    server: PostgresServer = request.getfixturevalue("postgres")

    def postgres() -> str:
        name = f"catalog_{next(_numbers)}"
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return server.url.replace("/sat_zeep?", f"/{name}?")

    return postgres
