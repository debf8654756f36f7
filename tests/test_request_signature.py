from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from sat_zeep.errors import SignatureError
from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import C14N, DESCARGA_MASIVA, DSIG, ENVELOPED_SIGNATURE
from sat_zeep.signing.request_signature import sign_request, verify_request

from .independent import recompute

DES = f"{{{DESCARGA_MASIVA}}}"
DS = f"{{{DSIG}}}"


def verifica_operation() -> etree._Element:
    envelope = etree.fromstring(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:des="{DESCARGA_MASIVA}"><s:Header/><s:Body><des:VerificaSolicitudDescarga>'
        '<des:solicitud IdSolicitud="2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10" '
        'RfcSolicitante="SZP200101AB1"/></des:VerificaSolicitudDescarga></s:Body></s:Envelope>'
    )
    return envelope[1][0]


def test_signature_is_last_child_and_covers_the_operation(fiel: Fiel) -> None:
    operation = verifica_operation()
    sign_request(operation, fiel)
    solicitud = operation[0]
    assert solicitud[-1].tag == f"{DS}Signature"
    assert solicitud[-1].nsmap[None] == DSIG

    verified = verify_request(operation)
    assert verified.certificate.serial_number == fiel.serial_number
    assert recompute(operation).serial_number == fiel.serial_number


def test_digest_is_sha1_of_exclusive_c14n_of_the_bare_operation(fiel: Fiel) -> None:
    operation = verifica_operation()
    expected = base64.b64encode(
        hashlib.sha1(
            f'<des:VerificaSolicitudDescarga xmlns:des="{DESCARGA_MASIVA}">'
            '<des:solicitud IdSolicitud="2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10" '
            'RfcSolicitante="SZP200101AB1"></des:solicitud></des:VerificaSolicitudDescarga>'.encode()
        ).digest()
    ).decode()
    signature = sign_request(operation, fiel)
    assert signature.findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue") == expected


def test_key_info_names_issuer_and_decimal_serial(fiel: Fiel) -> None:
    signature = sign_request(verifica_operation(), fiel)
    serial = signature.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509IssuerSerial")
    assert serial is not None
    assert serial.findtext(f"{DS}X509IssuerName") == fiel.issuer_name
    assert serial.findtext(f"{DS}X509SerialNumber") == str(fiel.serial_number)
    certificate = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert certificate == base64.b64encode(fiel.certificate_der).decode()


def test_signing_is_deterministic(fiel: Fiel) -> None:
    first, second = verifica_operation(), verifica_operation()
    sign_request(first, fiel)
    sign_request(second, fiel)
    assert etree.tostring(first) == etree.tostring(second)


