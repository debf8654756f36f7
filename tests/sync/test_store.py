"""The sync's state database, read back as the engine relies on it: what is planned, counted,
finished and failed survives a close (a killed run) and reads back with its types."""

from __future__ import annotations

import sqlite3
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sat_zeep.errors import StateOwnerError, SyncStateError
from sat_zeep.sync.identity import StateOwner
from sat_zeep.sync.store import (
    DOWNLOADS_PER_PACKAGE,
    FILE_NAME,
    OPEN_REQUESTS,
    PackageRow,
    RequestRow,
    SyncStore,
)

NOW = datetime.now(timezone.utc).replace(microsecond=0)
OWNER = StateOwner("AAA010101AAA", "cfdi")


def planned(key: str, month: int, **extra: object) -> dict[str, object]:
    return {
        "key": key,
        "direction": "emitidos",
        "kind": "Metadata",
        "period_start": datetime(2025, month, 1),
        "period_end": datetime(2025, month, 28, 23, 59, 59),
        **extra,
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "out" / "nested"


def opened(folder: Path) -> SyncStore:
    return SyncStore(folder, OWNER)


def test_a_request_is_planned_once_and_reads_back_typed(folder: Path) -> None:
    store = opened(folder)
    try:
        assert store.add_request(planned("b", 2), NOW) is True
        assert store.add_request(planned("a", 1, variant=3, parent="y", replaces="old"), NOW)
        assert store.add_request(planned("b", 5), NOW) is False  # planned already: unchanged
        a, b = store.requests()  # in period order
        assert (a.key, a.variant, a.parent, a.replaces, a.status) == ("a", 3, "y", "old", "planned")
        assert (b.key, b.variant, b.parent, b.replaces) == ("b", 0, None, None)
        assert b.period_start == datetime(2025, 2, 1)
        assert b.period_end == datetime(2025, 2, 28, 23, 59, 59)
        assert (b.id_solicitud, b.codigo, b.numero_cfdis, b.checks) == (None, None, 0, 0)
        assert (b.next_check, b.error, b.attempts, b.errors, b.not_before) == (
            None,
            None,
            0,
            0,
            None,
        )
        assert store.request("b") == b
        assert store.request("missing") is None
    finally:
        store.close()
    assert (folder / FILE_NAME).is_file()


def test_updates_and_failures_of_requests_survive_a_new_run(folder: Path) -> None:
    store = opened(folder)
    later = NOW + timedelta(minutes=5)
    try:
        for key, month in (("a", 1), ("b", 2), ("c", 3)):
            store.add_request(planned(key, month), NOW)
        store.update_request("a", NOW, status="accepted", id_solicitud="req-a", next_check=later)
        store.update_request("b", NOW, status="empty", codigo=5004)
        store.request_failed_for_now("c", NOW, "timeout", later, status="unconfirmed", attempts=1)
        store.request_failed_for_now("c", NOW, "timeout again", later + timedelta(minutes=1))
    finally:
        store.close()
    store = opened(folder)
    try:
        a = store.request("a")
        assert a is not None
        assert (a.status, a.id_solicitud, a.next_check) == ("accepted", "req-a", later)
        assert [r.key for r in store.requests("accepted", "unconfirmed")] == ["a", "c"]
        assert [r.key for r in store.requests("empty")] == ["b"]
        assert [r.key for r in store.requests(*OPEN_REQUESTS)] == ["a", "c"]
        c = store.request("c")
        assert c is not None
        assert (c.status, c.attempts, c.errors, c.error) == ("unconfirmed", 1, 2, "timeout again")
        assert c.not_before == later + timedelta(minutes=1)
    finally:
        store.close()


def test_open_requests_are_those_that_still_need_sat(folder: Path) -> None:
    store = opened(folder)
    statuses = ["planned", "submitting", "unconfirmed", "accepted", "finished", "empty", "split"]
    statuses += ["failed", "expired", "replaced"]
    try:
        for month, status in enumerate(statuses, start=1):
            store.add_request(planned(status, min(month, 12)), NOW)
            store.update_request(status, NOW, status=status)
        assert {r.key for r in store.requests(*OPEN_REQUESTS)} == {
            "planned",
            "submitting",
            "unconfirmed",
            "accepted",
        }
    finally:
        store.close()


def test_a_finished_request_leaves_its_packages_pending(folder: Path) -> None:
    store = opened(folder)
    try:
        store.add_request(planned("a", 1), NOW)
        store.update_request("a", NOW, status="accepted", error="5000 pending")
        files = {"pkg-2": folder / "a" / "pkg-2.zip", "pkg-1": folder / "a" / "pkg-1.zip"}
        store.finish_request("a", NOW, 7, files)
        store.finish_request("a", NOW, 7, {"pkg-1": folder / "elsewhere.zip"})  # kept as first
        a = store.request("a")
        assert a is not None
        assert (a.status, a.codigo, a.numero_cfdis, a.error) == ("finished", 5000, 7, None)
        packages = store.packages()
        assert [(p.id_paquete, p.request_key, p.status, p.downloads_used) for p in packages] == [
            ("pkg-1", "a", "pending", 0),
            ("pkg-2", "a", "pending", 0),
        ]
        assert [p.path for p in packages] == [files["pkg-1"], files["pkg-2"]]
        assert isinstance(packages[0].path, Path)
        assert (packages[0].size, packages[0].sha256, packages[0].error) == (None, None, None)
        assert (packages[0].errors, packages[0].not_before) == (0, None)
    finally:
        store.close()


def test_downloads_are_counted_to_two_and_given_back_only_when_counted(folder: Path) -> None:
    assert DOWNLOADS_PER_PACKAGE == 2  # SAT refuses a third download (5008)
    store = opened(folder)
    later = NOW + timedelta(minutes=1)
    try:
        store.add_request(planned("a", 1), NOW)
        store.finish_request("a", NOW, 1, {"pkg": folder / "pkg.zip", "other": folder / "o.zip"})
        assert store.start_download("pkg", NOW) == 1
        assert store.packages("downloading")[0].id_paquete == "pkg"
        store.give_back_download("pkg", NOW, "no network", later)
        (pkg,) = store.packages("pending")[1:]
        assert (pkg.downloads_used, pkg.errors, pkg.error, pkg.not_before) == (
            0,
            1,
            "no network",
            later,
        )
        store.give_back_download("pkg", NOW, "again", later)  # nothing counted: nothing given
        assert store.packages("pending")[1].downloads_used == 0
        assert store.start_download("pkg", NOW) == 1
        assert store.start_download("pkg", NOW) == 2
        assert store.start_download("pkg", NOW) is None
        assert store.start_download("missing", NOW) is None
        store.package_failed_for_now("pkg", NOW, "5008?", later)
        store.update_package("other", NOW, status="downloaded", size=12, sha256="ab", path=folder)
    finally:
        store.close()
    store = opened(folder)
    try:
        other, pkg = store.packages()
        assert (pkg.status, pkg.downloads_used, pkg.errors, pkg.error) == ("pending", 2, 2, "5008?")
        assert (other.status, other.size, other.sha256, other.path) == (
            "downloaded",
            12,
            "ab",
            folder,
        )
        assert [p.id_paquete for p in store.packages("downloaded", "failed")] == ["other"]
    finally:
        store.close()


def test_a_step_that_fails_writes_nothing(folder: Path) -> None:
    store = opened(folder)
    try:
        store.add_request(planned("a", 1), NOW)
        with pytest.raises(RuntimeError), store.transaction() as db:
            db.execute("UPDATE requests SET status = 'finished'")
            raise RuntimeError("killed mid-step")
        request = store.request("a")
        assert request is not None and request.status == "planned"
        with store.transaction() as db:  # the store is usable again
            db.execute("UPDATE requests SET status = 'empty'")
        request = store.request("a")
        assert request is not None and request.status == "empty"
    finally:
        store.close()


def test_a_state_of_the_first_layout_gains_the_new_columns(folder: Path) -> None:
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.executescript(
            "CREATE TABLE requests (key TEXT PRIMARY KEY, direction TEXT NOT NULL, kind TEXT NOT"
            " NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL, variant INTEGER NOT NULL"
            " DEFAULT 0, parent TEXT, status TEXT NOT NULL, id_solicitud TEXT, codigo INTEGER,"
            " numero_cfdis INTEGER NOT NULL DEFAULT 0, checks INTEGER NOT NULL DEFAULT 0,"
            " next_check TEXT, error TEXT, updated TEXT NOT NULL);"
            "CREATE TABLE packages (id_paquete TEXT PRIMARY KEY, request_key TEXT NOT NULL,"
            " status TEXT NOT NULL, downloads_used INTEGER NOT NULL DEFAULT 0, path TEXT NOT NULL,"
            " size INTEGER, sha256 TEXT, error TEXT, updated TEXT NOT NULL);"
            "INSERT INTO requests (key, direction, kind, period_start, period_end, status, updated)"
            " VALUES ('a', 'emitidos', 'Metadata', '2025-01-01T00:00:00', '2025-01-31T23:59:59',"
            " 'finished', '2025-02-01T00:00:00');"
            "INSERT INTO packages (id_paquete, request_key, status, downloads_used, path, updated)"
            " VALUES ('pkg', 'a', 'downloading', 1, 'a/pkg.zip', '2025-02-01T00:00:00');"
        )
    (folder / "a").mkdir()
    (folder / "a" / "pkg.zip").write_bytes(b"PK")  # evidence: not a fresh start
    store = opened(folder)
    try:
        (request,) = store.requests()
        assert (request.attempts, request.errors, request.not_before, request.replaces) == (
            0,
            0,
            None,
            None,
        )
        (package,) = store.packages()
        assert (package.errors, package.not_before, package.downloads_used) == (0, None, 1)
        assert store.start_download("pkg", NOW) == 2
        store.request_failed_for_now("a", NOW, "e", NOW, replaces="x")
    finally:
        store.close()


def test_a_folder_held_by_a_running_sync_is_refused(folder: Path) -> None:
    store = opened(folder)
    try:
        with pytest.raises(SyncStateError):
            opened(folder)
    finally:
        store.close()
    opened(folder).close()  # freed by close


def test_the_state_is_one_hidden_file_of_the_folder_claimed_by_its_taxpayer(folder: Path) -> None:
    """``.sat-zeep-sync.sqlite3`` is the name the docs, ``state rebuild`` and older runs use."""
    opened(folder).close()
    assert FILE_NAME == ".sat-zeep-sync.sqlite3"
    assert (folder / ".sat-zeep-sync.sqlite3").is_file()
    with pytest.raises(StateOwnerError, match="holds the state of"):
        SyncStore(folder, StateOwner("BBB010101BBB", "cfdi"))
    SyncStore(folder).close()  # no owner to check (state rebuild): opened as it is
    opened(folder).close()  # still its first taxpayer's


def test_rows_are_values_and_later_columns_default_when_built_by_hand(folder: Path) -> None:
    store = opened(folder)
    try:
        store.add_request(planned("a", 1), NOW)
        store.finish_request("a", NOW, 1, {"pkg": folder / "pkg.zip"})
        (request,) = store.requests()
        (package,) = store.packages()
    finally:
        store.close()
    with pytest.raises(FrozenInstanceError):
        request.status = "finished"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        package.downloads_used = 0  # type: ignore[misc]
    by_hand = RequestRow(
        "a", "emitidos", "Metadata", request.period_start, request.period_end, 0, None,
        "finished", None, 5000, 1, 0, None, None,
    )  # fmt: skip
    assert (by_hand.attempts, by_hand.errors, by_hand.not_before, by_hand.replaces) == (
        0,
        0,
        None,
        None,
    )
    row = PackageRow("pkg", "a", "pending", 0, folder / "pkg.zip", None, None, None)
    assert (row.errors, row.not_before) == (0, None)
