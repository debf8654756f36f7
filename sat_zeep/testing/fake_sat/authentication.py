"""How the fake server checks an Autentica request, as SAT does, before it issues a token.

The request must carry one ``o:Security`` header whose ``Signature`` (checked with xmlsec) covers
exactly the header's ``u:Timestamp`` and whose key is the certificate of the header's
``o:BinarySecurityToken``. The certificate must chain to a trusted CA, be an e.firma (not a CSD)
and be valid now; the Timestamp must be current, allowing a small clock skew.

The Timestamp rules follow WS-Security 1.0 (SOAP Message Security §10: a receiver may refuse a
Timestamp it finds stale) as WCF, SAT's server, applies them: ``Created`` may not be older than
``MAX_WINDOW`` plus the skew, nor in the future, and ``Expires - Created`` may not exceed
``MAX_WINDOW`` (WCF's ``TimestampValidityDuration``, 5 minutes by default, the span of every SAT
sample, CONTRACT.md §2.1). A request that repeats a signed Timestamp already used while it is
still valid is refused as a replay (WCF's replay detection; CONTRACT.md says nothing either way,
so this is the strict choice: a real client signs a new Timestamp for every Autentica).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from lxml import etree

from ...signing._xmlsec import load_xmlsec
from ...signing.fiel import certificate_is_fiel, certificate_rfc
from ...signing.namespaces import DSIG, EXC_C14N, RSA_SHA1, SHA1, SOAP_ENV, WSSE, WSU, X509_TOKEN

#: Signature algorithms accepted on the Timestamp (SAT's samples use the SHA-1 pair).
_SIGNATURE_METHODS = {RSA_SHA1, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
_DIGEST_METHODS = {SHA1, "http://www.w3.org/2001/04/xmlenc#sha256"}
#: Allowed difference between the client's clock and the server's.
CLOCK_SKEW = timedelta(minutes=5)
#: The longest Timestamp window accepted, and the oldest ``Created`` (plus the skew).
MAX_WINDOW = timedelta(minutes=5)


class AuthenticationRejected(Exception):
    """Why an Autentica request was refused (``reason``); SAT only says ``InvalidSecurity``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Authenticated:
    """The certificate behind a successful Autentica."""

    certificate: x509.Certificate
    rfc: str
    serial_number: int
    #: The SignatureValue of the Timestamp and when that Timestamp stops being valid.
    signature_value: str = ""
    expires: datetime = datetime(1970, 1, 1, tzinfo=timezone.utc)


class ReplayCache:
    """Signed Timestamps already used, kept until they expire (then a replay fails anyway)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, datetime] = {}

    def check(
        self, authenticated: Authenticated, now: datetime, skew: timedelta = CLOCK_SKEW
    ) -> None:
        """Remember this Timestamp's signature, or ``AuthenticationRejected`` if seen before."""
        with self._lock:
            for value, expires in list(self._seen.items()):
                if expires <= now - skew:
                    del self._seen[value]
            if authenticated.signature_value in self._seen:
                raise AuthenticationRejected("the signed Timestamp was already used (replay)")
            self._seen[authenticated.signature_value] = authenticated.expires


def _one(parent: etree._Element, tag: str, what: str) -> etree._Element:
    found = parent.findall(tag)
    if len(found) != 1:
        raise AuthenticationRejected(f"expected one {what}, found {len(found)}")
    return found[0]


def _algorithm(parent: etree._Element, path: str) -> str:
    node = parent.find(path)
    return "" if node is None else node.get("Algorithm", "")


