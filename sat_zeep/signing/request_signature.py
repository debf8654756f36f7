"""The enveloped signature of Solicitud, Verificación and Descarga requests: SAT's rule.

SAT accepts (and the production-proven clients send) a signature whose digest covers the operation
element *without* the Signature, in exclusive canonical form, and which is then appended as the
last child of the inner element. Signed, a Verificación body reads (shown indented)::

    <des:VerificaSolicitudDescarga>
      <des:solicitud IdSolicitud="…" RfcSolicitante="…">
        <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
          <SignedInfo>
            <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
            <SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>
            <Reference URI="">
              <Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>
              <DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>
              <DigestValue>base64(SHA-1(exc-c14n(operation without Signature)))</DigestValue>
            </Reference>
          </SignedInfo>
          <SignatureValue>base64(RSA-SHA1(exc-c14n(SignedInfo)))</SignatureValue>
          <KeyInfo><X509Data>
            <X509IssuerSerial><X509IssuerName>…</X509IssuerName>
              <X509SerialNumber>(decimal)</X509SerialNumber></X509IssuerSerial>
            <X509Certificate>(base64 DER)</X509Certificate>
          </X509Data></KeyInfo>
        </Signature>
      </des:solicitud>
    </des:VerificaSolicitudDescarga>

``URI=""`` without an enveloped-signature transform is not standard XML-DSig (xmlsec1 rejects
it), so ``verify_request`` implements SAT's rule itself. It also accepts the form of SAT's own
samples: inclusive c14n with the enveloped-signature transform.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from ..errors import SignatureError
from .namespaces import C14N, DSIG, ENVELOPED_SIGNATURE, EXC_C14N, RSA_SHA1, SHA1

if TYPE_CHECKING:
    from .fiel import Fiel

_CANONICALIZATIONS = {EXC_C14N: True, C14N: False}  # URI -> exclusive?


def exc_c14n(element: etree._Element) -> bytes:
    """Exclusive XML canonicalization 1.0 without comments, the form SAT's signatures cover."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _ds(name: str) -> str:
    return etree.QName(DSIG, name).text


def sign_request(operation: etree._Element, fiel: Fiel) -> etree._Element:
    """Sign ``operation`` (e.g. ``des:SolicitaDescargaEmitidos``) in place; return the Signature.

    The Signature becomes the last child of the operation's single child element.
    """
    target = _signed_child(operation)
    digest = base64.b64encode(hashlib.sha1(exc_c14n(operation)).digest()).decode("ascii")

    signature = etree.Element(_ds("Signature"), nsmap={None: DSIG})  # type: ignore[dict-item]
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=RSA_SHA1)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=EXC_C14N)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=SHA1)
    etree.SubElement(reference, _ds("DigestValue")).text = digest

    value = fiel.sign_sha1(exc_c14n(signed_info))
    etree.SubElement(signature, _ds("SignatureValue")).text = base64.b64encode(value).decode()
    key_info = etree.SubElement(signature, _ds("KeyInfo"))
    x509_data = etree.SubElement(key_info, _ds("X509Data"))
    issuer_serial = etree.SubElement(x509_data, _ds("X509IssuerSerial"))
    etree.SubElement(issuer_serial, _ds("X509IssuerName")).text = fiel.issuer_name
    etree.SubElement(issuer_serial, _ds("X509SerialNumber")).text = str(fiel.serial_number)
    etree.SubElement(x509_data, _ds("X509Certificate")).text = fiel.certificate_base64

    target.append(signature)
    return signature


@dataclass(frozen=True)
class VerifiedRequest:
    """What a valid request signature proves: who signed it."""

    certificate: x509.Certificate
    digest_value: str
    signature_value: str


