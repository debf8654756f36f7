"""The connector layer: named queries, migrations recorded once, and SQL files in the wheel."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

from sat_zeep.sync.db import DatabaseError, connect, migrate
from sat_zeep.sync.db.connector import Queries, parse_queries, to_pyformat

from .conftest import CatalogTarget

ROOT = Path(__file__).resolve().parents[2]


def test_named_queries_are_parsed_by_header() -> None:
    text = "-- a comment\n-- name: one\nSELECT 1;\n\n-- name: two\n-- what it does\nSELECT 2;\n"
    assert parse_queries(text) == {"one": "SELECT 1;", "two": "-- what it does\nSELECT 2;"}


def test_migrations_apply_once_and_are_recorded(catalog_target: CatalogTarget) -> None:
    target = catalog_target()
    db = connect(target, package="sat_zeep.catalog")
    try:
        assert migrate(db) == 2
        assert migrate(db) == 2  # nothing new: not applied twice
        assert db.all("packages") == []
        with pytest.raises(DatabaseError, match="no query named 'nope'"):
            db.one("nope")
        with pytest.raises(DatabaseError):
            db.script("SELECT * FROM no_such_table")
        with pytest.raises(RuntimeError), db.transaction():  # rolled back
            db.execute(
                "claim_package", sha256="x", path="p", size=1, kind="metadata", service="cfdi",
                direction=None, taxpayer_rfc=None, indexed_at="2026-01-01T00:00:00",
                index_version=2,
            )  # fmt: skip
            raise RuntimeError
        assert db.one("package", sha256="x") is None
    finally:
        db.close()


def test_processes_migrating_a_new_catalog_at_once_wait_for_each_other(
    catalog_target: CatalogTarget,
) -> None:
    def migrate_at_once(target: str, sessions: int) -> list[int | BaseException]:
        start = threading.Barrier(sessions)
        outcomes: list[int | BaseException] = []

        def open_and_migrate() -> None:
            db = connect(target, package="sat_zeep.catalog")
            try:
                start.wait()
                outcomes.append(migrate(db))
            except BaseException as error:
                outcomes.append(error)
            finally:
                db.close()

        threads = [threading.Thread(target=open_and_migrate) for _ in range(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcomes

    for _ in range(4):
        assert migrate_at_once(catalog_target(), 4) == [2, 2, 2, 2]


def test_a_bad_target_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL"):
        connect("postgresql://nobody@/none?host=/nonexistent", package="sat_zeep.catalog")
    with pytest.raises(DatabaseError, match="cannot open the SQLite database"):
        connect(tmp_path / "missing" / "dir" / "c.sqlite3", package="sat_zeep.catalog")


def test_the_wheel_ships_the_sql(tmp_path: Path) -> None:
    builder = WheelBuilder(str(ROOT))
    wheel = Path(next(iter(builder.build(directory=str(tmp_path), versions=["standard"]))))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "sat_zeep/catalog/sql/queries.sql" in names
    for backend in ("sqlite", "postgres"):
        assert f"sat_zeep/catalog/sql/migrations/{backend}/0001_initial.sql" in names
        assert f"sat_zeep/catalog/sql/migrations/{backend}/0002_serie_folio.sql" in names


def test_postgres_gets_the_same_statements_with_psycopg_parameters() -> None:
    sqlite = Queries.of("sat_zeep.catalog", "sql", "sqlite")
    postgres = Queries.of("sat_zeep.catalog", "sql", "postgres")
    assert sqlite.statements.keys() == postgres.statements.keys()
    for name, statement in sqlite.statements.items():
        assert postgres[name] == to_pyformat(statement)
    assert "%(sha256)s" in postgres["claim_package"]


def test_a_cast_and_a_literal_percent_survive_the_parameter_translation() -> None:
    translated = to_pyformat("SELECT :a::text, :b WHERE x LIKE '5%'")
    assert translated == "SELECT %(a)s::text, %(b)s WHERE x LIKE '5%%'"
