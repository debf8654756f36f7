"""The HTTP transport: zeep's, with timeouts on every call (SAT can hang for minutes)."""

from __future__ import annotations

import zeep

#: Seconds to open a connection to SAT.
CONNECT_TIMEOUT = 15.0
#: Seconds to wait for each chunk of SAT's answer; packages are large and SAT is slow.
READ_TIMEOUT = 120.0


def default_transport(
    *, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT
) -> zeep.Transport:
    """A ``zeep.Transport`` with explicit connect and read timeouts."""
    return zeep.Transport(
        timeout=connect_timeout, operation_timeout=(connect_timeout, read_timeout)
    )
