"""Transient failures: when to try again, and what SAT did in this run.

A failure that may pass (the network, HTTP 5xx, a SOAP fault, a timeout, SAT's 404) is never
final while something is left to try: the item waits ``RetryPolicy.delay`` (doubling, with
jitter, recorded in the state as ``not_before``) and is tried again, in this run up to
``per_run`` times, then in the next run. ``RunHealth`` tells a run that never reached SAT
(nothing was sent: nothing is unconfirmed, nothing spent) from one where SAT only failed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import timedelta

from ..errors import SatError, SatTransportError

#: ``RunHealth.outage()``: no call reached SAT / SAT answered every call with an error.
UNREACHABLE, FAILING = "unreachable", "failing"


@dataclass(frozen=True)
class RetryPolicy:
    """The pause after the ``errors``-th transient failure of one item."""

    initial: timedelta = timedelta(seconds=2)
    maximum: timedelta = timedelta(minutes=5)
    #: Transient failures of one item in one run before it is left to the next run.
    per_run: int = 3

    def delay(self, errors: int, rng: random.Random) -> timedelta:
        """``initial`` doubled per earlier error, at most ``maximum``, times 0.5–1 (jitter)."""
        base = self.initial.total_seconds() * 2.0 ** min(max(0, errors - 1), 32)
        return timedelta(seconds=min(base, self.maximum.total_seconds()) * rng.uniform(0.5, 1.0))


def reached_sat(error: BaseException) -> bool:
    """False when the failed call cannot have reached SAT (nothing was written to it)."""
    return not (isinstance(error, SatTransportError) and not error.reached)


class RunHealth:
    """Counts of this run's calls: answered by SAT, failed at SAT, or never sent."""

    def __init__(self) -> None:
        self.answered = 0
        self.failing = 0
        self.unreached = 0
        self.last_error = ""
        self._lock = threading.Lock()

    def ok(self) -> None:
        with self._lock:
            self.answered += 1

    def failed(self, error: SatError | str) -> None:
        with self._lock:
            if isinstance(error, BaseException) and not reached_sat(error):
                self.unreached += 1
            else:
                self.failing += 1
            self.last_error = " ".join(str(error).split())

    def outage(self) -> str | None:
        """``UNREACHABLE`` or ``FAILING`` when no call of this run got a usable answer."""
        if self.answered:
            return None
        if self.failing:
            return FAILING
        return UNREACHABLE if self.unreached else None
