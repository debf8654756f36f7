"""Fixtures for fleet tests: a fresh fleet database on each backend."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from sat_zeep.testing.certificates import TestCertificateAuthority
from sat_zeep.testing.postgres import PostgresServer

from .fleetsat import Efirma, issue_efirmas

_numbers = itertools.count()


def fresh_database(postgres: PostgresServer) -> str:
    """A new, empty database on the session's server; its URL."""
    name = f"fleet_{next(_numbers)}"
    with psycopg.connect(postgres.url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return postgres.url.replace("/sat_zeep?", f"/{name}?")


@pytest.fixture(params=["sqlite", "postgres"])
def fleet_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty fleet database: an SQLite path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "fleet.sqlite3")
    postgres: PostgresServer = request.getfixturevalue("postgres")
    return fresh_database(postgres)


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A new, empty PostgreSQL database."""
    return fresh_database(postgres)


Keep = Callable[[object], object]


@pytest.fixture
def closing() -> Iterator[Keep]:
    """Close what a test opened (stores, clients) at its end."""
    opened: list[object] = []

    def keep(thing: object) -> object:
        opened.append(thing)
        return thing

    yield keep
    for thing in reversed(opened):
        close = getattr(thing, "close", None)
        if close is not None:
            close()


#: Taxpayers in the fleet tests (``FLEET_TAXPAYERS=200`` for the issue's full size).
FLEET_TAXPAYERS = int(os.environ.get("FLEET_TAXPAYERS", "60"))


@pytest.fixture(scope="session")
def efirmas(
    test_ca: TestCertificateAuthority, tmp_path_factory: pytest.TempPathFactory
) -> list[Efirma]:
    """E.firmas of ``FLEET_TAXPAYERS + 1`` taxpayers, issued by the CA the fake SATs trust."""
    return issue_efirmas(test_ca, tmp_path_factory.mktemp("efirmas"), FLEET_TAXPAYERS + 1)
