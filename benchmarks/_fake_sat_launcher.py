"""Run a ``FakeSat`` with the knobs the CLI lacks (padding, package limits), for benchmarks.

    python benchmarks/_fake_sat_launcher.py --state-dir DIR --padding 262144 \
        --documents-per-day 130 --max-xml-per-package 200000

Prints ``listening on <base-url>`` as its first line and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--documents-per-day", type=float, default=20.0)
    parser.add_argument("--padding", type=int, default=0)
    parser.add_argument("--max-xml-per-request", type=int, default=200_000)
    parser.add_argument("--max-xml-per-package", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=16)
    options = parser.parse_args()
    config = LedgerConfig(
        max_xml_per_request=options.max_xml_per_request,
        max_xml_per_package=options.max_xml_per_package,
    )
    server = FakeSat(
        options.state_dir,
        port=options.port,
        seed=options.seed,
        documents_per_day=options.documents_per_day,
        padding=options.padding,
        config=config,
        threads=options.threads,
    )
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with server:
        sys.stdout.write(f"listening on {server.base_url}\n")
        sys.stdout.flush()
        stopped.wait()


if __name__ == "__main__":
    main()
