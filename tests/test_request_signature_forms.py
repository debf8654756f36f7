"""The request verifier: every way a signature is refused says which rule, and every signed form
SAT accepts from other clients verifies.

The reason decides SAT's answer (``certificate`` is 305 Certificado Inválido, the rest 302 Sello Mal
Formado) and the message tells the developer what to fix, so both are asserted.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Callable

import pytest
from lxml import etree

from sat_zeep.errors import SignatureError
from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import (
    C14N,
    DESCARGA_MASIVA,
    DSIG,
    ENVELOPED_SIGNATURE,
    EXC_C14N,
    SHA1,
)
from sat_zeep.signing.request_signature import sign_request, verify_request

DES = f"{{{DESCARGA_MASIVA}}}"
DS = f"{{{DSIG}}}"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
SOLICITUD = f'<des:solicitud IdSolicitud="{ID_SOLICITUD}" RfcSolicitante="SZP200101AB1"/>'


def operation_element(solicitud: str = SOLICITUD) -> etree._Element:
    envelope = etree.fromstring(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:des="{DESCARGA_MASIVA}"><s:Header/><s:Body><des:VerificaSolicitudDescarga>'
        f"{solicitud}</des:VerificaSolicitudDescarga></s:Body></s:Envelope>"
    )
    return envelope[1][0]


def signed(fiel: Fiel) -> tuple[etree._Element, etree._Element]:
    operation = operation_element()
    return operation, sign_request(operation, fiel)


def node(signature: etree._Element, path: str) -> etree._Element:
    found = signature.find(path.replace("ds:", DS))
    assert found is not None, path
    return found


def refusal(operation: etree._Element) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    return caught.value


# -- what sign_request writes ------------------------------------------------------------------


def test_signed_info_has_the_shape_sat_expects(fiel: Fiel) -> None:
    """SAT checks the algorithms by element: a misnamed Transform is not an exc-c14n transform."""
    _, signature = signed(fiel)
    signed_info = node(signature, "ds:SignedInfo")
    shape = [
        (etree.QName(element).localname, element.get("Algorithm"), element.get("URI"))
        for element in signed_info.iter()
    ]
    assert shape == [
        ("SignedInfo", None, None),
        ("CanonicalizationMethod", EXC_C14N, None),
        ("SignatureMethod", RSA_SHA1, None),
        ("Reference", None, ""),
        ("Transforms", None, None),
        ("Transform", EXC_C14N, None),
        ("DigestMethod", SHA1, None),
        ("DigestValue", None, None),
    ]


def test_the_verified_result_cannot_be_altered(fiel: Fiel) -> None:
    """Whoever holds the result of a check holds what was checked: it is immutable."""
    operation, _ = signed(fiel)
    verified = verify_request(operation)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verified.digest_value = "forged"  # type: ignore[misc]


# -- refusals: reason and message ----------------------------------------------------------------


def _second_signature(operation: etree._Element, signature: etree._Element) -> None:
    operation[0].insert(0, etree.fromstring(etree.tostring(signature)))


def _drop(path: str) -> Callable[[etree._Element, etree._Element], None]:
    def change(operation: etree._Element, signature: etree._Element) -> None:
        found = node(signature, path)
        parent = found.getparent()
        assert parent is not None
        parent.remove(found)

    return change


def _set(path: str, attribute: str, value: str) -> Callable[[etree._Element, etree._Element], None]:
    def change(operation: etree._Element, signature: etree._Element) -> None:
        node(signature, path).set(attribute, value)

    return change


def _unset(path: str, attribute: str) -> Callable[[etree._Element, etree._Element], None]:
    def change(operation: etree._Element, signature: etree._Element) -> None:
        del node(signature, path).attrib[attribute]

    return change


def _text(path: str, text: str) -> Callable[[etree._Element, etree._Element], None]:
    def change(operation: etree._Element, signature: etree._Element) -> None:
        node(signature, path).text = text

    return change


def _second_request_element(operation: etree._Element, signature: etree._Element) -> None:
    etree.SubElement(operation, f"{DES}solicitud")


def _tamper_content(operation: etree._Element, signature: etree._Element) -> None:
    operation[0].set("RfcSolicitante", "XAXX010101000")


CERTIFICATE = "ds:KeyInfo/ds:X509Data/ds:X509Certificate"
REFUSALS = {
    "two Signatures": (
        _second_signature,
        "malformed",
        "the Signature must be the single, last child",
    ),
    "two request elements": (
        _second_request_element,
        "malformed",
        "the operation element must hold one request element",
    ),
    "no SignedInfo": (_drop("ds:SignedInfo"), "malformed", "Signature lacks SignedInfo"),
    "no DigestValue": (
        _drop("ds:SignedInfo/ds:Reference/ds:DigestValue"),
        "malformed",
        "Reference lacks DigestValue",
    ),
    "canonicalization without Algorithm": (
        _unset("ds:SignedInfo/ds:CanonicalizationMethod", "Algorithm"),
        "malformed",
        "unsupported canonicalization ''",
    ),
    "unknown canonicalization": (
        _set("ds:SignedInfo/ds:CanonicalizationMethod", "Algorithm", "urn:c14n-2"),
        "malformed",
        "unsupported canonicalization 'urn:c14n-2'",
    ),
    "unknown Transform": (
        _set("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform", "Algorithm", "urn:xpath"),
        "malformed",
        "unsupported canonicalization 'urn:xpath'",
    ),
    "rsa-sha256": (
        _set(
            "ds:SignedInfo/ds:SignatureMethod",
            "Algorithm",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        ),
        "malformed",
        "SignatureMethod must be rsa-sha1",
    ),
    "Reference to an Id": (
        _set("ds:SignedInfo/ds:Reference", "URI", "#_0"),
        "malformed",
        'SignedInfo must hold one Reference with URI=""',
    ),
    "sha256 digest": (
        _set(
            "ds:SignedInfo/ds:Reference/ds:DigestMethod",
            "Algorithm",
            "http://www.w3.org/2001/04/xmlenc#sha256",
        ),
        "malformed",
        "DigestMethod must be sha1",
    ),
    "content changed": (
        _tamper_content,
        "digest",
        "the signed content was changed after signing",
    ),
    "SignatureValue of other bytes": (
        _text("ds:SignatureValue", base64.b64encode(b"\0" * 256).decode()),
        "signature",
        "SignatureValue does not match SignedInfo",
    ),
    "no certificate": (
        _drop(CERTIFICATE),
        "certificate",
        "KeyInfo/X509Data/X509Certificate is missing",
    ),
    "certificate not base64": (
        _text(CERTIFICATE, "MIIB*not-base64"),
        "malformed",
        "X509Certificate is not base64",
    ),
    "certificate not DER": (
        _text(CERTIFICATE, base64.b64encode(b"not a certificate").decode()),
        "certificate",
        "X509Certificate is not a DER certificate",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_names_the_rule_broken(fiel: Fiel, case: str) -> None:
    change, reason, message = REFUSALS[case]
    operation, signature = signed(fiel)
    change(operation, signature)
    error = refusal(operation)
    assert error.reason == reason
    assert str(error) == f"request signature rejected ({reason}): {message}"


def test_a_missing_signature_names_the_request_element() -> None:
    error = refusal(operation_element())
    assert error.reason == "missing"
    assert str(error) == "request signature rejected (missing): no Signature inside solicitud"


# -- forms other clients sign, which SAT accepts ---------------------------------------------------


def _resign(signature: etree._Element, fiel: Fiel, signed_bytes: bytes) -> None:
    node(signature, "ds:SignatureValue").text = base64.b64encode(
        fiel.sign_sha1(signed_bytes)
    ).decode()


def test_a_reference_without_uri_verifies(fiel: Fiel) -> None:
    """XML-DSig lets a signer omit ``URI`` for the whole document; SAT takes it as ``URI=""``."""
    operation, signature = signed(fiel)
    signed_info = node(signature, "ds:SignedInfo")
    del node(signed_info, "ds:Reference").attrib["URI"]
    _resign(signature, fiel, etree.tostring(signed_info, method="c14n", exclusive=True))
    assert verify_request(operation).certificate.serial_number == fiel.serial_number


def _sats_sample_form(operation: etree._Element, signature: etree._Element) -> etree._Element:
    """Inclusive c14n and the enveloped-signature transform, the digest recomputed for them."""
    signed_info = node(signature, "ds:SignedInfo")
    node(signed_info, "ds:CanonicalizationMethod").set("Algorithm", C14N)
    node(signed_info, "ds:Reference/ds:Transforms/ds:Transform").set(
        "Algorithm", ENVELOPED_SIGNATURE
    )
    bare = etree.fromstring(etree.tostring(operation))
    bare[0].remove(bare[0][-1])
    digest = hashlib.sha1(etree.tostring(bare, method="c14n")).digest()
    node(signed_info, "ds:Reference/ds:DigestValue").text = base64.b64encode(digest).decode()
    return signed_info


def test_sample_form_signed_over_signed_info_alone_verifies(fiel: Fiel) -> None:
    """A signer that canonicalized SignedInfo before placing it in the envelope signed it without
    the envelope's namespaces; its signature verifies though the in-document form differs."""
    operation, signature = signed(fiel)
    signed_info = _sats_sample_form(operation, signature)
    alone = etree.fromstring(etree.tostring(signed_info))
    etree.cleanup_namespaces(alone)
    alone_form = etree.tostring(alone, method="c14n")
    assert alone_form != etree.tostring(
        etree.fromstring(etree.tostring(signed_info)), method="c14n"
    )
    _resign(signature, fiel, alone_form)
    assert verify_request(operation).certificate.serial_number == fiel.serial_number


