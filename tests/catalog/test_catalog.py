"""The catalog against the fake SAT: numbers that add up and match the universe."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sat_zeep.catalog import MISSING_REASONS, Catalog
from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync import PollPolicy, SyncEngine, SyncJob, SyncSummary
from sat_zeep.sync.engine import MAX_ASKED_AGAIN
from sat_zeep.testing.fake_sat.documents import Query
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from ..dates import month_ago
from .conftest import CatalogTarget

#: Two whole past months SAT serves today (relative to today: the six-year window moves).
JOB = SyncJob(month_ago(3)[0], month_ago(2)[1])
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
            service="cfdi",
            rfc=rfc,
            direction=direction,
            start=start,
            end=end,
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
        missing = sum(
            month[f"missing_{r}"]
            for r in ("cancelled", "not_requested", "pending", "failed", "unexplained")
        )
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


MONTH = timedelta(days=31)
START = datetime(2026, 10, 10, 12, 0, tzinfo=timezone.utc)


def documents_at(sat: FakeSat, rfc: str, direction: str, month: int, now: datetime) -> list[Any]:
    """The universe's documents of ``month`` 2026 as SAT shows them at ``now``."""
    start = datetime(2026, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(seconds=1)
    query = Query("cfdi", direction, rfc, start, end, estado_comprobante="Todos")
    return sat.ledger.universe.documents_at(query, now.replace(tzinfo=None))


def test_two_syncs_a_month_apart_with_cancellations_and_failures(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path, catalog_target: CatalogTarget
) -> None:
    now = [START]
    started = datetime.now(timezone.utc)
    # The clock jumps a month between the syncs and otherwise runs: a frozen clock would sign
    # byte-identical Autentica Timestamps, which the fake SAT refuses as replays.
    sat = make_sat(clock=lambda: now[0] + (datetime.now(timezone.utc) - started))
    sat.ledger.universe.status_by_clock = True
    first, second = tmp_path / "first", tmp_path / "second"
    target = catalog_target()

    # 1. September, synced on 10 October.
    assert sync(sat, fiel, first, SyncJob(date(2026, 9, 1), date(2026, 9, 30))).complete
    with Catalog.open(target, clock=lambda: now[0]) as catalog:
        assert len(catalog.update(first).indexed) == 4

    # 2. A month later: metadata of September and October, September's XML again (overlap),
    #    October's received XML whose download fails twice, October's issued XML never asked.
    now[0] = START + MONTH
    metadata, cfdi = (TipoSolicitud.METADATA,), (TipoSolicitud.CFDI,)
    assert sync(sat, fiel, second, SyncJob(date(2026, 9, 1), date(2026, 10, 31), kinds=metadata))
    assert sync(sat, fiel, second, SyncJob(date(2026, 9, 1), date(2026, 9, 30), kinds=cfdi))
    # Every download of it fails: both of each package, and of each package asked for again.
    sat.faults.add("Descargar", "corrupt", times=2 * (1 + MAX_ASKED_AGAIN))
    october_received = SyncJob(date(2026, 10, 1), date(2026, 10, 31), ("recibidos",), cfdi)
    assert not sync(sat, fiel, second, october_received).complete
    with Catalog.open(target, clock=lambda: now[0]) as catalog:
        result = catalog.update(second)
        assert not result.failed and len(result.indexed) + len(result.unchanged) == 6
        assert len(catalog.update(first).unchanged) == 4
        report = catalog.report()
        changes = catalog.changes(START + timedelta(days=1))
        before = list(catalog.documents())
        assert catalog.update(second).indexed == []  # twice: nothing changes
        assert list(catalog.documents()) == before

    rfc = fiel.rfc
    months = {(m["direction"], m["month"]): m for m in report.months}
    assert set(months) == {(d, f"2026-{m:02}") for d in ("emitidos", "recibidos") for m in (9, 10)}
    for month in report.months:
        missing = sum(month[f"missing_{reason}"] for reason in MISSING_REASONS)
        assert month["in_metadata"] == month["xml_held"] + missing
        assert month["xml_without_metadata"] == 0

    september = {d: documents_at(sat, rfc, d, 9, START) for d in ("emitidos", "recibidos")}
    september_now = {d: documents_at(sat, rfc, d, 9, now[0]) for d in ("emitidos", "recibidos")}
    october = {d: documents_at(sat, rfc, d, 10, now[0]) for d in ("emitidos", "recibidos")}
    assert months["emitidos", "2026-09"]["xml_held"] == len(september["emitidos"])
    # Received in September: cancelled by 10 October → no XML; the rest was fetched then.
    cancelled_early = [d for d in september["recibidos"] if d.estatus == "0"]
    assert months["recibidos", "2026-09"] == months["recibidos", "2026-09"] | {
        "in_metadata": len(september["recibidos"]),
        "xml_held": len(september["recibidos"]) - len(cancelled_early),
        "missing_cancelled": len(cancelled_early),
        "missing_failed": 0,
    }
    assert months["emitidos", "2026-10"]["missing_not_requested"] == len(october["emitidos"])
    cancelled_october = [d for d in october["recibidos"] if d.estatus == "0"]
    assert months["recibidos", "2026-10"]["missing_cancelled"] == len(cancelled_october)
    assert months["recibidos", "2026-10"]["missing_failed"] == len(october["recibidos"]) - len(
        cancelled_october
    )

    # Cancelled between the syncs: exactly the September documents whose Estatus changed.
    expected = {
        (now_doc.uuid, then.estatus, now_doc.estatus)
        for direction in ("emitidos", "recibidos")
        for then, now_doc in zip(september[direction], september_now[direction], strict=True)
        if then.estatus != now_doc.estatus
    }
    assert expected, "the universe cancelled nothing between the syncs"
    assert {(c["uuid"], str(c["old_estatus"]), str(c["new_estatus"])) for c in changes} == expected
    assert all(c["seen_at"] == (START + MONTH).replace(tzinfo=None).isoformat() for c in changes)
