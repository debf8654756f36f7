"""The throwaway PostgreSQL server the fleet and catalog tests run on."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg
import pytest

from sat_zeep.testing.postgres import PostgresServer, PostgresUnavailable, find_binaries


def test_it_serves_a_database_on_a_private_unix_socket(postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.url) as connection:
        (version,) = connection.execute("SHOW server_version_num").fetchone() or (0,)
        (listen,) = connection.execute("SHOW listen_addresses").fetchone() or ("?",)
    assert int(version) >= 150000
    assert listen == "", "the throwaway server must not listen on any TCP address"
    assert stat.S_ISSOCK(os.stat(postgres.socket_dir / f".s.PGSQL.{postgres.port}").st_mode)


def test_what_was_committed_survives_a_crash_and_a_restart() -> None:
    with PostgresServer.start_new() as server:
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (n int)")
            connection.execute("INSERT INTO kept VALUES (1), (2)")
        server.crash()
        assert not server.is_running()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(server.url, connect_timeout=2)
        server.start()
        with psycopg.connect(server.url) as connection:
            rows = connection.execute("SELECT n FROM kept ORDER BY n").fetchall()
        assert rows == [(1,), (2,)]
        folder = server.folder
    assert not folder.exists(), "the cluster's folder is removed when the server is done"


def test_missing_binaries_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("sat_zeep.testing.postgres._DEBIAN_ROOT", Path("/nonexistent"))
    with pytest.raises(PostgresUnavailable, match="apt-get install -y postgresql"):
        find_binaries()
