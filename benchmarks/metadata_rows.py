"""Rows/s reading a 1,000,000-row CFDI metadata text: sat_zeep vs csv.reader vs the peers.

    .venv/bin/python benchmarks/metadata_rows.py [--rows 1000000] [--runs 5] [--shape real]

The text is built once (cached under ``--cache-dir``) from the fake SAT's universe, real-shaped
by default (``Universe(shape="real")``: names as issuers write them, ``, S.A. DE C.V.``, mixed
case, doubled and trailing spaces, long trade names; ``--shape plain`` for the old template
names): ``Document.metadata_row()`` of one month of emitted CFDI, ``~`` between fields, CRLF
between rows, with SAT's quirks as the universe draws them — names holding a bare LF (a row
spanning two physical lines), names with a literal ``"`` — and, on every other row, one extra
trailing ``~`` (a field count one over the header). The same text is then read by:

* ``sat_zeep iter_raw_rows`` — ``sat_zeep.packages.iter_raw_rows`` over the text in an
  uncompressed (stored) in-memory ZIP, so no inflate time is counted (the headline);
* ``sat_zeep iter_raw_rows (deflated)`` — the same over a deflated ZIP, as SAT serves it;
* ``sat_zeep iter_metadata`` — typed rows (``CfdiMetadata``: Decimal, datetime, Estatus),
  stored ZIP;
* ``csv.reader`` — ``csv.reader(io.StringIO(text), delimiter="~")`` over the decoded text;
* ``str.split`` — ``text.split("\\r\\n")`` then ``line.split("~")``: the hand-written reader;
* peers — satcfdi and cfdiclient (in ``benchmarks/.venv-peers``) are searched for a metadata
  reader; neither has one (the benchmark checks their sources and says so).

Every reader is read once untimed (warm-up), then ``--runs`` runs (5) each time every reader in
turn (best of ``--repeat`` reads, 3 by default, each after ``gc.collect()``) and print their
ratios against csv.reader's time in that run. Correctness is checked on every read: rows made,
rows of 12 fields (typed: rows that are ``CfdiMetadata``), names still holding their bare LF.
Rows/s is the text's rows per second for every reader (csv.reader's extra rows, made by
splitting at bare LFs, are not counted). Targets (issue 14), in every run: raw rows ≥ ×2.5 of
csv.reader, typed rows ≥ ×1.0.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import re
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from _common import BENCHMARKS, ROOT, machine_note, mib, say
from fake_sat_package_memory import month_query

from sat_zeep.packages import CfdiMetadata, ZipLimits, iter_metadata, iter_raw_rows
from sat_zeep.testing.fake_sat.documents import METADATA_COLUMNS_CFDI
from sat_zeep.testing.fake_sat.universe import SHAPES, Universe

PEERS_PYTHON = BENCHMARKS / ".venv-peers" / "bin" / "python"
RAW_TARGET = 2.5
TYPED_TARGET = 1.0


def build_text(rows: int, seed: int, shape: str) -> tuple[str, int]:
    """The metadata text of ``rows`` documents, and how many hold a bare LF."""
    query = month_query()
    per_day = rows / 31
    for _ in range(4):
        counted = Universe(seed=seed, documents_per_day=per_day, shape=shape).count(query)
        per_day *= rows / max(counted, 1)
    universe = Universe(seed=seed, documents_per_day=per_day * 1.01, shape=shape)
    lines = ["~".join(METADATA_COLUMNS_CFDI)]
    with_lf = 0
    for number, document in enumerate(universe.documents(query)):
        if number == rows:
            break
        line = "~".join(document.metadata_row("cfdi"))
        with_lf += "\n" in line
        lines.append(line + "~" if number % 2 else line)
    if len(lines) - 1 < rows:
        raise RuntimeError(f"the universe gave {len(lines) - 1} rows, not {rows}")
    return "\r\n".join(lines) + "\r\n", with_lf


def cached_text(cache: Path, rows: int, seed: int, shape: str) -> tuple[str, int, float]:
    """(text, rows with a bare LF, seconds spent building it — 0 when cached)."""
    stem = f"metadata-{rows}-seed{seed}" + ("" if shape == "plain" else f"-{shape}")
    path, count = cache / f"{stem}.txt", cache / f"{stem}.lf"
    if path.exists() and count.exists():
        return path.read_bytes().decode("utf-8"), int(count.read_text()), 0.0
    began = time.perf_counter()
    text, with_lf = build_text(rows, seed, shape)
    seconds = time.perf_counter() - began
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    count.write_text(str(with_lf))
    return text, with_lf, seconds


def zipped(data: bytes, compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("4E80345D-917F-40BB-A98F-4A73939343C5_01.txt", data)
    return buffer.getvalue()


def time_rows(rows: Callable[[], Iterable[list[str]]], repeat: int) -> tuple[float, Checks]:
    """Seconds to read every row (best of ``repeat``, each after ``gc.collect()``), and the
    checks of the last read: rows made, names holding their bare LF, rows not 12 fields, and
    the best CPU seconds of this process (less moved by other jobs on the cores)."""
    best = cpu = float("inf")
    produced = lf_rows = wide = 0
    for _ in range(repeat):
        gc.collect()
        began, began_cpu = time.perf_counter(), time.process_time()
        produced = lf_rows = wide = 0
        for fields in rows():
            produced += 1
            if len(fields) != 12:
                wide += 1
            if "\n" in fields[2] or (len(fields) > 4 and "\n" in fields[4]):
                lf_rows += 1
        best = min(best, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    return best, Checks(produced, lf_rows, wide, cpu)


def time_typed(source: bytes, limits: ZipLimits, repeat: int) -> tuple[float, Checks]:
    """``time_rows`` for ``iter_metadata``: the same checks on the typed rows' fields."""
    best = cpu = float("inf")
    produced = lf_rows = wide = 0
    for _ in range(repeat):
        gc.collect()
        began, began_cpu = time.perf_counter(), time.process_time()
        produced = lf_rows = wide = 0
        for row in iter_metadata(source, limits=limits):
            produced += 1
            if type(row) is not CfdiMetadata:
                wide += 1
            if "\n" in row.nombre_emisor or "\n" in row.nombre_receptor:
                lf_rows += 1
        best = min(best, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    return best, Checks(produced, lf_rows, wide, cpu)


@dataclass
class Checks:
    produced: int
    lf_rows: int
    wide: int
    cpu: float

    def verdict(self, expected: int, with_lf: int) -> str:
        right = self.produced == expected and self.lf_rows == with_lf and not self.wide
        return "ok" if right else "WRONG"


def split_rows(text: str) -> Iterator[list[str]]:
    lines = text.split("\r\n")
    for line in lines[1:]:
        if line:
            yield line.split("~")


def csv_rows(text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter="~")
    next(reader)
    yield from reader


def peer_report() -> list[str]:
    """Whether satcfdi / cfdiclient (peers venv) have anything that reads ``~`` metadata."""
    if not PEERS_PYTHON.exists():
        return [f"peers venv {PEERS_PYTHON} missing (benchmarks/run creates it): not checked"]
    script = (
        "import importlib.metadata as m, pathlib, satcfdi, cfdiclient\n"
        "for mod in (satcfdi, cfdiclient):\n"
        "    root = pathlib.Path(mod.__file__).parent\n"
        "    print(mod.__name__, m.version(mod.__name__), root)\n"
    )
    done = subprocess.run([str(PEERS_PYTHON), "-c", script], capture_output=True, text=True)
    notes = []
    pattern = re.compile(r"""split\(\s*['"]~['"]|delimiter\s*=\s*['"]~['"]|RfcEmisor~|Uuid~""")
    for line in done.stdout.splitlines():
        name, version, root = line.split(" ", 2)
        hits = []
        for source in Path(root).rglob("*.py"):
            text = source.read_text(encoding="utf-8", errors="replace")
            if pattern.search(text):
                hits.append(str(source.relative_to(root)))
        if hits:
            notes.append(f"{name} {version}: '~' metadata code in {', '.join(hits)} (not timed)")
        else:
            notes.append(
                f"{name} {version}: no metadata reader (no '~' split / delimiter / metadata "
                "header anywhere in its sources): nothing to time"
            )
    if done.returncode != 0:
        notes.append(f"peers check failed: {done.stderr.strip()[-300:]}")
    return notes


READERS = (
    ("raw", "sat_zeep iter_raw_rows (stored ZIP)"),
    ("deflated", "sat_zeep iter_raw_rows (deflated ZIP)"),
    ("typed", "sat_zeep iter_metadata (typed)"),
    ("csv", "csv.reader(StringIO(text), '~')"),
    ("split", "str.split CRLF then '~'"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=SHAPES, default="real")
    parser.add_argument("--runs", type=int, default=5, help="runs, each timing every reader")
    parser.add_argument("--repeat", type=int, default=3, help="best of N reads per reader a run")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/sat_zeep-bench-cache"))
    options = parser.parse_args()

    say("== metadata text: rows/s, sat_zeep vs csv.reader vs peers (same text, same run)")
    say(machine_note())
    text, with_lf, built = cached_text(options.cache_dir, options.rows, options.seed, options.shape)
    data = text.encode("utf-8")
    stored = zipped(data, zipfile.ZIP_STORED)
    deflated = zipped(data, zipfile.ZIP_DEFLATED)
    trailing = options.rows // 2  # every other row, by construction
    quoted = text.count('"')
    say(
        f"text ({options.shape}-shaped names): {options.rows:,} rows + header, {mib(len(data))} "
        f"UTF-8 ({len(data) / options.rows:.0f} bytes a row), {with_lf:,} rows with a bare LF in "
        f"a name, {quoted:,} literal '\"', {trailing:,} rows ending in an extra '~' "
        f"({f'built in {built:.1f} s' if built else 'cached'}; deflated ZIP {mib(len(deflated))})"
    )
    rows, repeat = options.rows, options.repeat
    # A real-shaped 1,000,000-row text is over the default 256 MiB entry cap: raised, and said.
    limits = ZipLimits(max_entry_size=max(ZipLimits().max_entry_size, len(data)))
    if limits != ZipLimits():
        say(f"entry cap raised to {mib(len(data))} (ZipLimits(max_entry_size=...)): over 256 MiB")
    readers: dict[str, Callable[[], tuple[float, Checks]]] = {
        "raw": lambda: time_rows(lambda: iter_raw_rows(stored, limits=limits), repeat),
        "deflated": lambda: time_rows(lambda: iter_raw_rows(deflated, limits=limits), repeat),
        "typed": lambda: time_typed(stored, limits, repeat),
        "csv": lambda: time_rows(lambda: csv_rows(text), repeat),
        "split": lambda: time_rows(lambda: split_rows(text), repeat),
    }
    say("warm-up: every reader once, untimed")
    for key, _name in READERS:
        readers[key]()
    raw_ratios: list[float] = []
    typed_ratios: list[float] = []
    cpu_ratios: dict[str, list[float]] = {"raw": [], "typed": []}
    for run in range(1, options.runs + 1):
        rates: dict[str, float] = {}
        cpus: dict[str, float] = {}
        for key, name in READERS:
            seconds, checks = readers[key]()
            rates[key] = rows / seconds
            cpus[key] = checks.cpu
            say(
                f"  run {run} {name:<38} {rates[key]:>12,.0f} rows/s ({seconds:.2f} s, CPU "
                f"{checks.cpu:.2f} s): "
                f"{checks.produced:,} rows made (expected {rows:,}), {checks.lf_rows:,} names "
                f"with their bare LF (expected {with_lf:,}), {checks.wide:,} rows not 12 fields "
                f"— {checks.verdict(rows, with_lf)}"
            )
        raw_ratios.append(rates["raw"] / rates["csv"])
        typed_ratios.append(rates["typed"] / rates["csv"])
        say(
            f"run {run} ratios vs csv.reader (same run): iter_raw_rows ×{raw_ratios[-1]:.2f} "
            f"(target ≥ {RAW_TARGET}), iter_metadata typed ×{typed_ratios[-1]:.2f} (target ≥ "
            f"{TYPED_TARGET}), deflated raw ×{rates['deflated'] / rates['csv']:.2f}, "
            f"iter_raw_rows / str.split ×{rates['raw'] / rates['split']:.2f}"
        )
        for key in cpu_ratios:
            cpu_ratios[key].append(cpus["csv"] / cpus[key])
        say(
            f"run {run} by CPU time (same run): iter_raw_rows ×{cpu_ratios['raw'][-1]:.2f}, "
            f"iter_metadata typed ×{cpu_ratios['typed'][-1]:.2f}; load average "
            + " ".join(f"{value:.2f}" for value in os.getloadavg())
        )
    for note in peer_report():
        say(f"  peer: {note}")
    for label, ratios, target in (
        ("iter_raw_rows", raw_ratios, RAW_TARGET),
        ("iter_metadata (typed)", typed_ratios, TYPED_TARGET),
    ):
        met = sum(ratio >= target for ratio in ratios)
        say(
            f"summary: {label} / csv.reader ×{min(ratios):.2f}–{max(ratios):.2f} over "
            f"{len(ratios)} runs; target ≥ ×{target} in every run: "
            f"{'PASS' if met == len(ratios) else 'FAIL'} ({met} of {len(ratios)})"
        )
    for key, label in (("raw", "iter_raw_rows"), ("typed", "iter_metadata (typed)")):
        ratios = cpu_ratios[key]
        say(
            f"summary by CPU time: {label} / csv.reader ×{min(ratios):.2f}–{max(ratios):.2f} "
            f"over {len(ratios)} runs (the targets are on wall-clock time, above)"
        )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