def _rewritten(fiel: Fiel, signature_xml: Callable[[str, str], str]) -> etree._Element:
    """The operation with its Signature written as ``signature_xml(digest, key_info)`` on the
    wire (SignatureValue left empty), so each namespace declaration sits where a peer put it."""
    _, signature = signed(fiel)
    digest = node(signature, "ds:SignedInfo/ds:Reference/ds:DigestValue").text or ""
    key_info = etree.tostring(node(signature, "ds:KeyInfo"), encoding="unicode")
    solicitud = SOLICITUD.replace("/>", f">{signature_xml(digest, key_info)}</des:solicitud>")
    return operation_element(solicitud)


def _set_signature_value(operation: etree._Element, fiel: Fiel, signed_bytes: bytes) -> None:
    value = operation[0][-1].find(f"{DS}SignatureValue")
    assert value is not None
    value.text = base64.b64encode(fiel.sign_sha1(signed_bytes)).decode()


def test_signed_info_alone_with_a_namespace_its_children_use_verifies(fiel: Fiel) -> None:
    """A signer declaring ``ec:`` on SignedInfo for an InclusiveNamespaces child signed the
    inclusive c14n of SignedInfo alone, which keeps that declaration where it was written."""
    signed_info = (
        f'<SignedInfo xmlns="{DSIG}" xmlns:ec="{EXC_C14N}">'
        f'<CanonicalizationMethod Algorithm="{EXC_C14N}"/><SignatureMethod Algorithm="{RSA_SHA1}"/>'
        f'<Reference URI=""><Transforms><Transform Algorithm="{EXC_C14N}">'
        '<ec:InclusiveNamespaces PrefixList="des"/></Transform></Transforms>'
        f'<DigestMethod Algorithm="{SHA1}"/><DigestValue>{{digest}}</DigestValue></Reference>'
        "</SignedInfo>"
    )
    operation = _rewritten(
        fiel,
        lambda digest, key_info: (
            f'<Signature xmlns="{DSIG}">{signed_info.format(digest=digest)}'
            f"<SignatureValue/>{key_info}</Signature>"
        ),
    )
    digest = operation[0][-1].findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue") or ""
    alone = etree.tostring(etree.fromstring(signed_info.format(digest=digest)), method="c14n")
    on_the_wire = operation[0][-1].find(f"{DS}SignedInfo")
    assert on_the_wire is not None
    assert etree.tostring(on_the_wire, method="c14n", exclusive=True) != alone
    _set_signature_value(operation, fiel, alone)
    assert verify_request(operation).certificate.serial_number == fiel.serial_number


