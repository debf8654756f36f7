"""Faults on demand: the failures SAT really shows, injected reproducibly.

Kinds:

- ``http500``, ``http503``: an HTML error page with that status, no SOAP.
- ``error404``: SAT's business code 404 "Error no Controlado" in the operation's normal answer.
- ``slow``: the answer comes after ``delay`` seconds.
- ``reset``: the connection is dropped halfway through the answer.
- ``truncate``: a package answer ends cleanly but halfway through the package text.
- ``corrupt``: a package answer whole and well-formed, but one byte of the ZIP is wrong.

Either by schedule (``plan.add("Descargar", "reset")`` hits the next Descargar) or at random
with a rate and a seed, so that a failing run can be replayed exactly.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("http500", "http503", "error404", "slow", "reset", "truncate", "corrupt")

_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>{status}</title></head>"
    "<body><h1>{status}</h1><p>The service is unavailable.</p></body></html>"
)


class ConnectionDropped(Exception):
    """Raised inside a response stream so that the WSGI server drops the connection."""


@dataclass(frozen=True)
class InjectedFault:
    """One fault chosen for one call."""

    kind: str
    delay: float = 2.0

    def before_answer(self, start_response: Callable[..., Any]) -> Iterable[bytes] | None:
        """An answer that replaces the real one, or None to go on (after any delay)."""
        if self.kind == "slow":
            time.sleep(self.delay)
            return None
        if self.kind in ("http500", "http503"):
            status = (
                "500 Internal Server Error" if self.kind == "http500" else "503 Service Unavailable"
            )
            body = _ERROR_PAGE.format(status=status).encode()
            start_response(
                status, [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return None


class FaultPlan:
    """Decides, call by call, whether a fault is injected."""

    def __init__(
        self,
        *,
        rate: float = 0.0,
        kinds: Sequence[str] = KINDS,
        seed: int = 0,
        operations: Sequence[str] | None = None,
        delay: float = 2.0,
    ) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {KINDS}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the fault rate must be between 0 and 1, not {rate}")
        self.rate = rate
        self.kinds = tuple(kinds)
        self.operations = None if operations is None else frozenset(operations)
        self.delay = delay
        self._random = random.Random(seed)
        self._scheduled: dict[str, deque[str]] = {}
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str]] = []

    def add(self, operation: str, kind: str, times: int = 1) -> None:
        """Inject ``kind`` into the next ``times`` calls of ``operation`` (e.g. ``Descargar``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {KINDS}")
        with self._lock:
            self._scheduled.setdefault(operation, deque()).extend([kind] * times)

    def pick(self, operation: str) -> InjectedFault | None:
        """The fault for this call of ``operation``, if any."""
        with self._lock:
            queue = self._scheduled.get(operation)
            kind: str | None = None
            if queue:
                kind = queue.popleft()
            elif (
                self.rate
                and (self.operations is None or operation in self.operations)
                and self._random.random() < self.rate
            ):
                kind = self._random.choice(self.kinds)
            if kind is None:
                return None
            self.injected.append((operation, kind))
            return InjectedFault(kind, self.delay)
