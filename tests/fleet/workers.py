"""Worker processes for the fleet tests: ``sat-zeep worker`` started, killed, paused, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sat_zeep.fleet import FleetStore

from .fleetsat import Efirma

CLI = [sys.executable, "-m", "sat_zeep.cli"]


def write_firms(path: Path, efirmas: list[Efirma], start: str, end: str) -> Path:
    """A firms.toml listing ``efirmas`` (cer, key and password file of each)."""
    lines = ["[defaults]", f"start = {start}", f"end = {end}", ""]
    for efirma in efirmas:
        lines += [
            "[[taxpayer]]",
            f'cer = "{efirma.certificate}"',
            f'key = "{efirma.private_key}"',
            f'password_file = "{efirma.password_file}"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Workers:
    """``sat-zeep worker`` processes on one database, one output folder, one SAT."""

    def __init__(self, url: str, out: Path, sat_url: str, logs: Path) -> None:
        self.url, self.out, self.sat_url, self.logs = url, out, sat_url, logs
        self.processes: list[subprocess.Popen[bytes]] = []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, count: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(count):
            log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
            command = [
                *CLI,
                "worker",
                "--db",
                self.url,
                "--out",
                str(self.out),
                "--base-url",
                self.sat_url,
                "--poll",
                "1s",
                "--concurrency",
                "4",
            ]
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            self.processes.append(process)
            started.append(process)
        return started

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.processes if p.poll() is None]

    def stop(self) -> None:
        for process in self.alive():
            os.kill(process.pid, signal.SIGCONT)
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def open_periods(store: FleetStore, rfcs: list[str]) -> Counter[str]:
    """Statuses of the periods not finished, empty or split yet."""
    counts: Counter[str] = Counter()
    for rfc in rfcs:
        for period in store.periods(rfc):
            if period.status not in ("finished", "empty", "split"):
                counts[period.status] += 1
    for package in store.packages():
        if package.status != "downloaded":
            counts[f"package {package.status}"] += 1
    return counts


def wait_until_done(
    store: FleetStore, rfcs: list[str], timeout: float, workers: Workers | None = None
) -> None:
    """Until every period and package is done; fails with what is left after ``timeout``."""
    deadline = time.monotonic() + timeout
    left: Counter[str] = Counter()
    while time.monotonic() < deadline:
        left = open_periods(store, rfcs)
        if not left and store.periods(rfcs[0]):
            return
        time.sleep(1.0)
    logs = ""
    if workers is not None:
        logs = "\n".join(
            path.read_text(errors="replace")[-2000:] for path in sorted(workers.logs.glob("*.log"))
        )
    raise AssertionError(f"not done after {timeout} s: {dict(left)}\n{logs}")
