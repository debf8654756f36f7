"""What a SAT certificate looks like: subject, key usages and validity of a FIEL or a CSD.

Used by ``TestCertificateAuthority`` (see ``certificates.py`` for the shape, from CONTRACT §11).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import NameOID

Kind = Literal["FIEL", "CSD"]

#: Validity SAT gives an e.firma; a CSD gets the same in these tests.
DEFAULT_VALIDITY = timedelta(days=4 * 365)
#: OID 2.5.4.41 (``name``), in which SAT repeats the taxpayer's name.
_NAME_OID = x509.ObjectIdentifier("2.5.4.41")


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("certificate validity needs timezone-aware datetimes")
    return moment.astimezone(timezone.utc)


def validity(
    not_before: datetime | None,
    not_after: datetime | None,
    *,
    expired: bool,
    not_yet_valid: bool,
) -> tuple[datetime, datetime]:
    if expired and not_yet_valid:
        raise ValueError("a certificate cannot be both expired and not yet valid")
    if (expired or not_yet_valid) and (not_before or not_after):
        raise ValueError("pass either expired/not_yet_valid or explicit not_before/not_after")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if expired:
        end = now - timedelta(days=1)
        return end - DEFAULT_VALIDITY, end
    if not_yet_valid:
        start = now + timedelta(days=1)
        return start, start + DEFAULT_VALIDITY
    start = utc(not_before) if not_before else now - timedelta(days=1)
    end = utc(not_after) if not_after else start + DEFAULT_VALIDITY
    if end <= start:
        raise ValueError("not_after must come after not_before")
    return start, end


def subject(
    rfc: str,
    name: str,
    curp: str | None,
    representative_rfc: str | None,
    email: str,
    branch: str | None,
) -> x509.Name:
    company = len(rfc) == 12
    if company:
        representative = (representative_rfc or "REPR800101AB1").upper()
        person_curp = (curp or f"{representative[:10]}HDFXXX09").upper()
        unique = f"{rfc} / {representative}"
    else:
        person_curp = (curp or f"{rfc[:10]}HDFXXX09").upper()
        unique = f"{rfc} / {person_curp}"
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(_NAME_OID, name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
    ]
    if branch is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch))
    attributes += [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, email),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, unique),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f" / {person_curp}"),
    ]
    return x509.Name(attributes)


def key_usage(kind: Kind) -> x509.KeyUsage:
    fiel = kind == "FIEL"
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=fiel,
        key_agreement=fiel,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
