"""Rows/s reading a 1,000,000-row CFDI metadata text: sat_zeep vs csv.reader vs the peers.

    .venv/bin/python benchmarks/metadata_rows.py [--rows 1000000] [--cache-dir /tmp/...]

The text is built once (cached under ``--cache-dir``) from the fake SAT's synthetic universe:
``Document.metadata_row()`` of one month of emitted CFDI, ``~`` between fields, CRLF between
rows, with SAT's quirks as the universe draws them — names holding a bare LF (a row spanning two
physical lines), names with a literal ``"`` — and, on every other row, one extra trailing ``~``
(a field count one over the header). The same text is then read by:

* ``sat_zeep iter_raw_rows`` — ``sat_zeep.packages.iter_raw_rows`` over the text in an
  uncompressed (stored) in-memory ZIP, so no inflate time is counted (the headline);
* ``sat_zeep iter_raw_rows (deflated)`` — the same over a deflated ZIP, as SAT serves it;
* ``sat_zeep iter_metadata`` — typed rows (``CfdiMetadata``: Decimal, datetime, Estatus),
  stored ZIP;
* ``csv.reader`` — ``csv.reader(io.StringIO(text), delimiter="~")`` over the decoded text;
* ``str.split`` — ``text.split("\\r\\n")`` then ``line.split("~")``: the hand-written reader;
* peers — satcfdi and cfdiclient (in ``benchmarks/.venv-peers``) are searched for a metadata
  reader; neither has one (the benchmark checks their sources and says so).

Correctness is checked in the same run: rows produced, rows equal to the expected fields, and
rows whose names still hold their bare LF. Every reader gets one untimed warm-up run, then the
best of ``--repeat`` runs, each after ``gc.collect()``; rows/s is the text's 1,000,000 rows per
second for every reader (csv.reader's extra rows, made by splitting at bare LFs, are not
counted). Target: sat_zeep raw rows ≥ 2× csv.reader's rows/s.
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
from pathlib import Path

from _common import BENCHMARKS, ROOT, machine_note, mib, say
from fake_sat_package_memory import month_query

from sat_zeep.packages import CfdiMetadata, iter_metadata, iter_raw_rows
from sat_zeep.testing.fake_sat.documents import METADATA_COLUMNS_CFDI
from sat_zeep.testing.fake_sat.universe import Universe

PEERS_PYTHON = BENCHMARKS / ".venv-peers" / "bin" / "python"
TARGET = 2.0


def build_text(rows: int, seed: int) -> tuple[str, int]:
    """The metadata text of ``rows`` documents, and how many hold a bare LF."""
    query = month_query()
    per_day = rows / 31
    for _ in range(4):
        counted = Universe(seed=seed, documents_per_day=per_day).count(query)
        per_day *= rows / max(counted, 1)
    universe = Universe(seed=seed, documents_per_day=per_day * 1.01)
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


def cached_text(cache: Path, rows: int, seed: int) -> tuple[str, int, float]:
    """(text, rows with a bare LF, seconds spent building it — 0 when cached)."""
    path = cache / f"metadata-{rows}-seed{seed}.txt"
    count = cache / f"metadata-{rows}-seed{seed}.lf"
    if path.exists() and count.exists():
        return path.read_bytes().decode("utf-8"), int(count.read_text()), 0.0
    began = time.perf_counter()
    text, with_lf = build_text(rows, seed)
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


def measure(
    name: str, rows: Callable[[], Iterable[list[str]]], expected: int, with_lf: int, repeat: int
) -> float:
    """Time reading every row; print rows/s and the correctness checks; return rows/s.

    Every reader is measured the same way: one untimed warm-up run, then the best of
    ``repeat`` runs, each after ``gc.collect()``. Rows/s is the text's rows (``expected``) per
    second, so a reader that splits a row in two (csv.reader at each bare LF) is not credited
    with the extra rows it makes up.
    """
    best = float("inf")
    produced = lf_rows = wide = 0
    for _fields in rows():  # warm-up
        pass
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        produced = lf_rows = wide = 0
        for fields in rows():
            produced += 1
            if len(fields) != 12:
                wide += 1
            if "\n" in fields[2] or (len(fields) > 4 and "\n" in fields[4]):
                lf_rows += 1
        best = min(best, time.perf_counter() - began)
    rate = expected / best
    verdict = "ok" if produced == expected and lf_rows == with_lf and not wide else "WRONG"
    say(
        f"  {name:<34} {rate:>12,.0f} rows/s ({best:.2f} s): {produced:,} rows made "
        f"(expected {expected:,}), {lf_rows:,} names with their bare LF (expected {with_lf:,}), "
        f"{wide:,} rows not 12 fields — {verdict}"
    )
    return rate


def typed_rows(source: bytes) -> Iterator[list[str]]:
    for row in iter_metadata(source):
        assert isinstance(row, CfdiMetadata)
        yield [
            row.uuid,
            row.rfc_emisor,
            row.nombre_emisor,
            row.rfc_receptor,
            row.nombre_receptor,
            row.rfc_pac,
            "",
            "",
            "",
            "",
            "",
            "",
        ]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per reader")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/sat_zeep-bench-cache"))
    options = parser.parse_args()

    say("== metadata text: rows/s, sat_zeep vs csv.reader vs peers (same text, same run)")
    say(machine_note())
    text, with_lf, built = cached_text(options.cache_dir, options.rows, options.seed)
    data = text.encode("utf-8")
    stored = zipped(data, zipfile.ZIP_STORED)
    deflated = zipped(data, zipfile.ZIP_DEFLATED)
    trailing = options.rows // 2  # every other row, by construction
    quoted = text.count('"')
    say(
        f"text: {options.rows:,} rows + header, {mib(len(data))} UTF-8, {with_lf:,} rows with a "
        f"bare LF in a name, {quoted:,} literal '\"', {trailing:,} rows ending in an extra '~' "
        f"({f'built in {built:.1f} s' if built else 'cached'}; deflated ZIP {mib(len(deflated))})"
    )
    rows, repeat = options.rows, options.repeat
    raw = measure(
        "sat_zeep iter_raw_rows (stored ZIP)", lambda: iter_raw_rows(stored), rows, with_lf, repeat
    )
    measure(
        "sat_zeep iter_raw_rows (deflated ZIP)",
        lambda: iter_raw_rows(deflated),
        rows,
        with_lf,
        repeat,
    )
    typed = measure(
        "sat_zeep iter_metadata (typed)", lambda: typed_rows(stored), rows, with_lf, repeat
    )
    reader = measure(
        "csv.reader(StringIO(text), '~')", lambda: csv_rows(text), rows, with_lf, repeat
    )
    split = measure("str.split CRLF then '~'", lambda: split_rows(text), rows, with_lf, repeat)
    for note in peer_report():
        say(f"  peer: {note}")
    ratio = raw / reader
    say(
        f"ratios: iter_raw_rows / csv.reader ×{ratio:.2f} (target ≥ {TARGET}: "
        f"{'PASS' if ratio >= TARGET else 'FAIL'}); iter_metadata (typed) / csv.reader "
        f"×{typed / reader:.2f}; iter_raw_rows / str.split ×{raw / split:.2f}"
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
