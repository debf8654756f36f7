"""The document catalog: indexing 1,000,000 metadata rows and 200,000 XML documents.

    nice -n 10 .venv/bin/python benchmarks/catalog_index.py [--metadata 1000000]
        [--documents 200000] [--db postgresql://…] [--cache-dir /tmp/sat-zeep-bench-catalog]

Packages are built once (cached) from the fake SAT's universe in a sync's folder layout, one
taxpayer's emitted CFDI over a year: metadata packages of 200,000 rows, CFDI packages of 20,000
real-shaped XML documents (the first ``--documents`` of the same documents, so XML and metadata
meet on their UUIDs). Then ``Catalog.update`` indexes the folder into a new catalog (SQLite file
by default, or ``--db``) and the benchmark prints rows/s, the peak RSS while indexing, the
catalog's size on disk, the time of a second ``update`` (nothing new: every package skipped by
its SHA-256), of ``report`` and of ``changes``. Run it twice: the first run builds the packages
in the same process, so its peak RSS counts the heap the build left behind.
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from _common import machine_note, measure, mib, say

from sat_zeep.catalog import Catalog
from sat_zeep.testing.fake_sat.documents import Query
from sat_zeep.testing.fake_sat.package_writer import (
    split_into_packages,
    write_cfdi_package,
    write_metadata_package,
)
from sat_zeep.testing.fake_sat.universe import Universe

RFC = "BEN200101AB1"
START = datetime(2025, 1, 1)
END = datetime(2025, 12, 31, 23, 59, 59)
METADATA_PER_PACKAGE = 200_000
XML_PER_PACKAGE = 20_000


def build(out: Path, metadata: int, documents: int) -> float:
    """Write the packages under ``out`` (skipped when already there); seconds spent."""
    stamp = out / f".built-{metadata}-{documents}"
    if stamp.exists():
        return 0.0
    shutil.rmtree(out, ignore_errors=True)
    began = time.perf_counter()
    query = Query("cfdi", "emitidos", RFC, START, END, estado_comprobante="Todos")
    universe = Universe(seed=7, documents_per_day=metadata / 365 * 1.05)
    period = "2025-01-01_2025-12-31"
    listed = []
    for number, document in enumerate(universe.documents(query)):
        if number == metadata:
            break
        listed.append(document)
    folder = out / "cfdi" / "emitidos" / "metadata" / period
    folder.mkdir(parents=True)
    for index, chunk in enumerate(split_into_packages(listed, METADATA_PER_PACKAGE), start=1):
        name = f"BENCH0000-0000-0000-0000-00000000000{index}_{index:02}"
        write_metadata_package(chunk, folder / f"{name}.zip", id_paquete=name, service="cfdi")
    folder = out / "cfdi" / "emitidos" / "cfdi" / period
    folder.mkdir(parents=True)
    for index, chunk in enumerate(split_into_packages(listed[:documents], XML_PER_PACKAGE), 1):
        write_cfdi_package(chunk, folder / f"BENCHXML-{index:04}_01.zip")
    stamp.touch()
    return time.perf_counter() - began


def size_on_disk(target: Path) -> int:
    return sum(p.stat().st_size for p in target.parent.glob(target.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--db", help="a postgresql:// URL (default: a new SQLite file)")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/sat-zeep-bench-catalog"))
    args = parser.parse_args()
    out = args.cache_dir / f"out-{args.metadata}-{args.documents}"
    built = build(out, args.metadata, args.documents)
    packages = sum(p.stat().st_size for p in out.rglob("*.zip"))
    say(f"catalog_index: {machine_note()}")
    say(f"packages: {args.metadata:,} metadata rows, {args.documents:,} XML documents,")
    say(f"  {mib(packages)} of ZIP under {out}" + (f" (built in {built:.1f} s)" if built else ""))
    target = args.db or str(args.cache_dir / "catalog.sqlite3")
    if not args.db:
        for old in args.cache_dir.glob("catalog.sqlite3*"):
            old.unlink()
    catalog = Catalog.open(target)
    result: dict[str, int] = {}

    def index() -> int:
        done = catalog.update(out)
        result["rows"] = done.documents
        result["packages"] = len(done.indexed)
        return 0

    figures = measure(index)
    rows = result["rows"]
    say(
        f"update: {result['packages']} packages, {rows:,} rows in {figures['seconds']:.1f} s"
        f" = {rows / figures['seconds']:,.0f} rows/s (CPU {figures['cpu_seconds']:.1f} s),"
        f" peak RSS {mib(figures['peak'])}"
        + ("" if figures["peak_reset"] else " (high-water mark incl. setup)")
    )
    for name, call in (
        ("update again (nothing new)", lambda: len(catalog.update(out).unchanged)),
        ("report", lambda: len(catalog.report().months)),
        ("changes --since", lambda: len(catalog.changes(START - timedelta(days=1)))),
    ):
        began = time.perf_counter()
        count = call()
        say(f"{name}: {time.perf_counter() - began:.2f} s ({count} rows)")
    catalog.close()
    if not args.db:
        say(f"catalog on disk: {mib(size_on_disk(Path(target)))}")


if __name__ == "__main__":
    main()
