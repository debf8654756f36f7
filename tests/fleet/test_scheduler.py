"""One process drives many taxpayers side by side: fifty take at most twice as long as one."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from sat_zeep.client.polling import PollPolicy
from sat_zeep.sync.fleet import FleetStore
from sat_zeep.sync.fleet.runtime import FleetRuntime, sat_endpoints
from sat_zeep.sync.fleet.scheduler import FleetScheduler
from sat_zeep.sync.fleet.steps import StepSettings

from ..dates import month_ago
from .conftest import FLEET_TAXPAYERS
from .fleetsat import Efirma, ServedSat, add_taxpayers, assert_fleet_done, fake_sat_process

#: Seconds the fake SAT takes to prepare each request.
SAT_DELAY = 20.0
SETTINGS = StepSettings(poll=PollPolicy(initial=timedelta(seconds=3), factor=1.0, jitter=0.0))


def sync_fleet(sat: ServedSat, efirmas: list[Efirma], folder: Path, target: str) -> float:
    """Register ``efirmas`` in a new store, run one scheduler on them; seconds it took."""
    start, end = month_ago(2)
    with FleetStore.open(target) as store:
        add_taxpayers(store, efirmas, start, end)
    runtime = FleetRuntime(
        target, folder, endpoints_for=sat_endpoints(sat.base_url), settings=SETTINGS
    )
    scheduler = FleetScheduler(runtime, concurrency=16)
    began = time.monotonic()
    summary = scheduler.run(max_wait=timedelta(minutes=3))
    took = time.monotonic() - began
    assert not summary.errors and not summary.unfinished, summary
    with FleetStore.open(target) as store:
        assert_fleet_done(store, folder, sat.state_dir, [e.rfc for e in efirmas])
    return took


@pytest.mark.timeout(240)
def test_many_taxpayers_take_at_most_twice_as_long_as_one(
    efirmas: list[Efirma], tmp_path: Path
) -> None:
    options = ("--seconds-until-ready", str(SAT_DELAY), "--documents-per-day", "2")
    with fake_sat_process(tmp_path / "sat", *options) as sat:
        one = sync_fleet(sat, efirmas[:1], tmp_path / "one", str(tmp_path / "one.sqlite3"))
        many_efirmas = efirmas[1 : FLEET_TAXPAYERS + 1]
        many = sync_fleet(sat, many_efirmas, tmp_path / "many", str(tmp_path / "many.sqlite3"))
        rejections = sat.stats()["rejections"]
    print(f"one taxpayer {one:.1f} s, {FLEET_TAXPAYERS} taxpayers {many:.1f} s")  # noqa: T201
    assert one >= SAT_DELAY
    assert many <= 2 * one, f"{FLEET_TAXPAYERS} taxpayers took {many:.1f} s, one {one:.1f} s"
    assert rejections == {}
