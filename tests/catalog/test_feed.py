"""Indexing each package as the sync files it (``CatalogFeeder``, ``Catalog.index_package``)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from sat_zeep.catalog import Catalog, CatalogFeeder
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync import PollPolicy, SyncEngine, SyncEvent, SyncJob

from ..conftest import MakeSat
from ..dates import month_ago
from .conftest import CatalogTarget
from .test_catalog import sync
from .test_catalog_cli import rows

#: Two whole past months SAT serves today (relative to today: the six-year window moves).
JOB = SyncJob(month_ago(3)[0], month_ago(2)[1])
NOW = PollPolicy(initial=timedelta(0), maximum=timedelta(0))


def test_each_package_is_indexed_while_the_sync_runs(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path, catalog_target: CatalogTarget
) -> None:
    sat = make_sat()
    out, target = tmp_path / "out", catalog_target()
    landed: list[Path] = []
    seen_during_sync: list[bool] = []
    reader = Catalog.open(target)

    def indexed_paths() -> set[str]:
        return {str(row["path"]) for row in reader.db.all("packages")}

    def progress(event: SyncEvent) -> None:
        """Each package after the first: the one before is in the catalog already."""
        if event.kind != "downloaded":
            return
        if landed:
            deadline = time.monotonic() + 20
            previous = str(landed[-1].resolve())
            while previous not in indexed_paths() and time.monotonic() < deadline:
                time.sleep(0.05)
            seen_during_sync.append(previous in indexed_paths())
        landed.append(Path(event.subject))

    feeder = CatalogFeeder(lambda: Catalog.open(target), forward=progress)
    with sat.client(fiel, JOB.service) as client:
        engine = SyncEngine(client, out, poll=NOW, sleep=lambda _: None, on_event=feeder)
        try:
            assert engine.run(JOB).complete
        finally:
            engine.close()
    result = feeder.close()
    reader.close()
    assert feeder.error is None and not result.failed
    assert len(landed) == 8 and seen_during_sync == [True] * 7
    assert sorted(result.indexed) == sorted(landed)

    reference = catalog_target()
    with Catalog.open(reference) as catalog:
        catalog.update(out)
    assert rows(target) == rows(reference)  # the same catalog as one update after the sync
    with Catalog.open(target) as catalog:
        again = catalog.update(out)
    assert again.indexed == [] and len(again.unchanged) == 8


def test_index_package_is_idempotent_also_from_two_connections_at_once(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path, catalog_target: CatalogTarget
) -> None:
    out, target = tmp_path / "out", catalog_target()
    assert sync(make_sat(), fiel, out).complete
    packages = sorted(out.glob("cfdi/*/*/*/*.zip"))
    catalogs = [Catalog.open(target), Catalog.open(target)]
    results: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def index(number: int) -> None:
        start.wait()
        for package in packages:
            outcome = catalogs[number].index_package(package)
            results[number].append(len(outcome.indexed))

    threads = [threading.Thread(target=index, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for catalog in catalogs:
        catalog.close()
    assert [a + b for a, b in zip(*results, strict=True)] == [1] * len(packages)
    reference = catalog_target()
    with Catalog.open(reference) as catalog:
        for package in packages:
            catalog.index_package(package)
        assert catalog.index_package(packages[0]).unchanged == [packages[0]]
        changes = catalog.db.all("all_status_changes")
    with Catalog.open(target) as catalog:
        assert catalog.db.all("all_status_changes") == changes
    assert rows(target) == rows(reference)


def test_a_catalog_that_cannot_be_opened_does_not_stop_the_sync(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    events: list[SyncEvent] = []
    feeder = CatalogFeeder(lambda: Catalog.open(blocker / "c.sqlite3"), forward=events.append)
    with make_sat().client(fiel, JOB.service) as client:
        engine = SyncEngine(
            client, tmp_path / "out", poll=NOW, sleep=lambda _: None, on_event=feeder
        )
        try:
            assert engine.run(JOB).complete
        finally:
            engine.close()
    result = feeder.close()
    assert feeder.error is not None and result.indexed == []
    assert sum(event.kind == "downloaded" for event in events) == 8  # every event forwarded