def test_tampered_attribute_is_a_digest_failure(fiel: Fiel) -> None:
    operation = verifica_operation()
    sign_request(operation, fiel)
    operation[0].set("IdSolicitud", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert caught.value.reason == "digest"


def test_tampered_signed_info_is_a_signature_failure(fiel: Fiel) -> None:
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None
    reference.set("Id", "changed")
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert caught.value.reason == "signature"


def test_signature_by_another_key_fails(fiel: Fiel, fresh_fiel: Fiel) -> None:
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    node = signature.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert node is not None
    node.text = fresh_fiel.certificate_base64
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert caught.value.reason == "signature"


def test_missing_signature() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_request(verifica_operation())
    assert caught.value.reason == "missing"


@pytest.mark.parametrize(
    ("path", "attribute", "value"),
    [
        (f"{DS}SignedInfo/{DS}SignatureMethod", "Algorithm", "urn:rsa-md5"),
        (f"{DS}SignedInfo/{DS}Reference/{DS}DigestMethod", "Algorithm", "urn:md5"),
        (f"{DS}SignedInfo/{DS}Reference", "URI", "#elsewhere"),
        (f"{DS}SignedInfo/{DS}CanonicalizationMethod", "Algorithm", "urn:unknown-c14n"),
    ],
)
def test_unsupported_algorithms_are_malformed(
    fiel: Fiel, path: str, attribute: str, value: str
) -> None:
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    node = signature.find(path)
    assert node is not None
    node.set(attribute, value)
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert caught.value.reason == "malformed"


def test_signature_not_last_is_malformed(fiel: Fiel) -> None:
    operation = verifica_operation()
    sign_request(operation, fiel)
    etree.SubElement(operation[0], f"{DES}Extra")
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert caught.value.reason == "malformed"


def test_form_of_sats_own_samples_is_accepted(fiel: Fiel) -> None:
    """Inclusive c14n with the enveloped-signature transform, as in SAT's documents."""
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    signed_info = signature.find(f"{DS}SignedInfo")
    assert signed_info is not None
    method = signed_info.find(f"{DS}CanonicalizationMethod")
    transforms = signed_info.find(f"{DS}Reference/{DS}Transforms")
    assert method is not None and transforms is not None
    method.set("Algorithm", C14N)
    transforms[0].set("Algorithm", ENVELOPED_SIGNATURE)
    etree.SubElement(transforms, f"{DS}Transform", Algorithm=C14N)
    bare = etree.fromstring(etree.tostring(operation))
    bare[0].remove(bare[0][-1])
    digest = hashlib.sha1(etree.tostring(bare, method="c14n")).digest()
    digest_node = signed_info.find(f"{DS}Reference/{DS}DigestValue")
    assert digest_node is not None
    digest_node.text = base64.b64encode(digest).decode()
    standalone = etree.fromstring(etree.tostring(signed_info))
    value = fiel.sign_sha1(etree.tostring(standalone, method="c14n"))
    value_node = signature.find(f"{DS}SignatureValue")
    assert value_node is not None
    value_node.text = base64.b64encode(value).decode()

    assert verify_request(operation).certificate.serial_number == fiel.serial_number
    fiel.public_key.verify(
        value, etree.tostring(standalone, method="c14n"), padding.PKCS1v15(), hashes.SHA1()
    )


def test_a_reference_with_two_c14n_transforms_is_malformed(fiel: Fiel) -> None:
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    transforms = signature.find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms")
    assert transforms is not None
    etree.SubElement(transforms, f"{DS}Transform", Algorithm=transforms[0].get("Algorithm", ""))
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert str(caught.value) == (
        "request signature rejected (malformed): the Reference may hold at most one c14n Transform"
    )


def test_a_certificate_without_an_rsa_key_is_refused(fiel: Fiel) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EC")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    node = signature.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert node is not None
    node.text = base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert str(caught.value) == (
        "request signature rejected (certificate): the certificate does not hold an RSA key"
    )


def test_a_signature_value_with_non_base64_characters_is_malformed(fiel: Fiel) -> None:
    """Lenient base64 would drop the ``*`` and accept the signature; strict base64 refuses it."""
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    node = signature.find(f"{DS}SignatureValue")
    assert node is not None and node.text
    node.text = node.text[:10] + "*" + node.text[10:]
    with pytest.raises(SignatureError) as caught:
        verify_request(operation)
    assert (
        str(caught.value) == "request signature rejected (malformed): SignatureValue is not base64"
    )


def wrapped(text: str) -> str:
    return "\n      " + "\n      ".join(text[i : i + 16] for i in range(0, len(text), 16))


def test_digest_and_signature_values_wrapped_over_lines_verify(fiel: Fiel) -> None:
    """SAT's samples wrap base64 text over indented lines; the whitespace is not part of it."""
    operation = verifica_operation()
    signature = sign_request(operation, fiel)
    digest = signature.find(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue")
    signed_info = signature.find(f"{DS}SignedInfo")
    value = signature.find(f"{DS}SignatureValue")
    assert digest is not None and digest.text and signed_info is not None and value is not None
    digest_value = digest.text
    digest.text = wrapped(digest_value)
    # The wrapped DigestValue is part of SignedInfo: sign SignedInfo again, as SAT's signer did.
    signed = fiel.sign_sha1(etree.tostring(signed_info, method="c14n", exclusive=True))
    value.text = wrapped(base64.b64encode(signed).decode())
    verified = verify_request(operation)
    assert verified.digest_value == digest_value
