"""The sync engine against the fake SAT: complete, resumable, and careful with SAT's limits."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.client.parameters import earliest_start
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import ServiceType
from sat_zeep.sync import PollPolicy, SyncEngine, SyncEvent, SyncJob, SyncSummary
from sat_zeep.sync.downloads import _checked
from sat_zeep.sync.retry import RetryPolicy
from sat_zeep.testing.fake_sat.faults import FaultPlan
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from ..dates import month_ago
from .conftest import MakeSat, documents_filed, requests_by_criteria

JOB = SyncJob(month_ago(3)[0], month_ago(2)[1])
NOW = PollPolicy(initial=timedelta(0), maximum=timedelta(0))


def sync(
    sat: FakeSat,
    fiel: Fiel,
    output: Path,
    job: SyncJob = JOB,
    **options: object,
) -> SyncSummary:
    with sat.client(fiel, job.service) as client:
        options.setdefault("retry", RetryPolicy(initial=timedelta(0)))
        engine = SyncEngine(client, output, poll=NOW, sleep=lambda _: None, **options)  # type: ignore[arg-type]
        try:
            return engine.run(job)
        finally:
            engine.close()


def test_a_full_sync_files_every_document_once(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    events: list[SyncEvent] = []
    summary = sync(sat, fiel, tmp_path / "out", on_event=events.append)
    assert summary.complete, summary
    assert summary.requests == {"finished": 8}
    assert summary.packages == {"downloaded": 8}
    filed = documents_filed(tmp_path / "out")
    assert set(filed) == {(d, k) for d in ("emitidos", "recibidos") for k in ("metadata", "cfdi")}
    assert filed["emitidos", "cfdi"] == filed["emitidos", "metadata"]  # Todos: same documents
    assert filed["recibidos", "cfdi"] <= filed["recibidos", "metadata"]  # XML: Vigente only
    assert summary.documents["CFDI"] == sum(
        len(filed[d, "cfdi"]) for d in ("emitidos", "recibidos")
    )
    assert {event.kind for event in events} >= {"planned", "accepted", "finished", "downloaded"}

    # Run again: nothing new is asked for or downloaded.
    calls = dict(sat.stats()["calls"])
    again = sync(sat, fiel, tmp_path / "out")
    assert again.complete
    assert sat.stats()["calls"].get("SolicitaDescargaEmitidos") == calls["SolicitaDescargaEmitidos"]
    assert sat.stats()["calls"].get("Descargar") == calls["Descargar"]
    assert max(requests_by_criteria(sat).values()) == 1


def test_retenciones(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> None:
    sat = make_sat()
    job = replace(JOB, service=ServiceType.RETENCIONES, directions=("emitidos",))
    summary = sync(sat, fiel, tmp_path / "out", job)
    assert summary.complete and summary.packages == {"downloaded": 4}
    assert list((tmp_path / "out").glob("retenciones/emitidos/cfdi/*/*.zip"))


def test_too_many_documents_splits_the_period(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    whole = make_sat()
    sync(whole, fiel, tmp_path / "whole", replace(JOB, kinds=(TipoSolicitud.CFDI,)))
    capped = make_sat(config=LedgerConfig(max_xml_per_request=400))
    summary = sync(capped, fiel, tmp_path / "split", replace(JOB, kinds=(TipoSolicitud.CFDI,)))
    assert summary.complete, summary
    assert summary.requests["split"] >= 2
    assert documents_filed(tmp_path / "split") == documents_filed(tmp_path / "whole")


def test_a_token_expiring_mid_sync(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> None:
    sat = make_sat()

    def age_the_token(event: SyncEvent) -> None:
        if event.kind == "finished" and not sat.clock.offset:
            sat.advance(timedelta(minutes=5, seconds=10))  # SAT's clock jumps: the token dies

    summary = sync(sat, fiel, tmp_path / "out", on_event=age_the_token)
    assert summary.complete, summary
    assert sat.stats()["tokens_issued"] >= 2


def test_injected_faults_are_survived(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> None:
    faults = FaultPlan(
        rate=0.25, seed=11, kinds=("http500", "http503", "error404", "reset", "truncate")
    )
    sat = make_sat(faults=faults)
    for _ in range(4):
        summary = sync(sat, fiel, tmp_path / "out", concurrency=1)
        if summary.complete:
            break
    assert summary.complete, summary
    assert faults.injected, "the plan injected nothing"
    clean = make_sat()
    sync(clean, fiel, tmp_path / "clean")
    assert documents_filed(tmp_path / "out") == documents_filed(tmp_path / "clean")
    assert max(requests_by_criteria(sat).values()) == 1
    assert max(sat.stats()["downloads"].values()) <= 2


def test_stuck_requests_are_resumed_by_a_later_run(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat(config=LedgerConfig(verifications_until_ready=10_000))
    first = sync(sat, fiel, tmp_path / "out", max_wait=timedelta(seconds=0.3))
    assert not first.complete
    assert first.pending_at_sat == 8
    assert "run the same command later" in first.next_step()
    submitted = sum(requests_by_criteria(sat).values())
    sat.ledger.config = replace(sat.ledger.config, verifications_until_ready=0)
    second = sync(sat, fiel, tmp_path / "out")
    assert second.complete, second
    assert sum(requests_by_criteria(sat).values()) == submitted  # nothing asked again


def test_an_unconfirmed_request_at_the_six_year_edge_ends_a_second_later(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """Its retry cannot start a second earlier (SAT refuses that), so it ends a second later."""
    sat = make_sat()
    with sat.client(fiel) as client:
        edge = earliest_start(client.now().date())
    job = SyncJob(edge.date(), edge.date() + timedelta(days=2), directions=("emitidos",))
    job = replace(job, kinds=(TipoSolicitud.METADATA,))
    sat.faults.add("SolicitaDescargaEmitidos", "reset")  # SAT registers it; the answer is lost
    summary = sync(sat, fiel, tmp_path / "out", job)
    assert summary.complete, summary
    lost, retry = (record.query for record in sat.ledger.requests())
    planned_end = datetime.combine(edge.date() + timedelta(days=2), time(23, 59, 59))
    assert (lost.start, lost.end) == (edge, planned_end)
    assert (retry.start, retry.end) == (edge, planned_end + timedelta(seconds=1))


def test_a_package_found_damaged_on_disk_is_not_trusted(tmp_path: Path) -> None:
    """A deflate stream that cannot be inflated: not a crash of the sync, just "not checked"."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("a.xml", b"<a/>" * 5000)
    data = bytearray(buffer.getvalue())
    data[40:43] = b"\xff\xff\xff"  # inside the entry's deflate stream
    path = tmp_path / "P_01.zip"
    path.write_bytes(bytes(data))
    assert _checked(path) is None
    path.write_bytes(buffer.getvalue())
    assert _checked(path) == (hashlib.sha256(buffer.getvalue()).hexdigest(), path.stat().st_size)
