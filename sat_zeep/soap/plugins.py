"""zeep plugins: thin adapters from zeep's egress hook to sat_zeep's pure signing functions.

Use them with any ``zeep.Client`` built on the vendored WSDLs:

- ``WsSecurityPlugin`` on Autenticación adds the signed WS-Security header;
- ``WrapAuthorizationPlugin`` on the other three adds ``Authorization: WRAP access_token="…"``;
- ``RequestSigningPlugin`` on the other three signs the request element (list it last).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from lxml import etree
from typing_extensions import override
from zeep import Plugin

from ..signing.request_signature import sign_request
from ..signing.security_header import build_security_header, new_token_id
from .envelope import body_operation, header, normalize_envelope

if TYPE_CHECKING:
    from ..signing.fiel import Fiel

#: How long the Autentica Timestamp (and so the token) is requested for.
TOKEN_LIFETIME = timedelta(minutes=5)

Headers = dict[str, str]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WsSecurityPlugin(Plugin):  # type: ignore[misc]
    """Adds Autentica's signed ``o:Security`` header (Timestamp + BinarySecurityToken)."""

    def __init__(
        self,
        fiel: Fiel,
        *,
        clock: Callable[[], datetime] = utc_now,
        token_id_factory: Callable[[], str] = new_token_id,
        lifetime: timedelta = TOKEN_LIFETIME,
    ) -> None:
        self.fiel = fiel
        self.clock = clock
        self.token_id_factory = token_id_factory
        self.lifetime = lifetime

    @override
    def egress(
        self, envelope: etree._Element, http_headers: Headers, operation: Any, binding_options: Any
    ) -> tuple[etree._Element, Headers]:
        envelope = normalize_envelope(envelope)
        created = self.clock()
        security = build_security_header(
            self.fiel,
            created=created,
            expires=created + self.lifetime,
            token_id=self.token_id_factory(),
        )
        header(envelope).append(security)
        return envelope, http_headers


class WrapAuthorizationPlugin(Plugin):  # type: ignore[misc]
    """Adds the ``Authorization: WRAP access_token="…"`` HTTP header with the current token.

    ``token`` is the token text or a function returning it (called once per request).
    """

    def __init__(self, token: str | Callable[[], str]) -> None:
        self._token = token

    @override
    def egress(
        self, envelope: etree._Element, http_headers: Headers, operation: Any, binding_options: Any
    ) -> tuple[etree._Element, Headers]:
        token = self._token() if callable(self._token) else self._token
        http_headers["Authorization"] = wrap_authorization(token)
        return envelope, http_headers


class RequestSigningPlugin(Plugin):  # type: ignore[misc]
    """Signs the operation element by SAT's rule (see ``sat_zeep.signing.request_signature``)."""

    def __init__(self, fiel: Fiel) -> None:
        self.fiel = fiel

    @override
    def egress(
        self, envelope: etree._Element, http_headers: Headers, operation: Any, binding_options: Any
    ) -> tuple[etree._Element, Headers]:
        envelope = normalize_envelope(envelope)
        sign_request(body_operation(envelope), self.fiel)
        return envelope, http_headers


def wrap_authorization(token: str) -> str:
    """The Authorization header value SAT expects: the token as received, between quotes."""
    return f'WRAP access_token="{token}"'
