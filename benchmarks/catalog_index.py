"""The document catalog: indexing 1,000,000 metadata rows and 200,000 XML documents.

    nice -n 10 .venv/bin/python benchmarks/catalog_index.py [--metadata 1000000]
        [--documents 200000] [--db postgresql://…] [--cache-dir /tmp/sat-zeep-bench-catalog]

Packages are built once (cached) from the fake SAT's universe in a sync's folder layout, one
taxpayer's emitted CFDI over a year: metadata packages of 200,000 rows, CFDI packages of 20,000
real-shaped XML documents (the first ``--documents`` of the same documents, so XML and metadata
meet on their UUIDs). The metadata is written twice, as SAT shows it on two days: the day after
the year ends (``FIRST_SEEN``) and 46 days later (``LATER_SEEN``), when every cancellation of the
year has happened (the universe cancels within 45 days of certification), so the later metadata
turns the documents cancelled in between from Vigente to Cancelado.

``Catalog.update`` indexes the first folder into a new catalog (SQLite file by default, or
``--db``) and the benchmark prints rows/s, the peak RSS while indexing, the catalog's size on
disk, the time of a second ``update`` (nothing new: every package skipped by its SHA-256) and of
``report``; then it indexes the later metadata (the status changes recorded as it goes) and
times ``changes --since`` on the real changes, checked against the count the build expects.
Run it twice: the first run builds the packages in the same process, so its peak RSS counts the
heap the build left behind.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from _common import machine_note, measure, mib, say

from sat_zeep.catalog import Catalog
from sat_zeep.testing.fake_sat.documents import Document, Query
from sat_zeep.testing.fake_sat.package_writer import (
    split_into_packages,
    write_cfdi_package,
    write_metadata_package,
)
from sat_zeep.testing.fake_sat.universe import Universe

RFC = "BEN200101AB1"
START = datetime(2025, 1, 1)
END = datetime(2025, 12, 31, 23, 59, 59)
FIRST_SEEN = END + timedelta(days=1)
LATER_SEEN = END + timedelta(days=46)
METADATA_PER_PACKAGE = 200_000
XML_PER_PACKAGE = 20_000
PERIOD = "2025-01-01_2025-12-31"


def build(cache: Path, metadata: int, documents: int) -> tuple[Path, Path, int, float]:
    """Write both folders (skipped when already there): (first, later, changes, seconds spent).

    ``changes``: the documents the later metadata shows cancelled but the first shows Vigente.
    """
    first, later = cache / f"out-{metadata}-{documents}", cache / f"later-{metadata}"
    stamp = cache / f".built-{metadata}-{documents}-v2"
    if stamp.exists():
        return first, later, int(stamp.read_text()), 0.0
    for folder in (first, later):
        shutil.rmtree(folder, ignore_errors=True)
    began = time.perf_counter()
    query = Query("cfdi", "emitidos", RFC, START, END, estado_comprobante="Todos")
    universe = Universe(seed=7, documents_per_day=metadata / 365 * 1.05)
    listed = universe.documents_at(query, FIRST_SEEN)[:metadata]
    _write_metadata(listed, first, "BENCH")
    folder = first / "cfdi" / "emitidos" / "cfdi" / PERIOD
    folder.mkdir(parents=True)
    for index, chunk in enumerate(split_into_packages(listed[:documents], XML_PER_PACKAGE), 1):
        write_cfdi_package(chunk, folder / f"BENCHXML-{index:04}_01.zip")
    vigente_first = {document.uuid for document in listed if document.estatus == "1"}
    del listed
    seen_later = universe.documents_at(query, LATER_SEEN)[:metadata]
    _write_metadata(seen_later, later, "LATER")
    changes = sum(d.estatus == "0" and d.uuid in vigente_first for d in seen_later)
    stamp.write_text(str(changes))
    return first, later, changes, time.perf_counter() - began


def _write_metadata(listed: list[Document], out: Path, prefix: str) -> None:
    folder = out / "cfdi" / "emitidos" / "metadata" / PERIOD
    folder.mkdir(parents=True)
    for index, chunk in enumerate(split_into_packages(listed, METADATA_PER_PACKAGE), start=1):
        name = f"{prefix}0000-0000-0000-0000-00000000000{index}_{index:02}"
        write_metadata_package(chunk, folder / f"{name}.zip", id_paquete=name, service="cfdi")


def size_on_disk(target: Path) -> int:
    return sum(p.stat().st_size for p in target.parent.glob(target.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--db", help="a postgresql:// URL (default: a new SQLite file)")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/sat-zeep-bench-catalog"))
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    out, later, expected_changes, built = build(args.cache_dir, args.metadata, args.documents)
    packages = sum(p.stat().st_size for p in out.rglob("*.zip"))
    say(f"catalog_index: {machine_note()}")
    say(f"packages: {args.metadata:,} metadata rows, {args.documents:,} XML documents,")
    say(f"  {mib(packages)} of ZIP under {out}" + (f" (built in {built:.1f} s)" if built else ""))
    say(f"  and the same {args.metadata:,} metadata rows seen {LATER_SEEN:%Y-%m-%d} under {later}")
    target = args.db or str(args.cache_dir / "catalog.sqlite3")
    if not args.db:
        for old in args.cache_dir.glob("catalog.sqlite3*"):
            old.unlink()
    seen = [FIRST_SEEN]
    catalog = Catalog.open(target, clock=lambda: seen[0])
    result: dict[str, int] = {}

    def index(folder: Path) -> Callable[[], int]:
        def run() -> int:
            done = catalog.update(folder)
            result["rows"] = done.documents
            result["packages"] = len(done.indexed)
            return 0

        return run

    figures = measure(index(out))
    rows = result["rows"]
    say(
        f"update: {result['packages']} packages, {rows:,} rows in {figures['seconds']:.1f} s"
        f" = {rows / figures['seconds']:,.0f} rows/s (CPU {figures['cpu_seconds']:.1f} s),"
        f" peak RSS {mib(figures['peak'])}"
        + ("" if figures["peak_reset"] else " (high-water mark incl. setup)")
    )
    timed: tuple[tuple[str, Callable[[], int]], ...] = (
        ("update again (nothing new)", lambda: len(catalog.update(out).unchanged)),
        ("report", lambda: len(catalog.report().months)),
    )
    for name, call in timed:
        began = time.perf_counter()
        count = call()
        say(f"{name}: {time.perf_counter() - began:.2f} s ({count} rows)")

    seen[0] = LATER_SEEN
    began = time.perf_counter()
    index(later)()
    elapsed = time.perf_counter() - began
    rows = result["rows"]
    say(
        f"update with the later metadata: {rows:,} rows in {elapsed:.1f} s"
        f" = {rows / elapsed:,.0f} rows/s"
    )
    since = FIRST_SEEN + timedelta(days=1)
    began = time.perf_counter()
    changes = catalog.changes(since)
    elapsed = time.perf_counter() - began
    cancelled = sum(change["new_estatus"] == 0 for change in changes)
    say(
        f"changes --since {since:%Y-%m-%d}: {elapsed:.2f} s ({len(changes):,} changes, "
        f"{cancelled:,} Vigente→Cancelado; the build expects {expected_changes:,})"
    )
    began = time.perf_counter()
    months = len(catalog.report().months)
    say(f"report after the changes: {time.perf_counter() - began:.2f} s ({months} rows)")
    catalog.close()
    if not args.db:
        say(f"catalog on disk: {mib(size_on_disk(Path(target)))}")
    if len(changes) != expected_changes:
        raise SystemExit(f"changes: {len(changes)}, expected {expected_changes}")


if __name__ == "__main__":
    main()
