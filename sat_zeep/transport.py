"""The HTTP transport: zeep's, with timeouts on every call (SAT can hang for minutes)."""

from __future__ import annotations

import ssl

import requests
import zeep
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProxyError,
    SSLError,
)

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


def request_may_have_reached(error: BaseException) -> bool:
    """Whether a failed ``requests`` call may have written its request to a connection.

    False only when it failed before any byte was sent: the name did not resolve, the
    connection was refused or timed out while connecting, the TLS handshake failed. Anything
    later (a reset, a read timeout, a broken answer) may have reached the server: True.
    """
    if isinstance(error, requests.ConnectTimeout):
        return False
    reason = _reason(error)
    if isinstance(reason, (NewConnectionError, ConnectTimeoutError, ProxyError)):
        return False
    if isinstance(error, requests.exceptions.SSLError) or isinstance(reason, SSLError):
        return not _handshake_failed(reason if reason is not None else error)
    return True


def _reason(error: BaseException) -> BaseException | None:
    """The urllib3 cause ``requests`` wraps: ``MaxRetryError.reason`` or the error itself."""
    inner = error.args[0] if error.args and isinstance(error.args[0], BaseException) else None
    if isinstance(inner, MaxRetryError):
        return inner.reason
    return inner


def _handshake_failed(error: BaseException) -> bool:
    """A TLS error raised while the connection was being set up (certificate, protocol)."""
    chain: BaseException | None = error
    while chain is not None:
        if isinstance(chain, (ssl.SSLCertVerificationError, ssl.CertificateError)):
            return True
        text = str(chain)
        if "handshake" in text.lower() or "WRONG_VERSION_NUMBER" in text:
            return True
        chain = chain.args[0] if chain.args and isinstance(chain.args[0], BaseException) else None
    return False
