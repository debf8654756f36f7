"""The sync's guards, as a user sees them: SAT's download limit, expired and empty periods.

Each asserts what SAT counted and what the summary says, so it holds whatever the engine's
inside looks like (tests/sync/test_kill_and_resume.py covers a package trusted on disk).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sat_zeep.codes import TipoSolicitud
from sat_zeep.fiel import Fiel
from sat_zeep.sync import PollPolicy, SyncEngine, SyncEvent, SyncJob, SyncSummary
from sat_zeep.sync.events import EventSink, ignore
from sat_zeep.testing.fake_sat.faults import FaultPlan
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from ..dates import month_ago
from .conftest import MakeSat

#: One month, emitidos, metadata: one request, one package.
ONE = SyncJob(*month_ago(2), directions=("emitidos",), kinds=(TipoSolicitud.METADATA,))


def sync(
    sat: FakeSat, fiel: Fiel, output: Path, job: SyncJob = ONE, on_event: EventSink = ignore
) -> SyncSummary:
    with sat.client(fiel, job.service) as client:
        engine = SyncEngine(
            client,
            output,
            poll=PollPolicy(initial=timedelta(0), maximum=timedelta(0)),
            sleep=lambda _: None,
            on_event=on_event,
        )
        try:
            return engine.run(job)
        finally:
            engine.close()


def test_a_package_is_never_downloaded_a_third_time(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """SAT serves a package twice; every transfer fails here, so the sync stops at two.

    (The guards for a package left ``downloading`` by a kill after its second attempt are not
    reached here: tests/sync/test_third_download.py kills a sync there.)
    """
    sat = make_sat(faults=FaultPlan(rate=1.0, kinds=("http500",), operations=("Descargar",)))
    first = sync(sat, fiel, tmp_path / "out")
    assert sat.stats()["calls"]["Descargar"] == 2
    assert first.packages == {"failed": 1}, first
    assert first.failures and not first.complete
    again = sync(sat, fiel, tmp_path / "out")
    assert sat.stats()["calls"]["Descargar"] == 2, "a third download was attempted"
    assert again.packages == {"failed": 1}, again


def test_an_expired_package_is_recorded_expired_not_pending(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """SAT keeps a package 72 hours; here they pass between Verifica and Descargar.

    (``--rerequest-expired`` does not yet re-request such a period: only one SAT answered
    Vencida for; see the next test and the report of issue 12.)
    """
    sat = make_sat()

    def age_the_packages(event: SyncEvent) -> None:
        if event.kind == "finished":
            sat.advance(timedelta(hours=73))

    first = sync(sat, fiel, tmp_path / "out", on_event=age_the_packages)
    assert first.packages == {"expired": 1}, first
    assert not first.complete and first.failures
    assert sat.stats()["requests_accepted"] == 1
    again = sync(sat, fiel, tmp_path / "out")
    assert again.packages == {"expired": 1}, again
    assert sat.stats()["requests_accepted"] == 1, "re-requested without --rerequest-expired"


def test_rerequest_expired_requests_a_period_whose_packages_expired_again(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """SAT answers Vencida (6) for a request whose packages outlived their 72 hours."""
    sat = make_sat(config=LedgerConfig(package_lifetime=timedelta(0)))
    first = sync(sat, fiel, tmp_path / "out")
    assert first.requests == {"expired": 1}, first
    sync(sat, fiel, tmp_path / "out")
    assert sat.stats()["requests_accepted"] == 1, "re-requested without --rerequest-expired"
    sync(sat, fiel, tmp_path / "out", replace(ONE, rerequest_expired=True))
    assert sat.stats()["requests_accepted"] == 2, "--rerequest-expired did not request again"


def test_a_period_without_documents_is_complete_not_failed(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """SAT rejects a period with nothing in it (5004): nothing to download, nothing failed."""
    sat = make_sat(documents_per_day=0)
    summary = sync(sat, fiel, tmp_path / "out")
    assert summary.failures == [], summary
    assert summary.complete, summary
    assert summary.packages == {}
    assert "Descargar" not in sat.stats()["calls"]
