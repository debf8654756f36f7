"""``fleet import-state``: a sync's folder state into the fleet, then the fleet goes on from it."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from sat_zeep.cli import main
from sat_zeep.client.polling import PollPolicy
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync import SyncEngine, SyncJob
from sat_zeep.sync.fleet import FleetStore
from sat_zeep.sync.fleet.runtime import FleetRuntime, sat_endpoints
from sat_zeep.sync.fleet.scheduler import FleetScheduler
from sat_zeep.sync.fleet.steps import StepSettings

from ..conftest import FIXTURE_RFC, FIXTURES, MakeSat
from ..dates import month_ago
from .fleetsat import assert_fleet_done

NOW = PollPolicy(initial=timedelta(0), maximum=timedelta(0))


def test_import_then_the_fleet_finishes_without_asking_again(
    make_sat: MakeSat,
    fiel: Fiel,
    fleet_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sat = make_sat()
    job = SyncJob(month_ago(3)[0], month_ago(2)[1])
    sync_out = tmp_path / "sync"
    with sat.client(fiel) as client:
        # A sync that stops early: some requests finished and downloaded, some still open.
        engine = SyncEngine(client, sync_out, poll=NOW, max_wait=timedelta(0), sleep=lambda _: None)
        try:
            left = engine.run(job)
        finally:
            engine.close()
    sent_by_sync = len(sat.ledger.submissions())
    assert sent_by_sync == 8
    assert left.pending_at_sat > 0  # the fleet has checks and downloads left to do
    efirma = tmp_path / "efirma"
    efirma.mkdir()
    for name in ("fiel.cer", "fiel.key"):
        shutil.copy(FIXTURES / "efirma" / name, efirma / name)
    password = (FIXTURES / "efirma" / "password.txt").read_text(encoding="utf-8")
    monkeypatch.setenv("FIXTURE_PASSWORD", password)
    assert (
        main(
            [
                "fleet",
                "add",
                "--db",
                fleet_db,
                "--efirma",
                str(efirma),
                "--password-env",
                "FIXTURE_PASSWORD",
                "--start",
                job.start.isoformat(),
                "--end",
                job.end.isoformat(),
            ]
        )
        == 0
    )
    fleet_out = tmp_path / "fleet"
    assert (
        main(
            [
                "fleet",
                "import-state",
                "--db",
                fleet_db,
                "--from",
                str(sync_out),
                "--out",
                str(fleet_out),
            ]
        )
        == 0
    )
    runtime = FleetRuntime(
        fleet_db,
        fleet_out,
        endpoints_for=sat_endpoints(sat.base_url),
        settings=StepSettings(poll=NOW),
        transport=sat.transport(),
    )
    summary = FleetScheduler(runtime, concurrency=4).run(max_wait=timedelta(minutes=1))
    assert not summary.errors and not summary.unfinished, summary
    assert len(sat.ledger.submissions()) == sent_by_sync  # nothing asked for again
    with FleetStore.open(fleet_db) as store:
        assert_fleet_done(store, fleet_out, sat.state_dir, [FIXTURE_RFC])
        assert len(store.attempts(FIXTURE_RFC)) == 8
        dump = repr([store.db.all(t) for t in ("taxpayers", "all_attempts", "all_packages")])
    assert password.strip() not in dump
    assert sat.stats()["rejections"] == {}
