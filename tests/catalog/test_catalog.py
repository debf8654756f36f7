"""The catalog against the fake SAT: numbers that add up and match the universe, on both backends."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from sat_zeep.catalog import Catalog
from sat_zeep.fiel import Fiel
from sat_zeep.sync import PollPolicy, SyncEngine, SyncJob, SyncSummary
from sat_zeep.testing.fake_sat.documents import Query
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from .conftest import CatalogTarget

JOB = SyncJob(date(2026, 9, 1), date(2026, 10, 31))
NOW = PollPolicy(initial=timedelta(0), maximum=timedelta(0))


def sync(sat: FakeSat, fiel: Fiel, output: Path, job: SyncJob = JOB) -> SyncSummary:
    with sat.client(fiel, job.service) as client:
        engine = SyncEngine(client, output, poll=NOW, sleep=lambda _: None)
        try:
            return engine.run(job)
        finally:
            engine.close()


def universe_documents(sat: FakeSat, rfc: str, job: SyncJob) -> dict[str, list[object]]:
    start = datetime.combine(job.start, datetime.min.time())
    end = datetime.combine(job.end, datetime.max.time()).replace(microsecond=0)
    found: dict[str, list[object]] = {}
    for direction in ("emitidos", "recibidos"):
        query = Query(
            service="cfdi", rfc=rfc, direction=direction, start=start, end=end,
            estado_comprobante="Todos",
        )
        found[direction] = list(sat.ledger.universe.documents(query))
    return found


def test_report_adds_up_and_matches_the_universe(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path, catalog_target: CatalogTarget
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    assert sync(sat, fiel, out).complete
    with Catalog.open(catalog_target()) as catalog:
        result = catalog.update(out)
        assert not result.failed and len(result.indexed) == 8
        report = catalog.report()
        again = catalog.update(out)
        assert again.indexed == [] and len(again.unchanged) == 8
    expected = universe_documents(sat, fiel.rfc, JOB)
    for month in report.months:
        missing = sum(month[f"missing_{r}"] for r in ("cancelled", "not_requested", "pending",
                                                       "failed", "unexplained"))
        assert month["in_metadata"] == month["xml_held"] + missing
    by_month: Counter[tuple[str, str]] = Counter()
    cancelled_received: Counter[tuple[str, str]] = Counter()
    for direction, documents in expected.items():
        for document in documents:
            key = (direction, document.fecha_emision.strftime("%Y-%m"))  # type: ignore[attr-defined]
            by_month[key] += 1
            if direction == "recibidos" and document.estatus == "0":  # type: ignore[attr-defined]
                cancelled_received[key] += 1
    got = {(m["direction"], m["month"]): m for m in report.months}
    assert set(got) == set(by_month)
    for key, count in by_month.items():
        assert got[key]["in_metadata"] == count
        assert got[key]["missing_cancelled"] == cancelled_received[key]
        assert got[key]["xml_held"] == count - cancelled_received[key]
        assert got[key]["xml_without_metadata"] == 0
