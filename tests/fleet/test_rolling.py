"""A rolling window (``--since 35d``): each day asks for what is new, never the same twice."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from sat_zeep.cli import main
from sat_zeep.client.polling import PollPolicy
from sat_zeep.client.sat_client import MEXICO_TIME
from sat_zeep.sync.fleet import FleetStore
from sat_zeep.sync.fleet.runtime import FleetRuntime, sat_endpoints
from sat_zeep.sync.fleet.scheduler import FleetScheduler
from sat_zeep.sync.fleet.steps import StepSettings

from ..conftest import FIXTURE_RFC, FIXTURES, MakeSat
from .fleetsat import assert_fleet_done

NOW = PollPolicy(initial=timedelta(0), maximum=timedelta(0))
DAYS = 3


def test_each_day_asks_for_the_new_month_so_far_and_nothing_twice(
    make_sat: MakeSat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sat = make_sat()
    efirma = tmp_path / "efirma"
    efirma.mkdir()
    for name in ("fiel.cer", "fiel.key"):
        shutil.copy(FIXTURES / "efirma" / name, efirma / name)
    monkeypatch.setenv("FIXTURE_PASSWORD", (FIXTURES / "efirma" / "password.txt").read_text())
    db = str(tmp_path / "fleet.sqlite3")
    assert (
        main(
            [
                "fleet",
                "add",
                "--db",
                db,
                "--efirma",
                str(efirma),
                "--password-env",
                "FIXTURE_PASSWORD",
                "--since",
                "35d",
            ]
        )
        == 0
    )
    out = tmp_path / "out"
    runtime = FleetRuntime(
        db,
        out,
        endpoints_for=sat_endpoints(sat.base_url),
        settings=StepSettings(poll=NOW),
        transport=sat.transport(),
        clock=sat.now,
    )
    asked_per_day = []
    for _ in range(DAYS):
        before = sum(n for *_, n in sat.ledger.submissions())
        summary = FleetScheduler(runtime, concurrency=4).run(max_wait=timedelta(minutes=1))
        assert not summary.errors and not summary.unfinished, summary
        asked_per_day.append(sum(n for *_, n in sat.ledger.submissions()) - before)
        sat.advance(timedelta(days=1))
    per_set = Counter(
        (rfc, parameters) for rfc, parameters, _, n in sat.ledger.submissions() for _ in range(n)
    )
    assert max(per_set.values()) == 1, per_set.most_common(2)
    # The first day asks for the whole window (two or three months); each later day for the
    # current month so far (4: two directions, two kinds) and, the day a month ends, that
    # month whole (4 more).
    assert asked_per_day[0] >= 8
    assert all(count in (4, 8) for count in asked_per_day[1:]), asked_per_day
    with FleetStore.open(db) as store:
        assert_fleet_done(store, out, sat.state_dir, [FIXTURE_RFC])
        last_day = (sat.now() - timedelta(days=2)).astimezone(MEXICO_TIME).date()
        ends = {p.period_end[:10] for p in store.periods(FIXTURE_RFC)}
        assert last_day.isoformat() in ends
