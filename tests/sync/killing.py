"""Kill a child process on an event at the fake SAT, not after a wall-clock delay.

``kill_after_calls(child, sat, "Descargar", 3)`` sends SIGKILL once the third ``Descargar`` has
reached ``sat`` (its ``stats()["calls"]``, counted as each request arrives), so the kill lands
at the same point of the work on a quiet or a busy machine. It fails the test when the child
exited on its own before the kill (the kill then proved nothing) and when no call at all had
reached the server (the kill landed before the work started).
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass

from sat_zeep.testing.fake_sat.server import FakeSat

__all__ = ["KillAt", "kill_after_calls"]

#: Seconds between two reads of the server's counters.
POLL = 0.002


@dataclass(frozen=True)
class KillAt:
    """Kill once ``calls`` requests of SOAP action ``action`` (e.g. ``"Descargar"``) arrived."""

    action: str
    calls: int

    def __str__(self) -> str:
        return f"{self.action}:{self.calls}"


def kill_after_calls(
    child: subprocess.Popen[bytes], sat: FakeSat, action: str, calls: int, timeout: float = 120
) -> dict[str, int]:
    """SIGKILL ``child`` after the ``calls``-th ``action`` reached ``sat``; the calls seen then.

    Raises ``AssertionError`` when the child exits first, when the kill did not end it (it had
    exited normally meanwhile), when no call preceded the kill, or after ``timeout`` seconds.
    """
    if calls < 1:
        raise ValueError("kill after at least one call")
    deadline = time.monotonic() + timeout
    while True:
        seen: dict[str, int] = dict(sat.stats()["calls"])
        if seen.get(action, 0) >= calls:
            break
        code = child.poll()
        if code is not None:
            raise AssertionError(
                f"the child exited ({code}) before {action} call {calls} reached the fake SAT;"
                f" calls seen: {seen}"
            )
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            raise AssertionError(f"{action} call {calls} did not come within {timeout} s: {seen}")
        time.sleep(POLL)
    child.send_signal(signal.SIGKILL)
    code = child.wait(timeout=timeout)
    if code != -signal.SIGKILL:
        raise AssertionError(
            f"the child exited normally ({code}) instead of being killed after {action} call"
            f" {calls}"
        )
    if sum(seen.values()) == 0:
        raise AssertionError("the kill landed before any call reached the fake SAT")
    return seen
