"""Helpers shared by the benchmarks: a server subprocess, /proc readers, an RSS sampler, and
``measure`` (time and peak RSS of one call, also used by the peers' child in their own venv).

Only the standard library and /proc are used (psutil is not a dependency of the project).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_note() -> str:
    """One line about the machine, for every benchmark's output."""
    return f"machine: {os.cpu_count()} CPU cores, Python {sys.version.split()[0]}"


@dataclass
class ServerProcess:
    """A fake SAT running in a child process (its first stdout line: ``listening on URL``)."""

    process: subprocess.Popen[str]
    base_url: str
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(command: Sequence[str], stderr_path: Path, timeout: float = 60.0) -> ServerProcess:
    """Start ``command`` and wait for its ``listening on <url>`` line."""
    stderr: IO[str] = stderr_path.open("w")
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT
    )
    stderr.close()
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("listening on "):
            return ServerProcess(process, line.split(" ", 2)[2].strip(), stderr_path)
        if not line and process.poll() is not None:
            break
    process.kill()
    process.wait()
    raise RuntimeError(
        f"server did not start (last line {line!r}); stderr:\n{stderr_path.read_text()}"
    )


def fake_sat_command(
    state: Path,
    *,
    seed: int,
    documents_per_day: float,
    padding: int,
    max_xml: int,
    shape: str = "plain",
) -> list[str]:
    """``sat-zeep fake-sat serve`` on ``state``, sized so one month is one package."""
    return [
        sys.executable,
        "-m",
        "sat_zeep.cli",
        "fake-sat",
        "serve",
        "--state-dir",
        str(state),
        "--seed",
        str(seed),
        "--documents-per-day",
        repr(documents_per_day),
        "--padding",
        str(padding),
        "--shape",
        shape,
        "--max-per-request",
        str(max_xml),
        "--max-per-package",
        str(max_xml),
    ]


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (threads included)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


@dataclass
class RssSampler:
    """Sample a process's RSS every ``interval`` seconds in a background thread."""

    pid: int
    interval: float = 0.05
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), rss_bytes(self.pid)))
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.interval)

    def peak(self, start: float, end: float) -> int:
        """Highest RSS sampled between two ``time.monotonic()`` moments."""
        inside = [rss for moment, rss in list(self.samples) if start <= moment <= end]
        return max(inside, default=rss_bytes(self.pid))


def status_kib(field: str) -> int:
    """A ``/proc/self/status`` field in KiB (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` value 5); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def measure(run: Callable[[], int]) -> dict[str, Any]:
    """Run ``run()`` (returning the package bytes it produced) and time it, with its peak RSS."""
    before = status_kib("VmRSS") * 1024
    reset = reset_peak()
    began = time.perf_counter()
    cpu_began = time.process_time()
    produced = run()
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    peak = status_kib("VmHWM") * 1024
    if not reset:  # the high-water mark includes the setup: the growth is an upper bound
        peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {
        "bytes": produced,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_before": before,
        "peak": peak,
        "peak_reset": reset,
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def say(text: str = "") -> None:
    """Print one line of figures at once (flushed: the output may go to a pipe)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
