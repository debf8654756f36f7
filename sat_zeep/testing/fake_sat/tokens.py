"""Tokens shaped like SAT's, but unforgeable: a keyed MAC over the claims.

SAT answers Autentica with a JWT followed by ``&wrap_subject=…``, URL-encoded as a whole::

    eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOj…%26wrap_subject%3d3330303031…

The fake server signs its JWT with HMAC-SHA256 and a per-server secret. ``wrap_subject`` is the
certificate serial number, its ASCII digits written in hex, as SAT's samples show.

A token serves the services of the Autenticacion that issued it: CFDI and Retenciones each have
their own Autenticacion endpoint (CONTRACT.md §1.3, §2.2), so the fake writes the issuing service
into the JWT's ``aud`` and refuses a CFDI token on Retenciones (and the reverse) as
``InvalidSecurity``, as it refuses any token that service did not issue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

#: The JWT header SAT writes (an XML-DSig algorithm URI, not a JOSE name).
_HEADER = {"alg": "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256", "typ": "JWT"}


class TokenRejected(Exception):
    """The token is missing, malformed, forged or expired (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    """What the server knows about the holder of a valid token."""

    rfc: str
    serial_number: int
    issued_at: datetime
    expires: datetime


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def serial_subject(serial_number: int) -> str:
    """``wrap_subject``: the serial's bytes (ASCII digits for SAT certificates) in hex."""
    length = max(1, (serial_number.bit_length() + 7) // 8)
    return serial_number.to_bytes(length, "big").hex()


class TokenIssuer:
    """Issues and checks tokens with one secret; tokens live ``lifetime``."""

    def __init__(self, secret: bytes | None = None, lifetime: timedelta = timedelta(minutes=5)):
        self._secret = secret or secrets.token_bytes(32)
        self.lifetime = lifetime

    def issue(
        self, rfc: str, serial_number: int, now: datetime, service: str = "cfdi"
    ) -> tuple[str, TokenClaims]:
        """A new token for a certificate from ``service``'s Autenticacion, and its claims."""
        claims = TokenClaims(rfc, serial_number, now, now + self.lifetime)
        payload = {
            "nbf": int(now.timestamp()),
            "exp": int(claims.expires.timestamp()),
            "iat": int(now.timestamp()),
            "iss": "sat_zeep fake SAT",
            "aud": _audience(service),
            "sub": rfc,
            "serial": str(serial_number),
            "jti": secrets.token_hex(8),
        }
        signing_input = (
            f"{_b64url(json.dumps(_HEADER).encode())}."
            f"{_b64url(json.dumps(payload, separators=(',', ':')).encode())}"
        )
        mac = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        raw = f"{signing_input}.{_b64url(mac)}&wrap_subject={serial_subject(serial_number)}"
        return quote(raw, safe=""), claims

    def check(self, token: str, now: datetime, service: str = "cfdi") -> TokenClaims:
        """The claims of a token valid on ``service``, or ``TokenRejected``."""
        raw = unquote(token)
        jwt, _, subject = raw.partition("&wrap_subject=")
        parts = jwt.split(".")
        if len(parts) != 3 or not subject:
            raise TokenRejected("malformed")
        signing_input = f"{parts[0]}.{parts[1]}"
        expected = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        try:
            given = _unb64url(parts[2])
            payload = json.loads(_unb64url(parts[1]))
        except (ValueError, TypeError):
            raise TokenRejected("malformed") from None
        if not hmac.compare_digest(expected, given):
            raise TokenRejected("forged")
        serial = int(payload["serial"])
        if subject != serial_subject(serial):
            raise TokenRejected("forged")
        claims = TokenClaims(
            rfc=str(payload["sub"]),
            serial_number=serial,
            issued_at=datetime.fromtimestamp(payload["iat"], timezone.utc),
            expires=datetime.fromtimestamp(payload["exp"], timezone.utc),
        )
        if payload.get("aud") != _audience(service):
            raise TokenRejected("audience")
        if now >= claims.expires:
            raise TokenRejected("expired")
        return claims


def _audience(service: str) -> str:
    """``DescargaMasivaTerceros`` for CFDI, ``DescargaMasivaTerceros/retenciones`` otherwise."""
    return "DescargaMasivaTerceros" if service == "cfdi" else f"DescargaMasivaTerceros/{service}"
