"""The on-disk check every sync run starts with: each downloaded package's size and SHA-256.

    .venv/bin/python benchmarks/state_check.py [--mib 512] [--packages 16] [--many 5000]

* ``sha256``: ``sat_zeep.sync.ondisk.check_downloaded`` over ``--packages`` packages totalling
  ``--mib`` MiB, just written (so read from the page cache: the CPU cost; a cold disk adds its
  read time).
* ``many``: the same check over ``--many`` small packages (4 KiB each): the per-package cost
  (a state query, a ``stat``, an open and a hash).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import machine_note, say

from sat_zeep.sync.events import SyncEvent
from sat_zeep.sync.ondisk import check_downloaded
from sat_zeep.sync.store import SyncStore


def build(folder: Path, count: int, size: int) -> SyncStore:
    """A state with ``count`` downloaded packages of ``size`` random bytes each."""
    store = SyncStore(folder)
    now = datetime.now(timezone.utc)
    store.add_request(
        {
            "key": "k",
            "direction": "emitidos",
            "kind": "CFDI",
            "period_start": now,
            "period_end": now,
        },
        now,
    )
    files = folder / "cfdi" / "emitidos" / "cfdi" / "p"
    files.mkdir(parents=True)
    packages = {f"P{index:06d}_01": files / f"P{index:06d}_01.zip" for index in range(count)}
    store.finish_request("k", now, 0, packages)
    for id_paquete, path in packages.items():
        data = os.urandom(size)
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        store.update_package(id_paquete, now, status="downloaded", size=size, sha256=digest)
    return store


def timed(store: SyncStore) -> float:
    problems: list[SyncEvent] = []
    started = time.perf_counter()
    found = check_downloaded(store, datetime.now(timezone.utc), problems.append)
    elapsed = time.perf_counter() - started
    assert not found and not problems, found
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--packages", type=int, default=16)
    parser.add_argument("--many", type=int, default=5000)
    args = parser.parse_args()
    say(machine_note())
    with tempfile.TemporaryDirectory(prefix="state-check-") as temporary:
        big = build(Path(temporary) / "big", args.packages, args.mib * 2**20 // args.packages)
        seconds = min(timed(big) for _ in range(3))
        big.close()
        say(
            f"sha256: {args.mib} MiB in {args.packages} packages checked in {seconds:.2f} s "
            f"({args.mib / seconds:.0f} MiB/s, best of 3, page cache)"
        )
        many = build(Path(temporary) / "many", args.many, 4096)
        seconds = min(timed(many) for _ in range(3))
        many.close()
        say(
            f"many: {args.many} packages of 4 KiB checked in {seconds:.2f} s "
            f"({seconds / args.many * 1e6:.0f} µs a package, best of 3)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
