"""Documents/s reading CFDI summaries: sat_zeep against the floor (inflating), lxml and peers.

    .venv/bin/python benchmarks/cfdi_summaries.py [--documents 100000] [--shape real|plain]
        [--padding 0] [--parts 4] [--workers 2] [--sample 30000] [--cache-dir /tmp/...]

The package is written once (cached under ``--cache-dir``) from the fake SAT's universe: one
month of *received* CFDI (many issuers, so every writing style shows up) in the ``real`` shape
by default (``documents_real``: CFDI 3.3/4.0, ~8 KB, seals of 344/684 characters, certificates
of 2,000-2,600, 1-100 Conceptos, Pagos, Nómina, Carta Porte, ImpuestosLocales, Addendas);
``--shape plain`` gives the old single-template documents, ``--padding`` adds an Addenda of that
many incompressible bytes. The same documents are also written as ``--parts`` packages for the
pool. Timed in the same run, all on the same package:

* floors, inflating every entry and nothing else: ``zipfile`` read (inflate + CRC-32, what any
  reader does first; the target's floor), and the bare inflate of each entry's bytes (sliced
  from a memory map) by zlib and by each fast library installed (libdeflate, isal, zlib-ng);
* ``iter_cfdi_summaries`` — one process; ``summarize_packages(parts, workers)`` — a process
  pool (wall clock; ÷ workers = per core), every summary rebuilt in this process;
* ``lxml naive loop`` — ``zipfile`` read, ``etree.fromstring``, find each field, Decimal and
  datetime (first ``--sample`` documents; fields checked equal to sat_zeep's);
* satcfdi ``CFDI.from_string`` and the same fields (peers venv, first ``--sample``); cfdiclient
  has no CFDI parser.

The ratio to the lxml loop is also measured side by side: both on the first ``--sample``
documents, taking turns, best of ``--repeat`` + 1 each (the verdict uses this one).

Targets: sat_zeep ≥ 3 × the lxml loop; ≥ 0.6 × the zipfile floor, in one process and per core
in the pool.
"""

from __future__ import annotations

import argparse
import importlib
import json
import mmap
import os
import resource
import struct
import subprocess
import time
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from _common import BENCHMARKS, ROOT, machine_note, mib, say
from fake_sat_package_memory import month_query
from lxml import etree

from sat_zeep.packages import iter_cfdi_summaries, summarize_packages
from sat_zeep.packages.archive.inflate import FAST_INFLATE
from sat_zeep.testing.fake_sat.documents import Document, Query
from sat_zeep.testing.fake_sat.universe import Universe

PEERS_PYTHON = BENCHMARKS / ".venv-peers" / "bin" / "python"
TARGET_LXML = 3.0
TARGET_FLOOR = 0.6
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
_LOCAL = struct.Struct("<26xHH")


def documents(count: int, seed: int, shape: str) -> list[Document]:
    base = month_query()
    query = Query(
        service="cfdi",
        direction="recibidos" if shape == "real" else base.direction,
        rfc=base.rfc,
        start=base.start,
        end=base.end,
        estado_comprobante="Todos",
    )
    per_day = count / 31 * 1.05
    for _ in range(3):
        counted = Universe(seed=seed, documents_per_day=per_day).count(query)
        if counted >= count:
            break
        per_day *= 1.1 * count / max(counted, 1)
    universe = Universe(seed=seed, documents_per_day=per_day, shape=shape)
    return list(islice(universe.documents(query), count))


def _render(batch: list[tuple[Document, int]]) -> list[bytes]:
    return [document.xml(padding) for document, padding in batch]


