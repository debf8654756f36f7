"""What the fleet store reads back (status, next due, what is left to send or download), the
messages a user sees, and the PostgreSQL session settings a paused worker relies on."""

from __future__ import annotations

import threading
import time
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta, timezone

import pytest

from sat_zeep.sync.db import DatabaseError
from sat_zeep.sync.fleet import Fence, FleetStore, NewPeriod
from sat_zeep.sync.fleet.errors import StaleFenceError
from sat_zeep.sync.fleet.rows import PeriodRow, RequestRow
from sat_zeep.sync.fleet.store import IDLE_IN_TRANSACTION

from .conftest import Keep

RFC = "AAA010101AAA"
OTHER = "BBB010101BBB"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def add(store: FleetStore, rfc: str, **changes: object) -> None:
    columns: dict[str, object] = {
        "rfc": rfc,
        "service": "cfdi",
        "certificate": f"/efirmas/{rfc}.cer",
        "private_key": f"/efirmas/{rfc}.key",
        "password_env": f"{rfc}_PASSWORD",
        "password_file": None,
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "since_days": None,
        "directions": "emitidos",
        "kinds": "Metadata",
    }
    columns.update(changes)
    store.add_taxpayer(NOW, **columns)


def planned(store: FleetStore, rfc: str, months: int = 3) -> Fence:
    fence = store.claim(rfc, "test", NOW)
    periods = [
        NewPeriod(
            f"{rfc}-p{n}",
            "emitidos",
            "Metadata",
            f"2025-{n:02d}-01T00:00:00",
            f"2025-{n:02d}-28T23:59:59",
        )
        for n in range(1, months + 1)
    ]
    assert store.plan(fence, periods, NOW) == months
    return fence


def period_of(store: FleetStore, rfc: str, key: str) -> PeriodRow:
    return next(p for p in store.periods(rfc) if p.key == f"{rfc}-{key}")


def accepted(
    store: FleetStore, fence: Fence, key: str, id_solicitud: str, next_check: datetime = NOW
) -> RequestRow:
    """Send the period's Solicitud (recorded) and record the IdSolicitud SAT gave."""
    period = period_of(store, fence.rfc, key)
    attempt_id = store.begin_attempt(
        fence,
        period,
        parameters=f"params-{period.key}",
        variant=0,
        sent_start=period.period_start,
        sent_end=period.period_end,
        worker="host-1:1",
        now=NOW,
    )
    assert attempt_id is not None
    store.record_request(attempt_id, id_solicitud, period, next_check, NOW)
    request = store.request_of_attempt(attempt_id)
    assert request is not None
    return request


@pytest.fixture
def store(fleet_db: str, closing: Keep) -> FleetStore:
    opened = FleetStore.open(fleet_db)
    closing(opened)
    return opened


def test_a_taxpayer_reads_back_as_registered(store: FleetStore) -> None:
    add(store, OTHER, password_env=None, password_file="/run/secrets/b", since_days=30)
    add(store, RFC)
    assert store.taxpayer("CCC010101CCC") is None
    row = store.taxpayer(OTHER)
    assert row is not None
    assert (row.rfc, row.certificate, row.password_env, row.password_file, row.since_days) == (
        OTHER,
        f"/efirmas/{OTHER}.cer",
        None,
        "/run/secrets/b",
        30,
    )
    assert row.next_due == NOW  # a new taxpayer is due at once
    assert (row.holder, row.held_since, row.fence) == (None, None, 0)
    assert [t.rfc for t in store.taxpayers()] == [RFC, OTHER]


def test_claiming_an_unknown_taxpayer_says_how_to_add_it(store: FleetStore) -> None:
    with pytest.raises(KeyError) as caught:
        store.claim("ZZZ010101ZZZ", "host-1:1", NOW)
    assert caught.value.args == (
        "ZZZ010101ZZZ is not a taxpayer of this fleet (sat-zeep fleet add)",
    )


def test_a_fence_and_a_planned_period_cannot_be_changed_once_taken(store: FleetStore) -> None:
    """A step cannot move its own fence (its writes would pass for a newer step's)."""
    add(store, RFC)
    fence = store.claim(RFC, "host-1:1", NOW)
    with pytest.raises(FrozenInstanceError):
        fence.number += 1  # type: ignore[misc]
    period = NewPeriod("k", "emitidos", "Metadata", "2025-01-01T00:00:00", "2025-01-31T23:59:59")
    with pytest.raises(FrozenInstanceError):
        period.key = "other"  # type: ignore[misc]
    assert {fence, Fence(RFC, fence.number)} == {fence}


