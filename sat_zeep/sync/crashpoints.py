"""Named points where a test can kill the sync as ``kill -9`` would, to prove it resumes.

``SAT_ZEEP_CRASH_AT=download:2`` sends SIGKILL to the process the second time the sync reaches
the ``download`` point. Unset (always, outside tests), a crash point does nothing.

Points: ``plan``, ``submit`` (a Solicitud about to be sent, recorded), ``submitted`` (SAT
accepted it, not yet recorded), ``verify``, ``verified``, ``download`` (recorded, about to be
sent), ``mid-download`` (package bytes arriving), ``downloaded`` (file in place, not yet
recorded).
"""

from __future__ import annotations

import os
import signal
import threading

_lock = threading.Lock()
_hits: dict[str, int] = {}


def crashpoint(name: str) -> None:
    """Die here if ``SAT_ZEEP_CRASH_AT`` names this point and its count is reached."""
    spec = os.environ.get("SAT_ZEEP_CRASH_AT")
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] >= int(count or 1):
            os.kill(os.getpid(), signal.SIGKILL)
