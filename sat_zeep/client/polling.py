"""How often to ask SAT again about a request it is still preparing: backoff with jitter.

SAT takes minutes to days to prepare a request, so the pause between two questions grows from
``initial`` by ``factor`` up to ``maximum``, each one moved by up to ``jitter`` either way so that
many clients started together do not ask together::

    >>> policy = PollPolicy(initial=timedelta(seconds=30), jitter=0)
    >>> [policy.delay(n, random.Random()).total_seconds() for n in (1, 2, 3)]
    [30.0, 45.0, 67.5]
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PollPolicy:
    """The pause before the ``checks``-th question about one request."""

    initial: timedelta = timedelta(seconds=30)
    factor: float = 1.5
    maximum: timedelta = timedelta(minutes=15)
    jitter: float = 0.2

    def delay(self, checks: int, rng: random.Random) -> timedelta:
        base = min(
            self.initial.total_seconds() * self.factor ** min(max(0, checks - 1), 64),
            self.maximum.total_seconds(),
        )
        return timedelta(seconds=base * (1 + rng.uniform(-self.jitter, self.jitter)))
