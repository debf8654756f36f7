"""The document catalog: indexing 1,000,000 metadata rows and 200,000 XML documents.

    nice -n 10 .venv/bin/python benchmarks/catalog_index.py [--metadata 1000000]
        [--documents 200000] [--db postgresql://…] [--cache-dir /tmp/sat-zeep-bench-catalog]

Packages are built once (cached) from the fake SAT's universe in a sync's folder layout, one
taxpayer's emitted CFDI over a year: metadata packages of 200,000 rows, CFDI packages of 20,000
real-shaped XML documents (the first ``--documents`` of the same documents, so XML and metadata
meet on their UUIDs). The metadata is written twice, as SAT shows it on two days: the day after
the year ends (``FIRST_SEEN``) and 46 days later (``LATER_SEEN``). The later snapshot is
``Universe.documents_at(query, LATER_SEEN)`` (the universe's own cancellations that fall in
between) plus ``CANCEL_SHARE`` (5%) of the still Vigente documents cancelled in between and
``REVIVE_SHARE`` (1%) of the cancelled ones Vigente again: about 5% of the rows change status.

``Catalog.update`` indexes the first folder into a new catalog (SQLite file by default, or
``--db``) and the benchmark prints rows/s, the peak RSS while indexing, the catalog's size on
disk, the time of a second ``update`` (nothing new: every package skipped by its SHA-256) and of
``report``; then it indexes the later metadata incrementally (rows/s; the status changes are
recorded as it goes), times ``changes --since`` (its count must equal, per direction, the changes
the benchmark made, or it exits non-zero) and ``report`` again.
Run it twice: the first run builds the packages in the same process, so its peak RSS counts the
heap the build left behind.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

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
CANCEL_SHARE = 0.05
REVIVE_SHARE = 0.01


def build(cache: Path, metadata: int, documents: int) -> tuple[Path, Path, Changes, float]:
    """Write both folders (skipped when already there): (first, later, changes, seconds spent)."""
    first, later = cache / f"out-{metadata}-{documents}", cache / f"later-{metadata}"
    stamp = cache / f".built-{metadata}-{documents}-v3"
    if stamp.exists():
        return first, later, Changes(*map(int, stamp.read_text().split())), 0.0
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
    status_first = {document.uuid: document.estatus for document in listed}
    del listed
    seen_later, changes = later_metadata(universe.documents_at(query, LATER_SEEN)[:metadata])
    _write_metadata(seen_later, later, "LATER")
    counted = Changes(
        sum(status_first[d.uuid] == "1" and d.estatus == "0" for d in seen_later),
        sum(status_first[d.uuid] == "0" and d.estatus == "1" for d in seen_later),
    )
    if counted != changes:
        raise SystemExit(f"the later metadata changes {counted}, the build made {changes}")
    stamp.write_text(f"{changes.cancelled} {changes.revived}")
    return first, later, changes, time.perf_counter() - began


class Changes(NamedTuple):
    """Status changes between the two metadata snapshots."""

    cancelled: int  # Vigente → Cancelado
    revived: int  # Cancelado → Vigente

    @property
    def total(self) -> int:
        return self.cancelled + self.revived


def later_metadata(seen: list[Document]) -> tuple[list[Document], Changes]:
    """The universe's metadata at ``LATER_SEEN``, with the changes a real taxpayer sees there.

    The universe already cancels the documents whose ``fecha_cancelacion`` falls between the two
    days (those certified in the year's last 45 days); on top of that ``CANCEL_SHARE`` of the
    documents still Vigente are cancelled in between (a year's invoices may be cancelled until the
    annual return) and ``REVIVE_SHARE`` of the cancelled ones show Vigente again, as
    ``Universe.documents_at`` writes a document not cancelled yet.
    """
    rng = random.Random(15)
    window = int((LATER_SEEN - FIRST_SEEN).total_seconds())
    cancelled = sum(
        d.estatus == "0" and d.fecha_cancelacion is not None and d.fecha_cancelacion > FIRST_SEEN
        for d in seen
    )
    revived = 0
    later = []
    for document in seen:
        if document.estatus == "1" and rng.random() < CANCEL_SHARE:
            when = FIRST_SEEN + timedelta(seconds=rng.randrange(1, window))
            document = replace(document, estatus="0", fecha_cancelacion=when)
            cancelled += 1
        elif (
            document.estatus == "0"
            and document.fecha_cancelacion is not None
            and document.fecha_cancelacion <= FIRST_SEEN
            and rng.random() < REVIVE_SHARE
        ):
            document = replace(document, estatus="1", fecha_cancelacion=None)
            revived += 1
        later.append(document)
    return later, Changes(cancelled, revived)


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
    out, later, expected, built = build(args.cache_dir, args.metadata, args.documents)
    packages = sum(p.stat().st_size for p in out.rglob("*.zip"))
    say(f"catalog_index: {machine_note()}")
    say(f"packages: {args.metadata:,} metadata rows, {args.documents:,} XML documents,")
    say(f"  {mib(packages)} of ZIP under {out}" + (f" (built in {built:.1f} s)" if built else ""))
    say(f"  and the same {args.metadata:,} metadata rows seen {LATER_SEEN:%Y-%m-%d} under {later},")
    share = expected.total / args.metadata
    say(
        f"  {expected.total:,} of them ({share:.1%}) changed status: {expected.cancelled:,}"
        f" Vigente→Cancelado, {expected.revived:,} Cancelado→Vigente"
    )
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
    figures = measure(index(later))
    rows = result["rows"]
    say(
        f"update with the later metadata: {result['packages']} packages, {rows:,} rows in"
        f" {figures['seconds']:.1f} s = {rows / figures['seconds']:,.0f} rows/s"
        f" (CPU {figures['cpu_seconds']:.1f} s)"
    )
    since = FIRST_SEEN + timedelta(days=1)
    began = time.perf_counter()
    changes = catalog.changes(since)
    elapsed = time.perf_counter() - began
    found = Changes(
        sum(c["old_estatus"] == 1 and c["new_estatus"] == 0 for c in changes),
        sum(c["old_estatus"] == 0 and c["new_estatus"] == 1 for c in changes),
    )
    say(
        f"changes --since {since:%Y-%m-%d}: {elapsed:.2f} s ({len(changes):,} changes:"
        f" {found.cancelled:,} Vigente→Cancelado, {found.revived:,} Cancelado→Vigente;"
        f" the benchmark made {expected.cancelled:,} + {expected.revived:,})"
    )
    began = time.perf_counter()
    months = len(catalog.report().months)
    say(f"report after the changes: {time.perf_counter() - began:.2f} s ({months} rows)")
    catalog.close()
    if not args.db:
        say(f"catalog on disk: {mib(size_on_disk(Path(target)))}")
    if len(changes) != expected.total or found != expected:
        raise SystemExit(f"changes: {len(changes)} ({found}), the benchmark made {expected}")


if __name__ == "__main__":
    main()
