"""The fleet store's rules hold under races, on SQLite and PostgreSQL (real connections)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sat_zeep.sync.db import DatabaseError
from sat_zeep.sync.fleet import Fence, FleetStore, NewPeriod
from sat_zeep.sync.fleet.errors import StaleFenceError

from .conftest import Keep

RFC = "AAA010101AAA"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def registered(target: str, keep: Callable[[object], object]) -> tuple[FleetStore, Fence]:
    store = FleetStore.open(target)
    keep(store)
    store.add_taxpayer(
        NOW,
        rfc=RFC,
        service="cfdi",
        certificate="/efirmas/a.cer",
        private_key="/efirmas/a.key",
        password_env="A_PASSWORD",
        password_file=None,
        start_date="2025-01-01",
        end_date="2025-12-31",
        since_days=None,
        directions="emitidos",
        kinds="Metadata",
    )
    fence = store.claim(RFC, "test", NOW)
    periods = [
        NewPeriod(
            f"p{n}",
            "emitidos",
            "Metadata",
            f"2025-{n:02d}-01T00:00:00",
            f"2025-{n:02d}-28T23:59:59",
        )
        for n in range(1, 13)
    ]
    store.plan(fence, periods, NOW)
    return store, fence


def second(target: str, keep: Callable[[object], object]) -> FleetStore:
    store = FleetStore.open(target)
    keep(store)
    return store


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def attempt(store: FleetStore, fence: Fence, key: str, variant: int = 0) -> int | None:
    period = next(p for p in store.periods(RFC) if p.key == key)
    return store.begin_attempt(
        fence,
        period,
        parameters=f"params-of-{key}",
        variant=variant,
        sent_start=period.period_start,
        sent_end=period.period_end,
        worker="w",
        now=NOW,
    )


def test_the_attempt_insert_has_exactly_one_winner(fleet_db: str, closing: Keep) -> None:
    one, fence = registered(fleet_db, closing)
    other = second(fleet_db, closing)
    for n in range(1, 13):
        results = race([functools.partial(attempt, s, fence, f"p{n}") for s in (one, other)])
        assert sum(r is not None for r in results) == 1, (n, results)
    assert len(one.attempts(RFC)) == 12
    # Another variant of the same period is another Solicitud: it may be sent.
    assert attempt(other, fence, "p1", variant=1) is not None


def test_a_second_insert_waits_for_the_first_and_then_loses(fleet_db: str, closing: Keep) -> None:
    one, fence = registered(fleet_db, closing)
    other = second(fleet_db, closing)
    inserted = threading.Event()
    result: list[int | None] = []

    def hold() -> None:
        with one.db.transaction():
            period = one.periods(RFC)[0]
            rows = one.db.all(
                "insert_attempt",
                **fence.params(),
                parameters="params-of-p1",
                variant=0,
                period_key=period.key,
                sent_start="a",
                sent_end="b",
                worker="one",
                now="t",
            )
            assert rows
            inserted.set()
            time.sleep(0.5)  # the other connection's insert waits on this transaction

    holder = threading.Thread(target=hold)
    holder.start()
    inserted.wait(10)
    started = time.monotonic()
    result.append(attempt(other, fence, "p1"))
    waited = time.monotonic() - started
    holder.join()
    assert result == [None]
    assert waited > 0.2


def test_the_download_increment_never_passes_two(fleet_db: str, closing: Keep) -> None:
    one, fence = registered(fleet_db, closing)
    other = second(fleet_db, closing)
    third = second(fleet_db, closing)
    period = one.periods(RFC)[0]
    attempt_id = attempt(one, fence, period.key)
    assert attempt_id is not None
    one.record_request(attempt_id, "req-1", period, NOW, NOW)
    request = one.requests_to_check(RFC)[0]
    packages = {f"pkg-{n}": f"{RFC}/pkg-{n}.zip" for n in range(10)}
    assert one.finish_request(fence, request, 5, packages, NOW)
    for id_paquete in packages:
        results = race(
            [
                functools.partial(s.start_download, fence, id_paquete, NOW)
                for s in (one, other, third)
            ]
        )
        assert sorted(int(str(r)) for r in results if r is not None) == [1, 2], results
        assert results.count(None) == 1
    assert {p.downloads_used for p in one.packages(RFC)} == {2}


def test_a_stale_fence_changes_nothing(fleet_db: str, closing: Keep) -> None:
    one, old = registered(fleet_db, closing)
    period = one.periods(RFC)[0]
    attempt_id = attempt(one, old, period.key)
    assert attempt_id is not None
    one.record_request(attempt_id, "req-1", period, NOW, NOW)
    request = one.requests_to_check(RFC)[0]
    assert one.finish_request(old, request, 1, {"pkg": f"{RFC}/pkg.zip"}, NOW)
    new = second(fleet_db, closing).claim(RFC, "another worker", NOW)
    assert new.number == old.number + 1
    with pytest.raises(StaleFenceError):
        attempt(one, old, "p2")
    with pytest.raises(StaleFenceError):
        one.start_download(old, "pkg", NOW)
    with pytest.raises(StaleFenceError):
        one.write(
            old,
            "period_ended",
            key="p3",
            status="failed",
            codigo=None,
            numero_cfdis=0,
            last_error="stale",
            now=NOW,
        )
    with pytest.raises(StaleFenceError):
        one.end_step(old, None, "stale")
    # The statements themselves carry the fence: run bare, they change 0 rows.
    assert (
        one.db.execute(
            "period_ended",
            **old.params(),
            key="p3",
            status="failed",
            codigo=None,
            numero_cfdis=0,
            last_error="stale",
            now="t",
        )
        == 0
    )
    assert one.db.all("start_download", **old.params(), id_paquete="pkg", now="t") == []
    assert len(one.attempts(RFC)) == 1
    assert [p.status for p in one.periods(RFC)][1:3] == ["planned", "planned"]
    assert one.packages(RFC)[0].downloads_used == 0
    # The current fence still writes.
    assert one.start_download(new, "pkg", NOW) == 1


def test_attempts_are_append_only(fleet_db: str, closing: Keep) -> None:
    one, fence = registered(fleet_db, closing)
    assert attempt(one, fence, "p1") is not None
    with pytest.raises(DatabaseError, match="append-only"):
        one.db.script("UPDATE fleet_attempts SET variant = 7")
    with pytest.raises(DatabaseError, match="append-only"):
        one.db.script("DELETE FROM fleet_attempts")
    assert [a.variant for a in one.attempts(RFC)] == [0]


def test_no_password_column_and_a_taxpayer_needs_a_password_source(
    fleet_db: str, closing: Keep
) -> None:
    store, _ = registered(fleet_db, closing)
    columns = set(store.db.all("taxpayers")[0])
    assert not {c for c in columns if "token" in c or c == "password"}
    with pytest.raises(DatabaseError):
        store.add_taxpayer(
            NOW,
            rfc="BBB010101BBB",
            service="cfdi",
            certificate="c",
            private_key="k",
            password_env=None,
            password_file=None,
            start_date="2025-01-01",
            end_date=None,
            since_days=None,
            directions="emitidos",
            kinds="Metadata",
        )


def test_migrations_are_recorded_once(fleet_db: str, closing: Keep) -> None:
    closing(FleetStore.open(fleet_db))
    again = FleetStore.open(fleet_db)
    closing(again)
    assert again.db.one("schema_version") == {"version": 1}


def test_an_sqlite_store_in_a_new_folder_creates_the_folder(tmp_path: Path, closing: Keep) -> None:
    target = tmp_path / "fleet" / "state" / "fleet.sqlite3"
    store = FleetStore.open(target)
    closing(store)
    assert target.is_file()
    assert store.db.one("schema_version") == {"version": 1}
    closing(FleetStore.open(target))  # the folder now exists: opened again, not refused