def test_a_claim_names_its_holder_and_a_stale_step_says_it_stops(store: FleetStore) -> None:
    add(store, RFC)
    old = store.claim(RFC, "host-1:1", NOW)
    row = store.taxpayer(RFC)
    assert row is not None
    assert (row.fence, row.holder, row.held_since) == (old.number, "host-1:1", NOW)
    new = store.claim(RFC, "host-2:7", NOW)
    with pytest.raises(StaleFenceError) as caught:
        store.check_fence(old)
    assert str(caught.value) == (
        f"{RFC}: step {old.number} was taken over by another worker; "
        "it stops here, without writing or sending anything more"
    )
    store.check_fence(new)
    store.end_step(new, NOW + timedelta(hours=1), "Verifica: 5000")
    row = store.taxpayer(RFC)
    assert row is not None
    assert (row.holder, row.next_due, row.last_error) == (
        None,
        NOW + timedelta(hours=1),
        "Verifica: 5000",
    )


def test_a_period_planned_without_a_parent_has_none(store: FleetStore) -> None:
    add(store, RFC)
    fence = store.claim(RFC, "test", NOW)
    whole = NewPeriod("y", "emitidos", "Metadata", "2025-01-01T00:00:00", "2025-12-31T23:59:59")
    half = NewPeriod("h", "emitidos", "Metadata", "2025-01-01T00:00:00", "2025-06-30T23:59:59", "y")
    assert store.plan(fence, [whole, half], NOW) == 2
    assert store.plan(fence, [whole], NOW) == 0  # planned already
    assert {p.key: p.parent for p in store.periods(RFC)} == {"y": None, "h": "y"}


def test_next_due_is_now_while_something_waits_and_none_when_all_is_done(
    store: FleetStore,
) -> None:
    add(store, RFC)
    fence = planned(store, RFC, months=2)
    later = NOW + timedelta(minutes=10)
    assert store.next_due(RFC, later, max_attempts=3, max_errors=3) == later
    # Periods whose attempts are spent no longer make the taxpayer due.
    assert store.next_due(RFC, later, max_attempts=0, max_errors=3) is None
    check_at = NOW + timedelta(minutes=5)
    first = accepted(store, fence, "p1", "req-1", next_check=check_at)
    second = accepted(store, fence, "p2", "req-2", next_check=check_at + timedelta(hours=1))
    # Both periods were sent once: with one attempt allowed, only the requests are due, the
    # earliest verification first.
    assert store.next_due(RFC, later, max_attempts=1, max_errors=3) == check_at
    assert store.next_due(RFC, later, max_attempts=1, max_errors=0) is None
    assert store.end_request(fence, first, "empty", "empty", 5004, None, NOW)
    assert store.finish_request(fence, second, 2, {"pkg-1": f"{RFC}/pkg-1.zip"}, NOW)
    # A package waits to be downloaded: due now.
    assert store.next_due(RFC, later, max_attempts=1, max_errors=3) == later
    assert store.start_download(fence, "pkg-1", NOW) == 1
    store.write(fence, "package_downloaded", id_paquete="pkg-1", size=10, sha256="ab", now=NOW)
    assert store.next_due(RFC, later, max_attempts=1, max_errors=3) is None
    assert store.next_due("CCC010101CCC", later, max_attempts=3, max_errors=3) is None


def test_only_open_periods_are_left_to_submit(store: FleetStore) -> None:
    add(store, RFC)
    fence = planned(store, RFC, months=3)
    assert [p.key for p in store.periods_to_submit(RFC)] == [f"{RFC}-p{n}" for n in (1, 2, 3)]
    request = accepted(store, fence, "p1", "req-1")
    assert [p.status for p in store.periods(RFC)] == ["submitting", "planned", "planned"]
    store.write(
        fence,
        "period_answered",
        key=request.period_key,
        status="accepted",
        variant=0,
        id_solicitud="req-1",
        codigo=5000,
        not_before=None,
        last_error=None,
        now=NOW,
    )
    assert [p.key for p in store.periods_to_submit(RFC)] == [f"{RFC}-p2", f"{RFC}-p3"]
    assert store.periods_to_submit(OTHER) == []


def test_an_attempt_reads_back_by_its_parameters(store: FleetStore) -> None:
    add(store, RFC)
    add(store, OTHER)
    fence = planned(store, RFC, months=2)
    other = planned(store, OTHER, months=1)
    mine = accepted(store, fence, "p1", "req-1")
    accepted(store, other, "p1", "req-9")
    found = store.attempt(RFC, f"params-{RFC}-p1", 0)
    assert found is not None
    assert (found.id, found.period_key, found.fence, found.worker, found.created) == (
        mine.attempt_id,
        f"{RFC}-p1",
        fence.number,
        "host-1:1",
        NOW,
    )
    assert store.attempt(RFC, f"params-{RFC}-p1", 1) is None
    assert store.attempt(OTHER, f"params-{RFC}-p1", 0) is None
    assert [a.rfc for a in store.attempts()] == [RFC, OTHER]
    assert [a.period_key for a in store.attempts(OTHER)] == [f"{OTHER}-p1"]
    assert store.request_of_attempt(mine.attempt_id + 100) is None


