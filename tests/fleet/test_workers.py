"""Four ``sat-zeep worker`` processes, one PostgreSQL, one fake SAT, many taxpayers × months."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sat_zeep.cli import main
from sat_zeep.sync.fleet import FleetStore

from .fleetsat import Efirma, assert_fleet_done, fake_sat_process
from .workers import Workers, register, wait_until_done

#: Taxpayers and months of the worker tests (the issue's full size: 200 and 12).
TAXPAYERS = int(os.environ.get("FLEET_WORKER_TAXPAYERS", "16"))
MONTHS = int(os.environ.get("FLEET_WORKER_MONTHS", "3"))


@pytest.mark.timeout(300)
def test_four_workers_sync_every_taxpayer_once(
    pg_url: str, efirmas: list[Efirma], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rfcs = register(pg_url, efirmas[:TAXPAYERS], tmp_path, MONTHS)
    options = ("--seconds-until-ready", "2", "--documents-per-day", "2")
    with fake_sat_process(tmp_path / "sat", *options) as sat:
        workers = Workers(pg_url, tmp_path / "out", sat.base_url, tmp_path / "logs")
        workers.start(4)
        try:
            wait_until_done(pg_url, rfcs, timeout=240, workers=workers)
        finally:
            workers.stop()
        rejections = sat.stats()["rejections"]
    assert not {"5002", "5005", "5008"} & set(rejections), rejections
    with FleetStore.open(pg_url) as store:
        assert_fleet_done(store, tmp_path / "out", sat.state_dir, rfcs)
        assert len(store.periods(rfcs[0])) >= 4 * MONTHS
    capsys.readouterr()
    assert main(["fleet", "status", "--db", pg_url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)["taxpayers"]
    assert [row["rfc"] for row in status] == sorted(rfcs)
    assert all(row["periods_open"] == 0 and row["packages_downloaded"] > 0 for row in status)
