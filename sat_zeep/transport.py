"""The HTTP transport: zeep's, with timeouts on every call (SAT can hang for minutes).

SAT never redirects. Every session a client uses refuses 3xx answers before ``requests`` could
follow them (a followed 307 would post a freshly signed Autentica to whatever host it names)::

    HTTP/1.1 307 Temporary Redirect
    Location: http://elsewhere.example/Autenticacion.svc     →  SatRedirectError, nothing re-sent
"""

from __future__ import annotations

from typing import Any

import requests
import zeep

from .errors import SatRedirectError

#: Seconds to open a connection to SAT.
CONNECT_TIMEOUT = 15.0
#: Seconds to wait for each chunk of SAT's answer; packages are large and SAT is slow.
READ_TIMEOUT = 120.0


def default_transport(
    *, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT
) -> zeep.Transport:
    """A ``zeep.Transport`` with explicit connect and read timeouts, refusing redirects."""
    transport = zeep.Transport(
        timeout=connect_timeout, operation_timeout=(connect_timeout, read_timeout)
    )
    refuse_redirects(transport.session)
    return transport


def refuse_redirects(session: requests.Session) -> None:
    """Make ``session`` raise ``SatRedirectError`` on any 3xx answer (idempotent)."""
    hooks = session.hooks.setdefault("response", [])
    if _refuse_redirect not in hooks:
        hooks.append(_refuse_redirect)


def _refuse_redirect(response: requests.Response, *_: Any, **__: Any) -> None:
    """A ``requests`` response hook: it runs before ``requests`` looks at redirects."""
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location")
        response.close()
        raise SatRedirectError(response.status_code, location, url=response.url)
