"""The WS-Security header that Autentica requires, signed with xmlsec.

The header signs only the Timestamp, by reference to ``u:Id="_0"``, exactly as SAT's samples do::

    <o:Security xmlns:o="…wssecurity-secext-1.0.xsd" xmlns:u="…wssecurity-utility-1.0.xsd"
                s:mustUnderstand="1">
      <u:Timestamp u:Id="_0">
        <u:Created>2026-01-15T17:00:00.000Z</u:Created>
        <u:Expires>2026-01-15T17:05:00.000Z</u:Expires>
      </u:Timestamp>
      <o:BinarySecurityToken u:Id="uuid-…-1" ValueType="…#X509v3" EncodingType="…#Base64Binary">
        MIIF…(the e.firma certificate)</o:BinarySecurityToken>
      <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
        <SignedInfo>
          <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
          <SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>
          <Reference URI="#_0">
            <Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>
            <DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>
            <DigestValue>…</DigestValue>
          </Reference>
        </SignedInfo>
        <SignatureValue>…</SignatureValue>
        <KeyInfo><o:SecurityTokenReference><o:Reference URI="#uuid-…-1" ValueType="…#X509v3"/>
        </o:SecurityTokenReference></KeyInfo>
      </Signature>
    </o:Security>

(Shown indented; the real header has no whitespace.) The digest covers the prefix ``u`` and the
exact time strings, so both are fixed here.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from lxml import etree

from ._xmlsec import load_xmlsec
from .namespaces import (
    BASE64_ENCODING,
    DSIG,
    EXC_C14N,
    RSA_SHA1,
    SHA1,
    SOAP_ENV,
    WSSE,
    WSU,
    X509_TOKEN,
)

if TYPE_CHECKING:
    from .fiel import Fiel

TIMESTAMP_ID = "_0"


def format_timestamp(moment: datetime) -> str:
    """``2026-01-15T17:00:00.000Z``: UTC with milliseconds, as SAT writes WS-Security times."""
    if moment.tzinfo is None:
        raise ValueError("WS-Security times must be timezone-aware")
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def new_token_id() -> str:
    """A fresh BinarySecurityToken id in the ``uuid-…-1`` form WCF clients use."""
    return f"uuid-{uuid.uuid4()}-1"


def build_security_header(
    fiel: Fiel, *, created: datetime, expires: datetime, token_id: str
) -> etree._Element:
    """The signed ``o:Security`` element for Autentica (see the module docstring)."""
    security = etree.Element(
        etree.QName(WSSE, "Security"), nsmap={"s": SOAP_ENV, "o": WSSE, "u": WSU}
    )
    security.set(etree.QName(SOAP_ENV, "mustUnderstand"), "1")

    timestamp = etree.SubElement(security, etree.QName(WSU, "Timestamp"))
    timestamp.set(etree.QName(WSU, "Id"), TIMESTAMP_ID)
    etree.SubElement(timestamp, etree.QName(WSU, "Created")).text = format_timestamp(created)
    etree.SubElement(timestamp, etree.QName(WSU, "Expires")).text = format_timestamp(expires)

    token = etree.SubElement(security, etree.QName(WSSE, "BinarySecurityToken"))
    token.set(etree.QName(WSU, "Id"), token_id)
    token.set("ValueType", X509_TOKEN)
    token.set("EncodingType", BASE64_ENCODING)
    token.text = fiel.certificate_base64

    signature = _signature_template(security, token_id)
    xmlsec = load_xmlsec()
    context = xmlsec.SignatureContext()
    context.register_id(timestamp, "Id", WSU)
    context.key = fiel.xmlsec_key()
    context.sign(signature)
    # xmlsec wraps base64 at 64 columns; SignatureValue is outside SignedInfo, so unwrapping it
    # leaves the signature intact and the header on one line.
    value = signature.find(etree.QName(DSIG, "SignatureValue").text)
    if value is not None and value.text:
        value.text = "".join(value.text.split())
    return security


def _signature_template(security: etree._Element, token_id: str) -> etree._Element:
    signature = etree.SubElement(security, etree.QName(DSIG, "Signature"), nsmap={None: DSIG})  # type: ignore[dict-item]
    signed_info = etree.SubElement(signature, etree.QName(DSIG, "SignedInfo"))
    _algorithm(signed_info, "CanonicalizationMethod", EXC_C14N)
    _algorithm(signed_info, "SignatureMethod", RSA_SHA1)
    reference = etree.SubElement(
        signed_info, etree.QName(DSIG, "Reference"), URI=f"#{TIMESTAMP_ID}"
    )
    transforms = etree.SubElement(reference, etree.QName(DSIG, "Transforms"))
    _algorithm(transforms, "Transform", EXC_C14N)
    _algorithm(reference, "DigestMethod", SHA1)
    etree.SubElement(reference, etree.QName(DSIG, "DigestValue"))
    etree.SubElement(signature, etree.QName(DSIG, "SignatureValue"))
    key_info = etree.SubElement(signature, etree.QName(DSIG, "KeyInfo"))
    token_reference = etree.SubElement(key_info, etree.QName(WSSE, "SecurityTokenReference"))
    etree.SubElement(
        token_reference, etree.QName(WSSE, "Reference"), URI=f"#{token_id}", ValueType=X509_TOKEN
    )
    return signature


def _algorithm(parent: etree._Element, name: str, algorithm: str) -> None:
    etree.SubElement(parent, etree.QName(DSIG, name), Algorithm=algorithm)
