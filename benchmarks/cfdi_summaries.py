"""Documents/s reading CFDI summaries from a 200,000-document package: sat_zeep vs the peers.

    .venv/bin/python benchmarks/cfdi_summaries.py [--documents 200000] [--parts 4]
                                                  [--sample 50000] [--cache-dir /tmp/...]

The package is written once with the fake SAT's package writer (one month of emitted CFDI from
the synthetic universe, no padding) and cached under ``--cache-dir``; the same documents are
also written as ``--parts`` smaller packages for the parallel API. Then, in the same run:

* ``iter_cfdi_summaries`` — ``sat_zeep.packages.iter_cfdi_summaries(package)``, one process;
* ``summarize_packages`` — ``sat_zeep.packages.summarize_packages(parts, workers=CPUs)``: one
  package per worker process, each package's summaries sent back packed as a few strings
  (``pack_summaries``) and rebuilt as ``CfdiSummary`` objects in this process, in order — what a
  user runs for the summaries of many packages (wall clock; ÷ workers = per core);
* ``lxml full parse + xpath`` — the typical hand-written way: ``zipfile`` read,
  ``etree.fromstring``, xpath/find for each field, Decimal/datetime conversion (first
  ``--sample`` documents of the same package);
* ``satcfdi CFDI.from_string`` — satcfdi's parser (peers venv, ``_peer_cfdi.py``) and the same
  fields, first ``--sample`` documents; cfdiclient has no CFDI parser (the benchmark says so).

Target: ≥ 10,000 documents/s per core for sat_zeep.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import zipfile
from datetime import datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from _common import BENCHMARKS, ROOT, machine_note, mib, say
from fake_sat_package_memory import month_query
from lxml import etree

from sat_zeep.packages import iter_cfdi_summaries, summarize_packages
from sat_zeep.testing.fake_sat.documents import Document
from sat_zeep.testing.fake_sat.package_writer import split_into_packages, write_cfdi_package
from sat_zeep.testing.fake_sat.universe import Universe

PEERS_PYTHON = BENCHMARKS / ".venv-peers" / "bin" / "python"
TARGET_PER_CORE = 10_000
NS = {
    "cfdi": "http://www.sat.gob.mx/cfd/4",
    "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital",
}


def documents(count: int, seed: int) -> list[Document]:
    query = month_query()
    per_day = count / 31 * 1.05
    for _ in range(3):
        counted = Universe(seed=seed, documents_per_day=per_day).count(query)
        if counted >= count:
            break
        per_day *= 1.1 * count / max(counted, 1)
    return list(islice(Universe(seed=seed, documents_per_day=per_day).documents(query), count))


def cached_packages(
    cache: Path, count: int, parts: int, seed: int
) -> tuple[Path, list[Path], float]:
    """(the whole package, the parts, seconds spent writing them — 0 when cached)."""
    folder = cache / f"cfdi-{count}-seed{seed}"
    whole = folder / "whole.zip"
    pieces = [folder / f"part-{index + 1:02d}-of-{parts}.zip" for index in range(parts)]
    if whole.exists() and all(piece.exists() for piece in pieces):
        return whole, pieces, 0.0
    began = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    chosen = documents(count, seed)
    if len(chosen) < count:
        raise RuntimeError(f"the universe gave {len(chosen)} documents, not {count}")
    write_cfdi_package(chosen, whole.with_suffix(".tmp"))
    whole.with_suffix(".tmp").rename(whole)
    size = -(-count // parts)
    for piece, batch in zip(pieces, split_into_packages(chosen, size), strict=True):
        write_cfdi_package(batch, piece.with_suffix(".tmp"))
        piece.with_suffix(".tmp").rename(piece)
    return whole, pieces, time.perf_counter() - began


def typical(path: Path, limit: int) -> list[tuple[str, str, Decimal]]:
    """The usual hand-written reader: full lxml parse, then find/xpath per field."""
    found: list[tuple[str, str, Decimal]] = []
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            if len(found) >= limit:
                break
            if not info.filename.lower().endswith(".xml"):
                continue
            root = etree.fromstring(package.read(info))
            emisor = root.find("cfdi:Emisor", NS)
            receptor = root.find("cfdi:Receptor", NS)
            timbres: Any = root.xpath("cfdi:Complemento/tfd:TimbreFiscalDigital", namespaces=NS)
            timbre = timbres[0]
            children: Any = root.xpath("cfdi:Complemento/*", namespaces=NS)
            complementos = tuple(etree.QName(child).localname for child in children)
            subtotal = root.get("SubTotal")
            assert emisor is not None and receptor is not None
            fields = (
                str(timbre.get("UUID")).upper(),
                root.get("Version"),
                str(emisor.get("Rfc")),
                emisor.get("Nombre"),
                receptor.get("Rfc"),
                receptor.get("Nombre"),
                datetime.fromisoformat(str(root.get("Fecha"))),
                datetime.fromisoformat(str(timbre.get("FechaTimbrado"))),
                Decimal(subtotal) if subtotal is not None else None,
                Decimal(str(root.get("Total"))),
                root.get("Moneda"),
                root.get("TipoDeComprobante"),
                complementos,
            )
            found.append((fields[0], fields[2], fields[9]))
    return found


def main() -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--parts", type=int, default=2 * cores, help="packages for the pool")
    parser.add_argument("--workers", type=int, default=cores)
    parser.add_argument("--sample", type=int, default=50_000, help="documents for the peers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/sat_zeep-bench-cache"))
    options = parser.parse_args()

    say("== CFDI summaries: documents/s, sat_zeep (1 process, a process pool) vs peers")
    say(machine_note())
    whole, parts, built = cached_packages(
        options.cache_dir, options.documents, options.parts, options.seed
    )
    say(
        f"package: {options.documents:,} CFDI, {mib(whole.stat().st_size)} ZIP "
        f"({f'written in {built:.1f} s' if built else 'cached'}: {whole}); "
        f"{len(parts)} parts for the pool"
    )

    began = time.perf_counter()
    summaries = list(iter_cfdi_summaries(whole))
    single = time.perf_counter() - began
    single_rate = len(summaries) / single
    say(
        f"  sat_zeep iter_cfdi_summaries, 1 process: {single_rate:,.0f} documents/s "
        f"({len(summaries):,} in {single:.2f} s) = {single_rate:,.0f}/s per core"
    )

    began = time.perf_counter()
    pooled = 0
    for _, batch in summarize_packages(parts, workers=options.workers):
        pooled += len(batch)
    parallel = time.perf_counter() - began
    parallel_rate = pooled / parallel
    used = min(options.workers, len(parts))
    say(
        f"  sat_zeep summarize_packages, {used} workers: {parallel_rate:,.0f} documents/s "
        f"({pooled:,} in {parallel:.2f} s) = {parallel_rate / used:,.0f}/s per core "
        f"(×{parallel_rate / single_rate:.2f} over 1 process)"
    )

    sample = min(options.sample, len(summaries))
    began = time.perf_counter()
    typical_rows = typical(whole, sample)
    typical_seconds = time.perf_counter() - began
    typical_rate = len(typical_rows) / typical_seconds
    expected = [(s.uuid, s.rfc_emisor, s.total) for s in summaries[:sample]]
    same = "same fields as sat_zeep" if typical_rows == expected else "FIELDS DIFFER from sat_zeep"
    say(
        f"  lxml full parse + xpath (typical), 1 process: {typical_rate:,.0f} documents/s "
        f"({len(typical_rows):,} in {typical_seconds:.2f} s; {same})"
    )

    satcfdi_rate = 0.0
    if PEERS_PYTHON.exists():
        done = subprocess.run(
            [str(PEERS_PYTHON), str(BENCHMARKS / "_peer_cfdi.py"), str(whole), str(sample)],
            capture_output=True,
            text=True,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode == 0 and lines:
            figures = json.loads(lines[-1])
            satcfdi_rate = figures["documents"] / figures["seconds"]
            say(
                f"  satcfdi {figures['version']} CFDI.from_string + fields, 1 process: "
                f"{satcfdi_rate:,.0f} documents/s ({figures['documents']:,} in "
                f"{figures['seconds']:.2f} s)"
            )
        else:
            say(f"  satcfdi: FAILED: {(done.stderr or done.stdout).strip()[-400:]}")
    else:
        say(f"  satcfdi: peers venv {PEERS_PYTHON} missing (benchmarks/run creates it)")
    say("  cfdiclient: no CFDI parser (it downloads packages only): nothing to time")

    verdict = "PASS" if single_rate >= TARGET_PER_CORE else "FAIL"
    say(
        f"target ≥ {TARGET_PER_CORE:,} documents/s per core: 1 process {single_rate:,.0f} "
        f"{verdict}; pool {parallel_rate / used:,.0f}/core "
        f"{'PASS' if parallel_rate / used >= TARGET_PER_CORE else 'FAIL'}"
    )
    ratios = f"ratios (1 process): sat_zeep / lxml typical ×{single_rate / typical_rate:.2f}"
    if satcfdi_rate:
        ratios += f"; sat_zeep / satcfdi ×{single_rate / satcfdi_rate:.1f}"
    say(ratios)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
