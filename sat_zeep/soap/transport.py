"""The HTTP transport: zeep's, with timeouts, an overall deadline per call, and no redirects.

Each read waits at most ``read_timeout`` for bytes, and a whole call (connecting, sending,
reading the answer) ends at its ``deadline``: a server that trickles a byte now and then cannot
hold a call, or a run, for ever. An answer longer than ``max_answer`` is cut off (Descargar is
streamed by the client, and bounded by its own rules).

SAT never redirects. Every session a client uses refuses 3xx answers before ``requests`` could
follow them (a followed 307 would post a freshly signed Autentica to whatever host it names)::

    HTTP/1.1 307 Temporary Redirect
    Location: http://elsewhere.example/Autenticacion.svc     →  SatRedirectError, nothing re-sent
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.utils
import urllib3
import zeep
from requests.sessions import merge_setting
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProxyError,
    SSLError,
)

from ..errors import SatRedirectError, SatResponseError

#: Seconds to open a connection to SAT.
CONNECT_TIMEOUT = 15.0
#: Seconds to wait for each chunk of SAT's answer; packages are large and SAT is slow.
READ_TIMEOUT = 120.0
#: Seconds a whole call may take, answer included (a 1.5 GiB package at 1 MiB/s takes 26 min).
CALL_DEADLINE = 3600.0
#: The least a call gets when a run bounds its calls (``bound_calls``): a package must be able
#: to arrive, since each one may be downloaded only twice.
MIN_CALL_DEADLINE = 600.0
#: Bytes an answer read whole may have (Autentica, Solicitud and Verificación answer in KBs).
MAX_ANSWER = 64 << 20
#: Bytes read at a time at most.
CHUNK = 1 << 18


class DeadlinePassed(requests.Timeout):
    """The call's overall deadline passed while its answer was still arriving."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the answer was still arriving after the call's {seconds:g} s deadline")


#: ``requests``' merge of a call's setting with the session's (untyped there).
_merge: Callable[[Any, Any], Any] = merge_setting


class SatSession(requests.Session):
    """A ``requests.Session`` that reads the proxy and CA variables once per host, not per call.

    ``requests`` looks through the whole environment for ``*_proxy`` variables (twice) on every
    call, a fleet's client thousands of times a minute. The answer only depends on the URL's
    scheme and host and on ``no_proxy``, so it is kept, per session, from the first call to a
    host on (a variable changed later does not apply to this session).
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str, str | None], tuple[dict[str, str], Any]] = {}

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> Any:
        """``requests``' own merge, with the environment's part remembered per host."""
        if self.trust_env and isinstance(url, str):
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            env_proxies, bundle = self._from_environment(url, no_proxy)
            if proxies is not None:
                for name, value in env_proxies.items():
                    proxies.setdefault(name, value)
            if verify is True or verify is None:
                verify = bundle or verify
        return {
            "proxies": _merge(proxies, self.proxies),
            "stream": _merge(stream, self.stream),
            "verify": _merge(verify, self.verify),
            "cert": _merge(cert, self.cert),
        }

    def _from_environment(self, url: str, no_proxy: str | None) -> tuple[dict[str, str], Any]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy)
        found = self._environment.get(key)
        if found is None:
            env_proxies = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = self._environment[key] = (dict(env_proxies), bundle)
        return dict(found[0]), found[1]


class SatTransport(zeep.Transport):  # type: ignore[misc]
    """``zeep.Transport`` reading each answer within ``deadline`` s and ``max_answer`` bytes."""

    def __init__(
        self,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        deadline: float = CALL_DEADLINE,
        max_answer: int = MAX_ANSWER,
    ) -> None:
        super().__init__(
            timeout=connect_timeout,
            operation_timeout=(connect_timeout, read_timeout),
            session=SatSession(),
        )
        self.deadline = deadline
        self.max_answer = max_answer
        #: Called with each answer once its body was read whole (``sat-zeep -v`` logs it).
        self.on_answer: list[Callable[[requests.Response], object]] = []
        refuse_redirects(self.session)

    def post(self, address: str, message: bytes, headers: Any) -> requests.Response:
        ends = time.monotonic() + self.deadline
        response: requests.Response = self.session.post(
            address, data=message, headers=headers, timeout=self.operation_timeout, stream=True
        )
        body = bytearray()
        try:
            for chunk in answer_chunks(response, ends, self.deadline):
                body += chunk
                if len(body) > self.max_answer:
                    raise SatResponseError(
                        f"SAT's answer at {address} goes on past {self.max_answer:,} bytes; it was "
                        "cut off there",
                        raw=bytes(body[:4096]),
                        url=address,
                    )
        except BaseException:
            response.close()
            raise
        release = getattr(response.raw, "release_conn", None)
        if release is not None:
            release()  # read to its end: the connection may serve the next call
        response._content = bytes(body)
        response._content_consumed = True  # type: ignore[attr-defined]
        for hook in self.on_answer:
            hook(response)
        return response


def default_transport(
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    deadline: float = CALL_DEADLINE,
) -> SatTransport:
    """A ``SatTransport`` with explicit connect and read timeouts and a deadline per call."""
    return SatTransport(
        connect_timeout=connect_timeout, read_timeout=read_timeout, deadline=deadline
    )


def call_deadline(transport: zeep.Transport) -> float:
    """Seconds a call through ``transport`` may take (``CALL_DEADLINE`` for zeep's own)."""
    return float(getattr(transport, "deadline", CALL_DEADLINE))


def bound_calls(transport: zeep.Transport, bound: timedelta) -> None:
    """Let no call through ``transport`` take longer than ``bound`` (but at least 10 minutes).

    ``sat-zeep sync --max-wait`` bounds its downloads this way.
    """
    seconds = max(bound.total_seconds(), MIN_CALL_DEADLINE)
    transport.deadline = min(call_deadline(transport), seconds)


def answer_chunks(response: requests.Response, ends: float, seconds: float) -> Iterator[bytes]:
    """The answer's bytes as they arrive (what each read got), until ``ends`` (monotonic).

    ``DeadlinePassed`` once the deadline is behind; a failed read is a ``requests`` error.
    """
    raw = response.raw
    if response._content_consumed or raw is None:  # type: ignore[attr-defined]
        yield from response.iter_content(CHUNK)
        return
    read = getattr(raw, "read1", None) or raw.read
    while True:
        if time.monotonic() > ends:
            raise DeadlinePassed(seconds)
        try:
            data = read(CHUNK)
        except urllib3.exceptions.ReadTimeoutError as error:
            raise requests.ReadTimeout(error) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise requests.ConnectionError(error) from None
        if not data:
            return
        yield data


def refuse_redirects(session: requests.Session) -> None:
    """Make ``session`` raise ``SatRedirectError`` on any 3xx answer (idempotent)."""
    hooks = session.hooks.setdefault("response", [])
    if _refuse_redirect not in hooks:
        hooks.insert(0, _refuse_redirect)


def _refuse_redirect(response: requests.Response, *_: Any, **__: Any) -> None:
    """A ``requests`` response hook: it runs before ``requests`` looks at redirects."""
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location")
        response.close()
        raise SatRedirectError(response.status_code, location, url=response.url)


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
