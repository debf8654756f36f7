"""The sync's guards, as a user sees them: SAT's download limit, expired and empty periods.

Each asserts what SAT counted and what the summary says, so it holds whatever the engine's
inside looks like (tests/sync/test_kill_and_resume.py covers a package trusted on disk).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync import PollPolicy, SyncEngine, SyncEvent, SyncJob, SyncSummary
from sat_zeep.sync.engine import MAX_ASKED_AGAIN
from sat_zeep.sync.events import EventSink, ignore
from sat_zeep.sync.retry import RetryPolicy
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
            retry=RetryPolicy(initial=timedelta(0)),
        )
        try:
            return engine.run(job)
        finally:
            engine.close()


def test_a_package_is_never_downloaded_a_third_time(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """SAT serves a package twice; every transfer fails here, so the sync stops at two.

    Each time both downloads are used, the period is asked for again (a new request, a new
    package), at most ``MAX_ASKED_AGAIN`` times; then it is a failure, and stays one. (The
    guards for a package left ``downloading`` by a kill after its second attempt are not reached
    here: tests/sync/test_third_download.py kills a sync there.)
    """
    sat = make_sat(faults=FaultPlan(rate=1.0, kinds=("http500",), operations=("Descargar",)))
    first = sync(sat, fiel, tmp_path / "out")
    packages = 1 + MAX_ASKED_AGAIN
    assert sat.stats()["calls"]["Descargar"] == 2 * packages
    assert sat.stats()["requests_accepted"] == packages
    assert first.packages == {"exhausted": packages}, first
    assert first.requests == {"replaced": MAX_ASKED_AGAIN, "finished": 1}, first
    assert len(first.failures) == 1 and not first.complete
    again = sync(sat, fiel, tmp_path / "out")
    assert sat.stats()["calls"]["Descargar"] == 2 * packages, "a third download was attempted"
    assert again.packages == first.packages, again
    assert again.failures == first.failures


def test_an_expired_package_is_recorded_expired_not_pending(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """SAT keeps a package 72 hours; here they pass between Verifica and Descargar."""
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


def test_rerequest_expired_asks_again_for_a_period_whose_package_expired(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """The request ended finished, its package expired (5007): --rerequest-expired asks again.

    (It used to skip it: only requests SAT answered Vencida for were asked for again.)
    """
    sat = make_sat()

    def age_the_packages(event: SyncEvent) -> None:
        if event.kind == "finished":
            sat.advance(timedelta(hours=73))

    sync(sat, fiel, tmp_path / "out", on_event=age_the_packages)
    again = sync(sat, fiel, tmp_path / "out", replace(ONE, rerequest_expired=True))
    assert sat.stats()["requests_accepted"] == 2, "the expired package's period was skipped"
    assert again.complete, again
    assert again.packages == {"expired": 1, "downloaded": 1}, again
    assert again.requests == {"replaced": 1, "finished": 1}, again
    assert len(again.asked_again) == 1 and "5007" not in again.next_step()


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
