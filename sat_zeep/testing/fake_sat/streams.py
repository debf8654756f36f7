"""Deterministic random streams, the only source of randomness in the fake SAT universe.

A stream is a ``random.Random`` seeded from a SHA-256 of the values that name it, so the same names
give the same draws in any process. Nothing depends on a clock or on Python's ``hash()``.
"""

from __future__ import annotations

import hashlib
import math
import random
from decimal import Decimal

__all__ = ["amount", "stream"]


def stream(*parts: object) -> random.Random:
    """The random stream named by ``parts`` (joined with US, hashed with SHA-256)."""
    text = "\x1f".join(str(part) for part in parts).encode()
    return random.Random(int.from_bytes(hashlib.sha256(text).digest()[:16], "big"))


def amount(rng: random.Random, low: float, high: float) -> Decimal:
    """A log-uniform amount of money between ``low`` and ``high``, in cents."""
    return Decimal(f"{math.exp(rng.uniform(math.log(low), math.log(high))):.2f}")
