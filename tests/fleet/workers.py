"""Worker processes for the fleet tests: ``sat-zeep worker`` started, killed, paused, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sat_zeep.cli import main
from sat_zeep.sync.db import DatabaseError
from sat_zeep.sync.fleet import FleetStore

from ..dates import month_ago
from .fleetsat import Efirma

CLI = [sys.executable, "-m", "sat_zeep.cli"]


def register(url: str, efirmas: list[Efirma], folder: Path, months: int) -> list[str]:
    """``fleet migrate`` and ``fleet add firms.toml``: the taxpayers, each ``months`` months."""
    start, end = month_ago(months)[0], month_ago(1)[1]
    firms = write_firms(folder / "firms.toml", efirmas, start.isoformat(), end.isoformat())
    assert main(["fleet", "migrate", "--db", url]) == 0
    assert main(["fleet", "add", str(firms), "--db", url]) == 0
    return [e.rfc for e in efirmas]


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
        self.log_of: dict[int, Path] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, count: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(count):
            path = self.logs / f"worker-{len(self.processes)}.log"
            log = path.open("wb")
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
            self.log_of[process.pid] = path
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


def open_periods(store: FleetStore, rfcs: list[str], lost_ok: bool = False) -> Counter[str]:
    """Statuses of the periods not finished, empty or split yet, and of packages not in."""
    counts: Counter[str] = Counter()
    for rfc in rfcs:
        for period in store.periods(rfc):
            if period.status not in ("finished", "empty", "split"):
                counts[period.status] += 1
    for package in store.packages():
        if lost_ok and package.status == "failed" and package.downloads_used == 2:
            continue
        if package.status != "downloaded":
            counts[f"package {package.status}"] += 1
    return counts


def wait_until_done(
    url: str,
    rfcs: list[str],
    timeout: float,
    workers: Workers | None = None,
    keep: int = 0,
    lost_ok: bool = False,
) -> None:
    """Until every period and package is done; fails with what is left after ``timeout``.

    With ``keep``, dead workers are replaced so that ``keep`` stay alive.
    """
    deadline = time.monotonic() + timeout
    left: Counter[str] = Counter()
    while time.monotonic() < deadline:
        if workers is not None and keep:
            workers.start(max(0, keep - len(workers.alive())))
        try:
            with FleetStore.open(url, migrate_schema=False) as store:
                left = open_periods(store, rfcs, lost_ok)
                if not left and store.periods(rfcs[0]):
                    return
        except DatabaseError as error:  # the database is being restarted
            left = Counter({str(error): 1})
        time.sleep(1.0)
    logs = ""
    if workers is not None:
        logs = "\n".join(
            path.read_text(errors="replace")[-2000:] for path in sorted(workers.logs.glob("*.log"))
        )
    raise AssertionError(f"not done after {timeout} s: {dict(left)}\n{logs}")