def verify_request(operation: etree._Element) -> VerifiedRequest:
    """Check a signed operation element by SAT's rule; raise ``SignatureError`` if it fails.

    Besides the form ``sign_request`` writes, this accepts the forms SAT accepts from other
    production clients: inclusive c14n with only the enveloped-signature transform (c14n 1.0 is
    XML-DSig's default), a ``Reference`` without ``URI``, and a ``SignatureValue`` computed over
    the ``SignedInfo`` canonicalized apart from the document (alone, or in the default xmldsig
    namespace whatever prefix it carries on the wire). The digest is always checked.
    """
    target = _signed_child(operation)
    signatures = target.findall(_ds("Signature"))
    if not signatures:
        raise SignatureError("missing", f"no Signature inside {etree.QName(target).localname}")
    if len(signatures) > 1 or target[-1] is not signatures[0]:
        raise SignatureError("malformed", "the Signature must be the single, last child")
    signature = signatures[0]

    signed_info = _required(signature, "SignedInfo")
    canonicalization = _algorithm(_required(signed_info, "CanonicalizationMethod"))
    if canonicalization not in _CANONICALIZATIONS:
        raise SignatureError("malformed", f"unsupported canonicalization {canonicalization!r}")
    if _algorithm(_required(signed_info, "SignatureMethod")) != RSA_SHA1:
        raise SignatureError("malformed", "SignatureMethod must be rsa-sha1")
    references = signed_info.findall(_ds("Reference"))
    if len(references) != 1 or references[0].get("URI", "") != "":
        raise SignatureError("malformed", 'SignedInfo must hold one Reference with URI=""')
    reference = references[0]
    if _algorithm(_required(reference, "DigestMethod")) != SHA1:
        raise SignatureError("malformed", "DigestMethod must be sha1")
    transforms = [_algorithm(node) for node in reference.iterfind(f"{_ds('Transforms')}/*")]
    canonical = [uri for uri in transforms if uri != ENVELOPED_SIGNATURE] or [C14N]
    if len(canonical) != 1:
        raise SignatureError("malformed", "the Reference may hold at most one c14n Transform")

    # A serialized copy keeps every namespace in scope, which inclusive c14n renders.
    unsigned = etree.fromstring(etree.tostring(operation))
    inner = _signed_child(unsigned)
    inner.remove(inner[-1])
    digest = base64.b64encode(hashlib.sha1(_canonicalize(unsigned, canonical[0])).digest())
    digest_value = _text(_required(reference, "DigestValue"))
    if digest.decode("ascii") != digest_value:
        raise SignatureError("digest", "the signed content was changed after signing")

    certificate = _certificate(signature)
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("certificate", "the certificate does not hold an RSA key")
    signature_value = _text(_required(signature, "SignatureValue"))
    value = _b64decode(signature_value, "SignatureValue")
    for signed_bytes in _signed_info_forms(signed_info, canonicalization):
        try:
            public_key.verify(value, signed_bytes, padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            continue
        return VerifiedRequest(certificate, digest_value, signature_value)
    raise SignatureError("signature", "SignatureValue does not match SignedInfo")


def _signed_info_forms(signed_info: etree._Element, algorithm: str) -> list[bytes]:
    """The canonical forms of SignedInfo a signer may have signed, the standard one first."""
    in_document = _canonicalize(signed_info, algorithm)
    alone = etree.fromstring(etree.tostring(signed_info))
    etree.cleanup_namespaces(alone)  # only the declarations SignedInfo itself uses
    standalone = etree.tostring(alone, method="c14n", exclusive=False)
    default_namespace = _in_default_namespace(signed_info)
    forms = [in_document, standalone, default_namespace]
    return list(dict.fromkeys(forms))  # distinct, in order


def _in_default_namespace(signed_info: etree._Element) -> bytes:
    """SignedInfo rewritten with xmldsig as the default namespace, then canonicalized."""

    def copy(node: etree._Element, parent: etree._Element | None) -> etree._Element:
        tag = node.tag
        attributes = {str(name): str(value) for name, value in node.attrib.items()}
        if parent is None:
            made = etree.Element(tag, attributes, nsmap={None: DSIG})  # type: ignore[dict-item]
        else:
            made = etree.SubElement(parent, tag, attributes)
        made.text = node.text
        for child in node:
            if isinstance(child.tag, str):
                copy(child, made).tail = child.tail
        return made

    return etree.tostring(copy(signed_info, None), method="c14n", exclusive=False)


def _signed_child(operation: etree._Element) -> etree._Element:
    children = [child for child in operation if isinstance(child.tag, str)]
    if len(children) != 1:
        raise SignatureError("malformed", "the operation element must hold one request element")
    return children[0]


def _required(parent: etree._Element, name: str) -> etree._Element:
    found = parent.find(_ds(name))
    if found is None:
        raise SignatureError("malformed", f"{etree.QName(parent).localname} lacks {name}")
    return found


def _algorithm(node: etree._Element) -> str:
    return node.get("Algorithm") or ""


def _text(node: etree._Element) -> str:
    return "".join((node.text or "").split())


def _canonicalize(element: etree._Element, algorithm: str) -> bytes:
    if algorithm not in _CANONICALIZATIONS:
        raise SignatureError("malformed", f"unsupported canonicalization {algorithm!r}")
    if _CANONICALIZATIONS[algorithm]:
        return exc_c14n(element)
    standalone = etree.fromstring(etree.tostring(element))
    return etree.tostring(standalone, method="c14n", exclusive=False, with_comments=False)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("malformed", f"{what} is not base64") from None


def _certificate(signature: etree._Element) -> x509.Certificate:
    node = signature.find(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}")
    if node is None:
        raise SignatureError("certificate", "KeyInfo/X509Data/X509Certificate is missing")
    try:
        return x509.load_der_x509_certificate(_b64decode(_text(node), "X509Certificate"))
    except ValueError:
        raise SignatureError("certificate", "X509Certificate is not a DER certificate") from None