def _parse_time(text: str | None, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        raise AuthenticationRejected(f"{what} is not a timestamp") from None
    # WS-Security times are UTC; a client that leaves out the "Z" still means UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def verify_autentica(
    envelope: etree._Element,
    *,
    now: datetime,
    trust_anchors: Sequence[x509.Certificate],
    skew: timedelta = CLOCK_SKEW,
) -> Authenticated:
    """The certificate that signed a valid Autentica envelope, or ``AuthenticationRejected``."""
    header = _one(envelope, f"{{{SOAP_ENV}}}Header", "SOAP Header")
    security = _one(header, f"{{{WSSE}}}Security", "o:Security header")
    timestamp = _one(security, f"{{{WSU}}}Timestamp", "u:Timestamp")
    token = _one(security, f"{{{WSSE}}}BinarySecurityToken", "o:BinarySecurityToken")
    signature = _one(security, f"{{{DSIG}}}Signature", "Signature")

    timestamp_id = timestamp.get(f"{{{WSU}}}Id")
    token_id = token.get(f"{{{WSU}}}Id")
    if not timestamp_id or not token_id:
        raise AuthenticationRejected("the Timestamp and the token need u:Id attributes")
    same_id = envelope.xpath("//*[@u:Id=$id]", namespaces={"u": WSU}, id=timestamp_id)
    if not isinstance(same_id, list) or len(same_id) != 1:
        raise AuthenticationRejected("the Timestamp's u:Id is not unique")
    if token.get("ValueType") != X509_TOKEN:
        raise AuthenticationRejected("the BinarySecurityToken is not an X.509 v3 certificate")

    signed_info = _one(signature, f"{{{DSIG}}}SignedInfo", "SignedInfo")
    references = signed_info.findall(f"{{{DSIG}}}Reference")
    if len(references) != 1 or references[0].get("URI") != f"#{timestamp_id}":
        raise AuthenticationRejected("the signature must cover the Timestamp and only it")
    if _algorithm(signed_info, f"{{{DSIG}}}CanonicalizationMethod") != EXC_C14N:
        raise AuthenticationRejected("SignedInfo must be canonicalized with exclusive c14n")
    if _algorithm(signed_info, f"{{{DSIG}}}SignatureMethod") not in _SIGNATURE_METHODS:
        raise AuthenticationRejected("unsupported signature method")
    if _algorithm(references[0], f"{{{DSIG}}}DigestMethod") not in _DIGEST_METHODS:
        raise AuthenticationRejected("unsupported digest method")
    reference = signature.find(
        f"{{{DSIG}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference"
    )
    if reference is None or reference.get("URI") != f"#{token_id}":
        raise AuthenticationRejected("KeyInfo must refer to the BinarySecurityToken")

    try:
        certificate_der = base64.b64decode("".join((token.text or "").split()), validate=True)
        certificate = x509.load_der_x509_certificate(certificate_der)
    except (binascii.Error, ValueError):
        raise AuthenticationRejected("the BinarySecurityToken holds no certificate") from None

    xmlsec = load_xmlsec()
    context = xmlsec.SignatureContext()
    context.register_id(timestamp, "Id", WSU)
    context.key = xmlsec.Key.from_memory(certificate_der, xmlsec.constants.KeyDataFormatCertDer)
    try:
        context.verify(signature)
    except xmlsec.Error:
        raise AuthenticationRejected("the signature does not verify") from None

    _check_certificate(certificate, now, trust_anchors)
    created = _parse_time(timestamp.findtext(f"{{{WSU}}}Created"), "Created")
    expires = _parse_time(timestamp.findtext(f"{{{WSU}}}Expires"), "Expires")
    if not created < expires:
        raise AuthenticationRejected("the Timestamp expires before it is created")
    if created > now + skew:
        raise AuthenticationRejected("the Timestamp is in the future")
    if expires <= now - skew:
        raise AuthenticationRejected("the Timestamp has expired")
    if expires - created > MAX_WINDOW:
        raise AuthenticationRejected("the Timestamp's window is longer than 5 minutes")
    if created < now - MAX_WINDOW - skew:
        raise AuthenticationRejected("the Timestamp was created too long ago")
    return Authenticated(
        certificate,
        certificate_rfc(certificate),
        certificate.serial_number,
        "".join((signature.findtext(f"{{{DSIG}}}SignatureValue") or "").split()),
        expires,
    )


def issued_by_any(certificate: x509.Certificate, anchors: Sequence[x509.Certificate]) -> bool:
    """Whether one of ``anchors`` issued and signed the certificate."""
    for anchor in anchors:
        try:
            certificate.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def _check_certificate(
    certificate: x509.Certificate, now: datetime, anchors: Sequence[x509.Certificate]
) -> None:
    if not issued_by_any(certificate, anchors):
        raise AuthenticationRejected("the certificate was not issued by a trusted CA")
    if not certificate_is_fiel(certificate):
        raise AuthenticationRejected("the certificate is a CSD, not an e.firma")
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise AuthenticationRejected("the certificate is expired or not yet valid")