def test_an_empty_period_ends_with_no_documents(store: FleetStore) -> None:
    add(store, RFC)
    fence = planned(store, RFC, months=2)
    empty = accepted(store, fence, "p1", "req-1")
    full = accepted(store, fence, "p2", "req-2")
    assert store.end_request(fence, empty, "empty", "empty", 5004, None, NOW) is True
    packages = {"pkg-a": f"{RFC}/pkg-a.zip", "pkg-b": f"{RFC}/pkg-b.zip"}
    assert store.finish_request(fence, full, 7, packages, NOW) is True
    p1, p2 = store.periods(RFC)
    assert (p1.status, p1.codigo, p1.numero_cfdis) == ("empty", 5004, 0)
    assert (p2.status, p2.codigo, p2.numero_cfdis) == ("finished", 5000, 7)
    assert store.requests_to_check(RFC) == []
    done = {
        r.id_solicitud: r
        for r in (store.request_of_attempt(x.attempt_id) for x in (empty, full))
        if r
    }
    assert (done["req-1"].status, done["req-1"].numero_cfdis) == ("empty", 0)
    assert (done["req-2"].status, done["req-2"].numero_cfdis) == ("finished", 7)


def test_packages_left_to_download_and_the_status_a_user_sees(store: FleetStore) -> None:
    add(store, RFC)
    add(store, OTHER)
    fence = planned(store, RFC, months=3)
    planned(store, OTHER, months=1)
    full = accepted(store, fence, "p1", "req-1")
    accepted(store, fence, "p2", "req-2", next_check=NOW + timedelta(minutes=3))
    packages = {"pkg-a": f"{RFC}/pkg-a.zip", "pkg-b": f"{RFC}/pkg-b.zip"}
    assert store.finish_request(fence, full, 7, packages, NOW)
    assert [p.id_paquete for p in store.packages_to_download(RFC)] == ["pkg-a", "pkg-b"]
    assert store.start_download(fence, "pkg-a", NOW) == 1
    store.write(fence, "package_downloaded", id_paquete="pkg-a", size=1234, sha256="cd", now=NOW)
    left = store.packages_to_download(RFC)
    assert [(p.id_paquete, p.status, p.path) for p in left] == [
        ("pkg-b", "pending", f"{RFC}/pkg-b.zip")
    ]
    assert store.packages_to_download(OTHER) == []
    assert [(p.id_paquete, p.status, p.size) for p in store.packages()] == [
        ("pkg-a", "downloaded", 1234),
        ("pkg-b", "pending", None),
    ]
    assert store.packages(OTHER) == []
    store.write(
        fence,
        "period_ended",
        key=f"{RFC}-p3",
        status="failed",
        codigo=5002,
        numero_cfdis=0,
        last_error="5002: limit reached",
        now=NOW,
    )
    mine, other = ({k: row[k] for k in row} for row in store.status())
    assert mine["rfc"] == RFC
    counts = {k: int(v) for k, v in mine.items() if k.startswith(("periods", "requests", "pack"))}
    assert counts == {
        "periods_open": 1,  # p2: accepted, its request open
        "periods_done": 1,
        "periods_failed": 1,
        "requests_open": 1,
        "requests_finished": 1,
        "packages": 2,
        "packages_downloaded": 1,
    }
    assert (int(mine["bytes"]), int(mine["documents"])) == (1234, 7)
    assert mine["next_check"] is not None
    assert other["rfc"] == OTHER
    assert (int(other["periods_open"]), int(other["packages"]), int(other["bytes"])) == (1, 0, 0)
    assert other["next_check"] is None


@pytest.mark.timeout(60)
def test_postgres_ends_a_paused_workers_transaction_so_another_can_claim(
    pg_url: str, closing: Keep
) -> None:
    paused = FleetStore.open(pg_url)
    closing(paused)
    other = FleetStore.open(pg_url)
    closing(other)
    add(paused, RFC)
    fence = paused.claim(RFC, "paused", NOW)
    holding = threading.Event()
    outcome: list[BaseException | None] = []
    idle = float(IDLE_IN_TRANSACTION.removesuffix("s"))

    def pause() -> None:
        try:
            with paused.fenced(fence):  # holds the taxpayer's row lock
                holding.set()
                time.sleep(idle + 1.5)  # a worker stopped (SIGSTOP, a lost network)
            outcome.append(None)
        except BaseException as error:  # reported below
            outcome.append(error)

    worker = threading.Thread(target=pause)
    worker.start()
    assert holding.wait(10)
    started = time.monotonic()
    taken = other.claim(RFC, "other", NOW)  # waits on the row lock until the server frees it
    waited = time.monotonic() - started
    worker.join()
    assert taken.number == fence.number + 1
    assert waited < idle + 1.0, waited  # freed when the server ended the session, not later
    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseError), outcome
    row = other.taxpayer(RFC)
    assert row is not None and row.holder == "other"