def write_package(path: Path, chosen: list[Document], xml: list[bytes]) -> None:
    """One ``<UUID>.xml`` per document, deflated, as the fake SAT's package writer does."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document, data in zip(chosen, xml, strict=True):
            info = zipfile.ZipInfo(
                f"{document.uuid}.xml", document.fecha_certificacion.timetuple()[:6]
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def cached_packages(
    cache: Path, count: int, parts: int, seed: int, shape: str, padding: int
) -> tuple[Path, list[Path], float]:
    """(the whole package, the parts, seconds spent writing them — 0 when cached)."""
    folder = cache / f"cfdi-{count}-seed{seed}-{shape}-pad{padding}"
    whole = folder / "whole.zip"
    pieces = [folder / f"part-{index + 1:02d}-of-{parts}.zip" for index in range(parts)]
    if whole.exists() and all(piece.exists() for piece in pieces):
        return whole, pieces, 0.0
    began = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    chosen = documents(count, seed, shape)
    if len(chosen) < count:
        raise RuntimeError(f"the universe gave {len(chosen)} documents, not {count}")
    batches = [[(d, padding) for d in chosen[i : i + 2000]] for i in range(0, count, 2000)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        xml = [data for batch in pool.map(_render, batches) for data in batch]
    write_package(whole.with_suffix(".tmp"), chosen, xml)
    whole.with_suffix(".tmp").rename(whole)
    size = -(-count // parts)
    for index, piece in enumerate(pieces):
        part = slice(index * size, (index + 1) * size)
        write_package(piece.with_suffix(".tmp"), chosen[part], xml[part])
        piece.with_suffix(".tmp").rename(piece)
    return whole, pieces, time.perf_counter() - began


def zipfile_floor(path: Path) -> int:
    """Every entry read with ``zipfile`` (inflated, CRC-checked), nothing else."""
    count = 0
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            package.read(info)
            count += 1
    return count


def entry_spans(path: Path) -> list[tuple[int, int, int]]:
    """(data offset, compressed size, size) of every deflated entry (untimed)."""
    spans = []
    with zipfile.ZipFile(path) as package, path.open("rb") as raw:
        for info in package.infolist():
            raw.seek(info.header_offset)
            name_length, extra_length = _LOCAL.unpack(raw.read(30))
            start = info.header_offset + 30 + name_length + extra_length
            spans.append((start, info.compress_size, info.file_size))
    return spans


def bare_inflaters() -> dict[str, Callable[[bytes, int], object]]:
    """zlib and each fast inflate library that is installed (bare: no CRC, no checks)."""
    found: dict[str, Callable[[bytes, int], object]] = {
        "zlib": lambda data, size: zlib.decompressobj(-15).decompress(data, size)
    }
    for label, module, make in (
        ("libdeflate (deflate)", "deflate", lambda m: m.deflate_decompress),
        ("isal", "isal.isal_zlib", lambda m: lambda d, s: m.decompressobj(-15).decompress(d, s)),
        (
            "zlib-ng",
            "zlib_ng.zlib_ng",
            lambda m: lambda d, s: m.decompressobj(-15).decompress(d, s),
        ),
    ):
        try:
            found[label] = make(importlib.import_module(module))
        except ImportError:
            say(f"  ({label}: not installed; pip install the package to measure it)")
    return found


def bare_floor(
    path: Path, spans: list[tuple[int, int, int]], inflate: Callable[[bytes, int], object]
) -> int:
    with path.open("rb") as raw, mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as view:
        for start, packed, size in spans:
            inflate(view[start : start + packed], size)
    return len(spans)


def timed(function: Callable[[], int], repeat: int = 1) -> tuple[float, int]:
    """(best seconds, result) of ``repeat`` calls."""
    best, result = float("inf"), 0
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the pool's workers, once joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(function: Callable[[], int]) -> float:
    """CPU seconds of one more call of ``function`` in this process."""
    began = time.process_time()
    function()
    return time.process_time() - began


def typical(path: Path, limit: int) -> list[tuple[str, str, Decimal]]:
    """The usual hand-written reader: full lxml parse, then find each field."""
    found: list[tuple[str, str, Decimal]] = []
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            if len(found) >= limit:
                break
            if not info.filename.lower().endswith(".xml"):
                continue
            root = etree.fromstring(package.read(info))
            emisor = root.find("{*}Emisor")
            receptor = root.find("{*}Receptor")
            complementos = root.findall("{*}Complemento")
            timbre: Any = next(c.find(TFD) for c in complementos if c.find(TFD) is not None)
            children = tuple(etree.QName(child).localname for c in complementos for child in c)
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
                children,
            )
            found.append((fields[0], fields[2], fields[9]))
    return found


def main() -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--shape", choices=("real", "plain"), default="real")
    parser.add_argument("--padding", type=int, default=0, help="Addenda bytes per document")
    parser.add_argument("--parts", type=int, default=2 * cores, help="packages for the pool")
    parser.add_argument("--workers", type=int, default=cores)
    parser.add_argument("--sample", type=int, default=30_000, help="documents for lxml, peers")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each timing (best kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/sat_zeep-bench-cache"))
    options = parser.parse_args()

    say("== CFDI summaries: documents/s, sat_zeep against inflating alone, lxml and peers")
    say(machine_note() + f"; sat_zeep inflates with {FAST_INFLATE}; load average {load()}")
    whole, parts, built = cached_packages(
        options.cache_dir,
        options.documents,
        options.parts,
        options.seed,
        options.shape,
        options.padding,
    )
    with zipfile.ZipFile(whole) as package:
        infos = package.infolist()
        plain_bytes = sum(info.file_size for info in infos)
    say(
        f"package: {len(infos):,} CFDI, shape {options.shape!r}, padding {options.padding}, "
        f"{plain_bytes / len(infos) / 1000:.1f} KB a document on average, "
        f"{mib(whole.stat().st_size)} ZIP ({f'written in {built:.1f} s' if built else 'cached'}:"
        f" {whole}); {len(parts)} parts for the pool"
    )
    repeat = options.repeat

    seconds, count = timed(lambda: zipfile_floor(whole), repeat)
    floor_rate = count / seconds
    say(f"  floor: zipfile read of every entry (inflate + CRC): {floor_rate:,.0f} documents/s")
    spans = entry_spans(whole)
    bare: dict[str, float] = {}
    for label, inflate in bare_inflaters().items():
        seconds, count = timed(lambda inflate=inflate: bare_floor(whole, spans, inflate), repeat)
        bare[label] = count / seconds
        say(f"  bare inflate, {label}: {bare[label]:,.0f} documents/s")

    summaries: list[Any] = []

    def single() -> int:
        summaries[:] = iter_cfdi_summaries(whole)
        return len(summaries)

    seconds, count = timed(single, repeat)
    single_rate = count / seconds
    say(
        f"  sat_zeep iter_cfdi_summaries, 1 process: {single_rate:,.0f} documents/s "
        f"({count:,} in {seconds:.2f} s)"
    )

    single_cpu = cpu_seconds(single)

    pool_cpu: list[float] = []

    def pooled() -> int:
        began = time.process_time(), children_cpu()
        done = sum(len(batch) for _, batch in summarize_packages(parts, workers=options.workers))
        pool_cpu.append(time.process_time() - began[0] + children_cpu() - began[1])
        return done

    seconds, count = timed(pooled, repeat)
    parallel_rate = count / seconds
    used = min(options.workers, len(parts))
    say(
        f"  sat_zeep summarize_packages, {used} workers: {parallel_rate:,.0f} documents/s "
        f"({count:,} in {seconds:.2f} s) = {parallel_rate / used:,.0f}/s per core "
        f"(×{parallel_rate / single_rate:.2f} over 1 process)"
    )
    say(
        f"  CPU time (this process + workers): 1 process {single_cpu:.2f} s, pool "
        f"{min(pool_cpu):.2f} s (×{min(pool_cpu) / single_cpu:.2f}); the pool's wall clock per "
        "core also depends on what else runs on the cores (load average above)"
    )

    sample = min(options.sample, len(summaries))
    began = time.perf_counter()
    typical_rows = typical(whole, sample)
    typical_seconds = time.perf_counter() - began
    typical_rate = len(typical_rows) / typical_seconds
    expected = [(s.uuid, s.rfc_emisor, s.total) for s in summaries[:sample]]
    same = "same fields as sat_zeep" if typical_rows == expected else "FIELDS DIFFER from sat_zeep"
    say(
        f"  lxml naive loop (zipfile, fromstring, find), 1 process: {typical_rate:,.0f} "
        f"documents/s ({len(typical_rows):,} in {typical_seconds:.2f} s; {same})"
    )

    # Side by side: the same first `sample` documents, sat_zeep and the lxml loop taking turns
    # (best of `repeat` + 1 each), so that a change in the machine's load hits both alike.
    def sat_zeep_sample() -> int:
        return sum(1 for _ in islice(iter_cfdi_summaries(whole), sample))

    side: dict[str, list[tuple[float, float]]] = {"sat_zeep": [], "lxml": []}
    for _ in range(repeat + 1):
        for label, read in (
            ("sat_zeep", sat_zeep_sample),
            ("lxml", lambda: len(typical(whole, sample))),
        ):
            began = time.perf_counter(), time.process_time()
            read()
            side[label].append((time.perf_counter() - began[0], time.process_time() - began[1]))
    wall = {label: min(times)[0] for label, times in side.items()}
    cpu = {label: min(time for _, time in times) for label, times in side.items()}
    side_ratio = wall["lxml"] / wall["sat_zeep"]
    say(
        f"  side by side, first {sample:,} documents, taking turns (best of {repeat + 1}): "
        f"sat_zeep {sample / wall['sat_zeep']:,.0f}/s, lxml loop {sample / wall['lxml']:,.0f}/s: "
        f"×{side_ratio:.2f} (by CPU time ×{cpu['lxml'] / cpu['sat_zeep']:.2f})"
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

    def verdict(ratio: float, target: float) -> str:
        return f"×{ratio:.2f} {'PASS' if ratio >= target else 'FAIL'}"

    per_core = parallel_rate / used
    say(
        f"target sat_zeep ≥ {TARGET_LXML:g} × lxml naive loop: side by side "
        f"{verdict(side_ratio, TARGET_LXML)} (the two separate timings above: "
        f"×{single_rate / typical_rate:.2f})"
    )
    say(
        f"target sat_zeep ≥ {TARGET_FLOOR:g} × the zipfile floor: 1 process "
        f"{verdict(single_rate / floor_rate, TARGET_FLOOR)}; pool per core "
        f"{verdict(per_core / floor_rate, TARGET_FLOOR)}"
    )
    say(
        "against bare inflate (1 process): "
        + ", ".join(f"{label} ×{single_rate / rate:.2f}" for label, rate in bare.items())
    )
    if satcfdi_rate:
        say(f"sat_zeep / satcfdi ×{single_rate / satcfdi_rate:.1f}")
    say(f"load average at the end: {load()}")


def load() -> str:
    """The 1, 5 and 15 minute load averages (other jobs sharing the cores)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
