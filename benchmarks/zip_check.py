"""The ZIP check of a download, alone: a many-entry package, and the base64 step before it.

    .venv/bin/python benchmarks/zip_check.py [--entries 200000] [--base64-mib 100]

* ``check``: ``sat_zeep.packages.archive.stream_check.check_zip_file`` on a ZIP of ``--entries``
  small deflated entries (the package a streamed download checks as it arrives: CRC-32 and size of every entry,
  the central directory, SHA-256), against ``zipfile.ZipFile(...).testzip()`` plus a SHA-256
  pass, the way a zipfile-based check does it. Each runs in a child process, so its peak RSS
  growth (VmHWM reset before the call) is its own.
* The same for ``--real`` documents shaped like real CFDI (the fake SAT's own, written by its
  package writer; 60,000 make about 100 MiB): the shape on which a download's check costs more
  than its base64 (``download_throughput.py --padding 0``).
* ``inflate floor``: ``zlib.decompress`` of every entry's data, in one thread, nothing else:
  the CPU that inflating alone needs.
* ``base64``: decoding ``--base64-mib`` MiB of base64 text with ``binascii.a2b_base64``
  (strict mode, what sat_zeep used before), ``pybase64.b64decode(validate=True)`` (what it uses)
  and plain ``base64.b64decode`` (the baseline of ``download_throughput.py``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from itertools import islice
from pathlib import Path
from typing import Any

from _common import ROOT, machine_note, measure, mib, say
from fake_sat_package_memory import month_query

from sat_zeep.testing.fake_sat.package_writer import write_cfdi_package
from sat_zeep.testing.fake_sat.universe import Universe


def build_zip(path: Path, entries: int) -> None:
    """``entries`` deflated XML-like documents of ~0.9 KB (half random hex, so ~2:1)."""
    rng = random.Random(1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for index in range(entries):
            body = b'<cfdi:Comprobante Total="%d">%s</cfdi:Comprobante>' % (
                index,
                rng.randbytes(300).hex().encode(),
            )
            package.writestr(f"{index:08X}-AAAA-BBBB-CCCC-DDDDDDDDDDDD.xml", body)


def child(approach: str, path: Path) -> dict[str, Any]:
    if approach == "check":
        from sat_zeep.packages.archive.stream_check import check_zip_file

        return measure(lambda: len(check_zip_file(path)))
    if approach == "testzip":

        def testzip() -> int:
            with zipfile.ZipFile(path) as package:
                if package.testzip() is not None:
                    raise RuntimeError("testzip found a bad entry")
            digest = hashlib.sha256()
            with path.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
            return len(digest.hexdigest())

        return measure(testzip)
    raise ValueError(f"unknown approach {approach!r}")


def run_child(approach: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", approach, "--zip", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{approach}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    figures: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return figures


def inflate_floor(path: Path) -> float:
    """Seconds to inflate every entry's data with zlib alone (data read beforehand)."""
    data = path.read_bytes()
    pieces = []
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            start = info.header_offset + 30
            name_length = int.from_bytes(data[start - 4 : start - 2], "little")
            extra_length = int.from_bytes(data[start - 2 : start], "little")
            start += name_length + extra_length
            pieces.append(data[start : start + info.compress_size])
    began = time.perf_counter()
    for piece in pieces:
        zlib.decompress(piece, -15)
    return time.perf_counter() - began


def best_of(repeat: int, action: Any) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def base64_figures(size_mib: int) -> None:
    import pybase64

    text = base64.b64encode(os.urandom(size_mib << 20))
    timed = {
        "pybase64.b64decode(validate=True)": lambda: pybase64.b64decode(text, validate=True),
        "base64.b64decode (the baseline)": lambda: base64.b64decode(text),
    }
    if sys.version_info >= (3, 11):  # strict_mode is new in 3.11
        timed["binascii.a2b_base64(strict_mode=True)"] = lambda: binascii.a2b_base64(
            text, strict_mode=True
        )
    say(f"-- base64: {size_mib} MiB decoded, best of 3 ({pybase64.get_version()})")
    for name, action in timed.items():
        seconds = best_of(3, action)
        say(f"  {name:<40} {seconds:.3f} s = {size_mib / seconds:,.0f} MiB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--real", type=int, default=60_000, help="real-shaped CFDI; 0: none")
    parser.add_argument("--base64-mib", type=int, default=100)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--zip", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        sys.stdout.write(json.dumps(child(options.child, options.zip)) + "\n")
        return
    say("== ZIP check of a many-entry package, and the base64 step")
    say(machine_note())
    with tempfile.TemporaryDirectory(prefix="bench-zipcheck-") as work:
        small = Path(work) / "small.zip"
        build_zip(small, options.entries)
        report(small, "small entries")
        if options.real:
            real = Path(work) / "real.zip"
            write_cfdi_package(
                islice(
                    Universe(seed=0, documents_per_day=options.real / 31 * 1.1).documents(
                        month_query()
                    ),
                    options.real,
                ),
                real,
            )
            report(real, "real-shaped CFDI")
    base64_figures(options.base64_mib)


def report(path: Path, what: str) -> None:
    with zipfile.ZipFile(path) as package:
        entries = len(package.infolist())
    say(f"-- {what}: {entries:,} entries, {mib(path.stat().st_size)} ZIP")
    for approach, label in (
        ("check", "check_zip_file (streaming check)"),
        ("testzip", "zipfile testzip + SHA-256"),
    ):
        figures = run_child(approach, path)
        growth = figures["peak"] - figures["rss_before"]
        say(
            f"  {label:<36} {figures['seconds']:.2f} s, CPU {figures['cpu_seconds']:.2f} s, "
            f"peak RSS +{mib(growth)}"
            + ("" if figures["peak_reset"] else " (HWM not reset: upper bound)")
        )
    floor = inflate_floor(path)
    say(
        f"  {'inflate floor (zlib only, 1 thread)':<36} {floor:.2f} s = "
        f"{floor / entries * 1e6:.1f} µs an entry"
    )


if __name__ == "__main__":
    main()
