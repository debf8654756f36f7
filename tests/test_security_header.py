from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import DSIG, SOAP_ENV, WSSE, WSU
from sat_zeep.signing.security_header import build_security_header, format_timestamp, new_token_id

CREATED = datetime(2026, 1, 15, 17, 0, tzinfo=timezone.utc)
TOKEN_ID = "uuid-5a7d1c2e-0f3b-4e6a-9c8d-112233445566-1"
DS = f"{{{DSIG}}}"
OASIS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401"


def header(fiel: Fiel) -> etree._Element:
    return build_security_header(
        fiel, created=CREATED, expires=CREATED + timedelta(minutes=5), token_id=TOKEN_ID
    )


def envelope_with(security: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"s": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header").append(security)
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    etree.SubElement(body, "{http://DescargaMasivaTerceros.gob.mx}Autentica")
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def xmlsec1_verify(
    document: bytes, certificate: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("xmlsec1")
    assert tool, "the xmlsec1 command-line tool is required: apt-get install xmlsec1"
    signed = tmp_path / "autentica.xml"
    signed.write_bytes(document)
    return subprocess.run(
        [
            tool,
            "--verify",
            "--id-attr:Id",
            f"{WSU}:Timestamp",
            "--pubkey-cert-der",
            str(certificate),
            str(signed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_times_are_utc_with_milliseconds() -> None:
    moment = datetime(2026, 1, 15, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-6)))
    assert format_timestamp(moment) == "2026-01-15T17:00:00.123Z"
    with pytest.raises(ValueError) as naive:
        format_timestamp(datetime(2026, 1, 15))
    assert str(naive.value) == "WS-Security times must be timezone-aware"


def test_token_ids_are_fresh_and_wcf_shaped() -> None:
    first, second = new_token_id(), new_token_id()
    assert first != second
    assert first.startswith("uuid-") and first.endswith("-1")


def test_header_shape_uses_sats_prefixes(fiel: Fiel) -> None:
    security = header(fiel)
    assert security.tag == f"{{{WSSE}}}Security" and security.prefix == "o"
    assert security.get(f"{{{SOAP_ENV}}}mustUnderstand") == "1"
    assert security.nsmap == {"s": SOAP_ENV, "o": WSSE, "u": WSU}
    assert b' s:mustUnderstand="1"' in etree.tostring(security)
    timestamp, token, signature = list(security)
    assert timestamp.prefix == "u" and timestamp.get(f"{{{WSU}}}Id") == "_0"
    assert [child.text for child in timestamp] == [
        "2026-01-15T17:00:00.000Z",
        "2026-01-15T17:05:00.000Z",
    ]
    assert token.get(f"{{{WSU}}}Id") == TOKEN_ID
    assert token.get("ValueType") == f"{OASIS}-wss-x509-token-profile-1.0#X509v3"
    assert token.get("EncodingType") == f"{OASIS}-wss-soap-message-security-1.0#Base64Binary"
    assert base64.b64decode(token.text or "") == fiel.certificate_der
    assert signature.tag == f"{DS}Signature" and signature.prefix is None
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None and reference.get("URI") == "#_0"
    token_reference = signature.find(
        f"{DS}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference"
    )
    assert token_reference is not None and token_reference.get("URI") == f"#{TOKEN_ID}"
    value = signature.findtext(f"{DS}SignatureValue") or ""
    assert value and "\n" not in value


def test_digest_covers_only_the_timestamp(fiel: Fiel) -> None:
    security = header(fiel)
    expected = (
        f'<u:Timestamp xmlns:u="{WSU}" u:Id="_0"><u:Created>2026-01-15T17:00:00.000Z</u:Created>'
        "<u:Expires>2026-01-15T17:05:00.000Z</u:Expires></u:Timestamp>"
    ).encode()
    digest = base64.b64encode(hashlib.sha1(expected).digest()).decode()
    assert security.findtext(f".//{DS}DigestValue") == digest


def test_deterministic_for_fixed_inputs(fiel: Fiel) -> None:
    assert etree.tostring(header(fiel)) == etree.tostring(header(fiel))


def test_xmlsec1_command_line_accepts_the_signature(
    fiel: Fiel, fixture_dir: Path, tmp_path: Path
) -> None:
    result = xmlsec1_verify(
        envelope_with(header(fiel)), fixture_dir / "efirma" / "fiel.cer", tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr


def test_xmlsec1_rejects_a_tampered_timestamp(
    fiel: Fiel, fixture_dir: Path, tmp_path: Path
) -> None:
    security = header(fiel)
    expires = security.find(f"{{{WSU}}}Timestamp/{{{WSU}}}Expires")
    assert expires is not None
    expires.text = "2026-01-15T18:00:00.000Z"
    result = xmlsec1_verify(envelope_with(security), fixture_dir / "efirma" / "fiel.cer", tmp_path)
    assert result.returncode == 1, result.stderr
    assert "xmlSecOpenSSLEvpDigestVerify" in result.stderr
