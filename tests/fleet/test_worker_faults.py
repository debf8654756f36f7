"""Workers killed, paused and cut off from a crashed database; SAT failing at random: the same
guarantees (every period done, no parameter set twice, no 5002/5005/5008, files match)."""

from __future__ import annotations

import os
import random
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sat_zeep.sync.fleet import FleetStore
from sat_zeep.sync.fleet.times import stamp
from sat_zeep.sync.fleet.worker import STALLED_AFTER_SECONDS
from sat_zeep.testing.postgres import PostgresServer

from .fleetsat import Efirma, assert_fleet_done, fake_sat_process
from .workers import Workers, register, wait_until_done

TAXPAYERS = int(os.environ.get("FLEET_FAULT_TAXPAYERS", "12"))
MONTHS = int(os.environ.get("FLEET_FAULT_MONTHS", "3"))
#: kill -9 of random workers (the issue asks for at least 20: FLEET_KILLS=20).
KILLS = int(os.environ.get("FLEET_KILLS", "6"))
SEED = int(os.environ.get("FLEET_FAULT_SEED", "1"))


def held_by(url: str, pid: int) -> dict[str, int]:
    """RFC → fence of the steps the worker with ``pid`` is running now."""
    with FleetStore.open(url, migrate_schema=False) as store:
        return {t.rfc: t.fence for t in store.taxpayers() if (t.holder or "").endswith(f":{pid}")}


def pause_until_taken_over(
    url: str, workers: Workers, rng: random.Random
) -> tuple[dict[str, int], str, Path]:
    """SIGSTOP a worker in the middle of a step until another worker holds its taxpayers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        victim = rng.choice(workers.alive())
        held = held_by(url, victim.pid)
        if held:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("no worker was ever caught in the middle of a step")
    paused_at = stamp(datetime.now(timezone.utc)) or ""
    os.kill(victim.pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + STALLED_AFTER_SECONDS + 60
        while time.monotonic() < deadline:
            with FleetStore.open(url, migrate_schema=False) as store:
                fences = {rfc: store.taxpayer(rfc).fence for rfc in held}  # type: ignore[union-attr]
            if all(fences[rfc] > fence for rfc, fence in held.items()):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the paused worker's taxpayers {held} were never taken over")
    finally:
        os.kill(victim.pid, signal.SIGCONT)
    return held, paused_at, workers.log_of[victim.pid]


@pytest.mark.timeout(420)
def test_kills_a_pause_and_a_database_crash(
    pg_url: str, postgres: PostgresServer, efirmas: list[Efirma], tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    rfcs = register(pg_url, efirmas[:TAXPAYERS], tmp_path, MONTHS)
    options = ("--seconds-until-ready", "2", "--documents-per-day", "2")
    with fake_sat_process(tmp_path / "sat", *options) as sat:
        workers = Workers(pg_url, tmp_path / "out", sat.base_url, tmp_path / "logs")
        workers.start(4)
        try:
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.5, 3.0))
                victim = rng.choice(workers.alive())
                victim.kill()  # kill -9
                victim.wait()
                workers.start(1)
            held, paused_at, paused_log = pause_until_taken_over(pg_url, workers, rng)
            time.sleep(rng.uniform(0.5, 2.0))
            postgres.crash()  # pg_ctl stop -m immediate, in the middle of the run
            time.sleep(2.0)
            postgres.start()
            wait_until_done(pg_url, rfcs, timeout=300, workers=workers, keep=4)
        finally:
            workers.stop()
        rejections = sat.stats()["rejections"]
    assert not {"5002", "5005", "5008"} & set(rejections), rejections
    with FleetStore.open(pg_url) as store:
        assert_fleet_done(store, tmp_path / "out", sat.state_dir, rfcs)
        stale_sends = [
            a
            for a in store.attempts()
            if held.get(a.rfc) == a.fence and (stamp(a.created) or "") > paused_at
        ]
    assert stale_sends == []
    # Resumed, the paused worker's step found its fence taken (or, paused inside a transaction,
    # its session ended by the server): it wrote and sent nothing more.
    log = paused_log.read_text(errors="replace")
    assert "was taken over by another worker" in log or "idle-in-transaction" in log, log[-3000:]
    assert len(workers.processes) >= 4 + KILLS


@pytest.mark.timeout(420)
def test_sat_failing_one_call_in_ten(pg_url: str, efirmas: list[Efirma], tmp_path: Path) -> None:
    rfcs = register(pg_url, efirmas[:TAXPAYERS], tmp_path, MONTHS)
    options = (
        "--seconds-until-ready",
        "2",
        "--documents-per-day",
        "2",
        "--fault-rate",
        "0.1",
        "--fault-seed",
        str(SEED),
    )
    with fake_sat_process(tmp_path / "sat", *options) as sat:
        workers = Workers(pg_url, tmp_path / "out", sat.base_url, tmp_path / "logs")
        workers.start(4)
        try:
            wait_until_done(pg_url, rfcs, timeout=360, workers=workers, lost_ok=True)
        finally:
            workers.stop()
        stats = sat.stats()
    assert not {"5002", "5005", "5008"} & set(stats["rejections"]), stats["rejections"]
    with FleetStore.open(pg_url) as store:
        # With 1 call in 10 failing, about 1 package in 100 meets a fault on both downloads.
        assert_fleet_done(store, tmp_path / "out", sat.state_dir, rfcs, exhausted=0.05)
        # The faults were met and got over: retried downloads, and Solicitudes asked anew.
        assert sum(p.errors for p in store.packages()) > 0
        assert any(a.variant > 0 for a in store.attempts())