SIGNED_INFO = """<{p}SignedInfo{declaration}>
  <{p}CanonicalizationMethod Algorithm="{exc}"/>
  <{p}SignatureMethod Algorithm="{rsa}"/>
  <{p}Reference URI="">
    <{p}Transforms>
      <{p}Transform Algorithm="{exc}"/>
    </{p}Transforms>
    <{p}DigestMethod Algorithm="{sha1}"/>
    <{p}DigestValue>{digest}</{p}DigestValue>
  </{p}Reference>
</{p}SignedInfo>"""


def _signed_info(prefix: str, digest: str, declaration: str = "") -> str:
    return SIGNED_INFO.format(
        p=f"{prefix}:" if prefix else "",
        declaration=declaration,
        exc=EXC_C14N,
        rsa=RSA_SHA1,
        sha1=SHA1,
        digest=digest,
    )


def test_ds_prefixed_signature_signed_in_the_default_namespace_verifies(fiel: Fiel) -> None:
    """A peer writes ``ds:`` prefixes and indents SignedInfo on the wire, but computed the
    SignatureValue over SignedInfo in xmldsig's default namespace, indentation included."""
    operation = _rewritten(
        fiel,
        lambda digest, key_info: (
            f'<ds:Signature xmlns:ds="{DSIG}">{_signed_info("ds", digest)}'
            f"<ds:SignatureValue/>{key_info}</ds:Signature>"
        ),
    )
    on_the_wire = operation[0][-1].find(f"{DS}SignedInfo")
    assert on_the_wire is not None and on_the_wire.prefix == "ds"
    digest = on_the_wire.findtext(f"{DS}Reference/{DS}DigestValue") or ""
    default_form = etree.tostring(
        etree.fromstring(_signed_info("", digest, f' xmlns="{DSIG}"')), method="c14n"
    )
    _set_signature_value(operation, fiel, default_form)
    assert verify_request(operation).certificate.serial_number == fiel.serial_number

    # The same bytes without the indentation are not what the peer signed.
    _set_signature_value(operation, fiel, default_form.replace(b"\n", b"").replace(b"  ", b""))
    assert refusal(operation).reason == "signature"


def test_a_comment_added_in_transit_leaves_a_sample_form_digest_intact(fiel: Fiel) -> None:
    """c14n 1.0 (the URI SAT's samples name) drops comments: a comment added by an intermediary
    changes neither the digest nor the verdict."""
    operation, signature = signed(fiel)
    signed_info = _sats_sample_form(operation, signature)
    _resign(
        signature,
        fiel,
        etree.tostring(etree.fromstring(etree.tostring(signed_info)), method="c14n"),
    )
    operation[0].insert(0, etree.Comment(" relayed by proxy-7 "))
    assert verify_request(operation).certificate.serial_number == fiel.serial_number
