"""Loading an e.firma, its facts, FIEL/CSD detection, every CredentialError, and signing."""

from __future__ import annotations

import base64
import pickle
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

from sat_zeep.errors import CredentialError
from sat_zeep.signing._xmlsec import load_xmlsec
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.certificates import IssuedCredential, TestCertificateAuthority

RFC = "SZP200101AB1"
FIXTURE_SERIAL = int.from_bytes(b"00001000000500000001", "big")
UTC = timezone.utc
#: Distinctive, so that finding it anywhere in a message is certainly a leak.
SECRET = "Tlacuache-ñ-8472-QZX"


def efirma_files(fixture_dir: Path) -> tuple[Path, Path, str]:
    folder = fixture_dir / "efirma"
    password = (folder / "password.txt").read_text(encoding="utf-8")
    return folder / "fiel.cer", folder / "fiel.key", password


def pem_key(issued: IssuedCredential, *, encrypted: bool = True) -> bytes:
    key = serialization.load_der_private_key(
        issued.private_key_der, issued.password.encode("utf-8")
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(issued.password.encode("utf-8"))
        if encrypted
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def custom_certificate(
    key: rsa.RSAPrivateKey,
    *,
    unique_identifier: str | None,
    branch: str | None = None,
    key_usage: tuple[bool, bool] = (True, True),
    extended_key_usage: bool = True,
) -> bytes:
    """A self-signed certificate with the e.firma traits chosen by the caller."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, "PRUEBA")]
    if branch is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch))
    if unique_identifier is not None:
        attributes.append(x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, unique_identifier))
    name = x509.Name(attributes)
    data_encipherment, key_agreement = key_usage
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(12345)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2034, 1, 1, tzinfo=UTC))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=data_encipherment,
                key_agreement=key_agreement,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if extended_key_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def unencrypted_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def secret_fiel(test_ca: TestCertificateAuthority) -> IssuedCredential:
    return test_ca.issue_fiel(RFC, password=SECRET)


@pytest.fixture(scope="module")
def csd(test_ca: TestCertificateAuthority) -> IssuedCredential:
    return test_ca.issue_csd(RFC)


# -- facts of the committed fixture ---------------------------------------------------------


def test_fixture_facts(fiel: Fiel, test_ca: TestCertificateAuthority) -> None:
    assert fiel.rfc == RFC
    assert fiel.serial_number == FIXTURE_SERIAL
    assert fiel.sat_serial == "00001000000500000001"
    assert fiel.serial_hex == "3030303031303030303030353030303030303031"
    assert fiel.issuer_name == test_ca.certificate.subject.rfc4514_string()
    assert "CN=sat_zeep test CA" in fiel.issuer_name
    assert "2.5.4.45=SZP200101AB1 / " in fiel.subject_name
    assert fiel.legal_name == "SAT ZEEP PRUEBAS SA DE CV"
    assert fiel.branch_name == ""
    assert fiel.not_valid_before == datetime(2024, 1, 1, tzinfo=UTC)
    assert fiel.not_valid_after == datetime(2034, 1, 1, tzinfo=UTC)
    assert fiel.not_valid_before.utcoffset() == timedelta(0)
    assert fiel.certificate_der == fiel.certificate.public_bytes(serialization.Encoding.DER)
    assert base64.b64decode(fiel.certificate_base64) == fiel.certificate_der
    assert "\n" not in fiel.certificate_base64
    certificate_key = fiel.certificate.public_key()
    assert isinstance(certificate_key, rsa.RSAPublicKey)
    assert fiel.public_key.public_numbers() == certificate_key.public_numbers()
    assert fiel.is_fiel()


def test_repr_shows_rfc_serial_and_validity_only(fiel: Fiel) -> None:
    assert repr(fiel) == (
        "Fiel(rfc='SZP200101AB1', serial='00001000000500000001', valid=2024-01-01..2034-01-01)"
    )


def test_fiel_keeps_no_dict_and_refuses_pickling(fiel: Fiel) -> None:
    assert not hasattr(fiel, "__dict__")
    with pytest.raises(TypeError, match="private key"):
        pickle.dumps(fiel)


# -- DER and PEM inputs --------------------------------------------------------------------


def test_der_files_load(fixture_dir: Path) -> None:
    cer, key, password = efirma_files(fixture_dir)
    assert Fiel.from_files(str(cer), str(key), password).serial_number == FIXTURE_SERIAL
    assert Fiel.from_files(cer, key, password.encode()).serial_number == FIXTURE_SERIAL


def test_pem_certificate_and_encrypted_pem_key_load(secret_fiel: IssuedCredential) -> None:
    certificate_pem = secret_fiel.certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = pem_key(secret_fiel)
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = Fiel.from_bytes(certificate_pem, key_pem, SECRET)
    assert loaded.certificate_der == secret_fiel.certificate_der
    assert loaded.rfc == RFC


def test_pem_files_load(secret_fiel: IssuedCredential, tmp_path: Path) -> None:
    cer, key = tmp_path / "a.cer.pem", tmp_path / "a.key.pem"
    cer.write_bytes(secret_fiel.certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pem_key(secret_fiel))
    assert Fiel.from_files(cer, key, SECRET).serial_number == secret_fiel.serial_number


def test_password_is_utf8(secret_fiel: IssuedCredential) -> None:
    as_bytes = SECRET.encode("utf-8")
    loaded = Fiel.from_bytes(secret_fiel.certificate_der, secret_fiel.private_key_der, as_bytes)
    assert loaded.serial_number == secret_fiel.serial_number


def test_unencrypted_key_loads_with_or_without_a_password(secret_fiel: IssuedCredential) -> None:
    plain_pem = pem_key(secret_fiel, encrypted=False)
    assert plain_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    for password in ("", "ignored"):
        loaded = Fiel.from_bytes(secret_fiel.certificate_der, plain_pem, password)
        assert loaded.serial_number == secret_fiel.serial_number


def test_unencrypted_der_key_loads(rsa_key: rsa.RSAPrivateKey) -> None:
    certificate = custom_certificate(rsa_key, unique_identifier="SZP200101AB1")
    assert Fiel.from_bytes(certificate, unencrypted_der(rsa_key), "").rfc == RFC


# -- every CredentialError -----------------------------------------------------------------


def test_missing_certificate_file_is_named(tmp_path: Path, fixture_dir: Path) -> None:
    _, key, password = efirma_files(fixture_dir)
    missing = tmp_path / "nope.cer"
    with pytest.raises(CredentialError) as caught:
        Fiel.from_files(missing, key, password)
    assert (
        str(caught.value) == f"the certificate file {str(missing)!r} does not exist; check the path"
    )


def test_missing_key_file_is_named(tmp_path: Path, fixture_dir: Path) -> None:
    cer, _, password = efirma_files(fixture_dir)
    missing = tmp_path / "nope.key"
    with pytest.raises(CredentialError, match=r"private key file .*nope\.key.* does not exist"):
        Fiel.from_files(cer, missing, password)


def test_directory_instead_of_file(tmp_path: Path, fixture_dir: Path) -> None:
    _, key, password = efirma_files(fixture_dir)
    with pytest.raises(CredentialError, match="is a directory, not a file"):
        Fiel.from_files(tmp_path, key, password)


def test_bytes_that_are_not_a_certificate(secret_fiel: IssuedCredential) -> None:
    with pytest.raises(CredentialError) as caught:
        Fiel.from_bytes(b"not a certificate", secret_fiel.private_key_der, SECRET)
    assert str(caught.value) == (
        "the certificate data is not an X.509 certificate (DER or PEM); pass the .cer file"
    )
    bad_pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(CredentialError, match=r"not an X\.509 certificate"):
        Fiel.from_bytes(bad_pem, secret_fiel.private_key_der, SECRET)


def test_key_file_passed_as_certificate(fixture_dir: Path) -> None:
    cer, key, password = efirma_files(fixture_dir)
    with pytest.raises(CredentialError, match=r"fiel\.key' is not an X\.509 certificate"):
        Fiel.from_files(key, cer, password)


def test_bytes_that_are_not_a_private_key(secret_fiel: IssuedCredential) -> None:
    with pytest.raises(CredentialError) as caught:
        Fiel.from_bytes(secret_fiel.certificate_der, secret_fiel.certificate_der, SECRET)
    assert str(caught.value) == (
        "the private key data is not a private key (encrypted PKCS#8, DER or PEM); "
        "pass the .key file"
    )


def test_wrong_password(secret_fiel: IssuedCredential) -> None:
    with pytest.raises(CredentialError) as caught:
        Fiel.from_bytes(secret_fiel.certificate_der, secret_fiel.private_key_der, "wrong")
    assert str(caught.value) == (
        "the password does not open the private key; check the e.firma password"
    )


def test_wrong_password_on_pem_key(secret_fiel: IssuedCredential) -> None:
    with pytest.raises(CredentialError, match="the password does not open the private key"):
        Fiel.from_bytes(secret_fiel.certificate_der, pem_key(secret_fiel), "wrong")


def test_encrypted_key_without_password(secret_fiel: IssuedCredential) -> None:
    with pytest.raises(CredentialError, match="encrypted and no password was given"):
        Fiel.from_bytes(secret_fiel.certificate_der, secret_fiel.private_key_der, "")


def test_key_of_another_certificate(fiel: Fiel, secret_fiel: IssuedCredential) -> None:
    with pytest.raises(CredentialError) as caught:
        Fiel.from_bytes(fiel.certificate_der, secret_fiel.private_key_der, SECRET)
    assert "the private key does not match the certificate" in str(caught.value)
    assert "pass the .key file that belongs to this .cer" in str(caught.value)


def test_non_rsa_key(secret_fiel: IssuedCredential) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(CredentialError, match="is not an RSA private key"):
        Fiel.from_bytes(secret_fiel.certificate_der, der, "")


def test_certificate_without_rfc(rsa_key: rsa.RSAPrivateKey) -> None:
    certificate = custom_certificate(rsa_key, unique_identifier=None)
    with pytest.raises(CredentialError, match=r"names no RFC .*2\.5\.4\.45"):
        Fiel.from_bytes(certificate, unencrypted_der(rsa_key), "")


def test_csd_is_not_usable(csd: IssuedCredential) -> None:
    loaded = csd.fiel()
    assert not loaded.is_fiel()
    assert loaded.branch_name == "Sucursal 1"
    assert loaded.is_valid_at(datetime.now(UTC))
    with pytest.raises(CredentialError, match="is a CSD") as caught:
        loaded.check_usable(datetime.now(UTC))
    assert "e.firma (FIEL)" in str(caught.value)


def test_expired(test_ca: TestCertificateAuthority) -> None:
    expired = test_ca.issue_fiel(RFC, expired=True).fiel()
    now = datetime.now(UTC)
    assert not expired.is_valid_at(now)
    with pytest.raises(CredentialError, match="expired on") as caught:
        expired.check_usable(now)
    assert expired.not_valid_after.strftime("%Y-%m-%d %H:%M:%S UTC") in str(caught.value)


def test_fixture_expires_in_2034(fiel: Fiel) -> None:
    fiel.check_usable(datetime(2030, 6, 1, tzinfo=UTC))
    fiel.check_usable(datetime(2034, 1, 1, tzinfo=UTC))
    with pytest.raises(CredentialError) as caught:
        fiel.check_usable(datetime(2035, 1, 1, tzinfo=UTC))
    assert str(caught.value) == (
        "the e.firma of SZP200101AB1 expired on 2034-01-01 00:00:00 UTC; renew it with SAT "
        "and load the new .cer/.key"
    )


def test_not_yet_valid(test_ca: TestCertificateAuthority, fiel: Fiel) -> None:
    future = test_ca.issue_fiel(RFC, not_yet_valid=True).fiel()
    with pytest.raises(CredentialError, match=r"is not valid until .*check this machine's clock"):
        future.check_usable(datetime.now(UTC))
    with pytest.raises(CredentialError, match="not valid until 2024-01-01 00:00:00 UTC"):
        fiel.check_usable(datetime(2023, 12, 31, 23, 59, tzinfo=UTC))


def test_validity_bounds_and_timezones(fiel: Fiel) -> None:
    mexico = timezone(timedelta(hours=-6))
    assert fiel.is_valid_at(datetime(2024, 1, 1, tzinfo=UTC))
    assert not fiel.is_valid_at(datetime(2023, 12, 31, 17, 59, tzinfo=mexico))
    assert fiel.is_valid_at(datetime(2023, 12, 31, 18, 0, tzinfo=mexico))
    with pytest.raises(ValueError, match="timezone-aware"):
        fiel.is_valid_at(datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        fiel.check_usable(datetime(2030, 1, 1))


# -- the password never leaks ----------------------------------------------------------------


def leak_text(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


def test_password_never_appears(
    secret_fiel: IssuedCredential, fiel: Fiel, test_ca: TestCertificateAuthority, tmp_path: Path
) -> None:
    other = test_ca.issue_fiel(RFC, password=SECRET + "-other")
    failures: list[CredentialError] = []
    attempts: list[Callable[[], Fiel]] = [
        # wrong password: the given one is the secret
        lambda: Fiel.from_bytes(other.certificate_der, other.private_key_der, SECRET),
        lambda: Fiel.from_bytes(secret_fiel.certificate_der, pem_key(secret_fiel), SECRET + "x"),
        lambda: Fiel.from_bytes(b"junk", secret_fiel.private_key_der, SECRET),
        lambda: Fiel.from_bytes(secret_fiel.certificate_der, b"junk", SECRET),
        lambda: Fiel.from_bytes(fiel.certificate_der, secret_fiel.private_key_der, SECRET),
        lambda: Fiel.from_files(tmp_path / "x.cer", tmp_path / "x.key", SECRET),
        lambda: Fiel.from_files(tmp_path, tmp_path, SECRET.encode()),
    ]
    for attempt in attempts:
        with pytest.raises(CredentialError) as caught:
            attempt()
        failures.append(caught.value)
    for error in failures:
        assert error.__cause__ is None
        assert error.__context__ is None
        text = leak_text(error)
        assert SECRET not in text
        assert SECRET.encode("utf-8").hex() not in text
    loaded = secret_fiel.fiel()
    assert SECRET not in repr(loaded)
    assert SECRET not in repr(secret_fiel)
    for slot in type(loaded).__slots__:
        value = getattr(loaded, slot)
        assert not isinstance(value, (str, bytes)) or SECRET not in str(value)


# -- FIEL versus CSD -------------------------------------------------------------------------


def test_fixture_csd_is_detected(fixture_dir: Path) -> None:
    folder = fixture_dir / "efirma"
    password = (folder / "password.txt").read_text(encoding="utf-8")
    loaded = Fiel.from_files(folder / "csd.cer", folder / "csd.key", password)
    assert loaded.rfc == RFC
    assert not loaded.is_fiel()
    with pytest.raises(CredentialError, match="CSD"):
        loaded.check_usable(datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("branch", "key_usage", "extended", "expected"),
    [
        (None, (True, True), True, True),  # the e.firma profile
        (None, (True, False), False, True),  # some FIEL-only usage is enough
        ("Sucursal 1", (True, True), True, False),  # an OU alone marks a CSD
        (None, (False, False), False, False),  # seal-only usages and no EKU: a CSD
        (None, (False, False), True, True),  # seal-only usages but an EKU: not a CSD profile
    ],
)
def test_fiel_or_csd_rule(
    rsa_key: rsa.RSAPrivateKey,
    branch: str | None,
    key_usage: tuple[bool, bool],
    extended: bool,
    expected: bool,
) -> None:
    certificate = custom_certificate(
        rsa_key,
        unique_identifier="SZP200101AB1 / REPR800101AB1",
        branch=branch,
        key_usage=key_usage,
        extended_key_usage=extended,
    )
    assert Fiel.from_bytes(certificate, unencrypted_der(rsa_key), "").is_fiel() is expected


@pytest.mark.parametrize(
    ("unique_identifier", "rfc"),
    [
        ("SZP200101AB1 / REPR800101AB1", "SZP200101AB1"),
        (" szpa800101ab1 / SZPA800101HDFXXX09", "SZPA800101AB1"),
        ("SZP200101AB1", "SZP200101AB1"),
    ],
)
def test_rfc_is_the_first_token(
    rsa_key: rsa.RSAPrivateKey, unique_identifier: str, rfc: str
) -> None:
    certificate = custom_certificate(rsa_key, unique_identifier=unique_identifier)
    assert Fiel.from_bytes(certificate, unencrypted_der(rsa_key), "").rfc == rfc


# -- signing --------------------------------------------------------------------------------


def test_sign_sha1_verifies_with_public_key(fiel: Fiel) -> None:
    data = b"<SignedInfo>datos</SignedInfo>"
    signature = fiel.sign_sha1(data)
    assert len(signature) == 256
    assert signature == fiel.sign_sha1(data)  # PKCS#1 v1.5 is deterministic
    fiel.public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA1())
    certificate_key = fiel.certificate.public_key()
    assert isinstance(certificate_key, rsa.RSAPublicKey)
    certificate_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA1())


def test_sign_sha256_verifies(fiel: Fiel) -> None:
    signature = fiel.sign_sha256(b"datos")
    fiel.public_key.verify(signature, b"datos", padding.PKCS1v15(), hashes.SHA256())


def test_xmlsec_key_signs_and_is_cached(fiel: Fiel, fixture_dir: Path) -> None:
    xmlsec = load_xmlsec()
    key = fiel.xmlsec_key()
    assert fiel.xmlsec_key() is key
    document = etree.fromstring(b'<root><data Id="d1">hola</data></root>')
    signature = xmlsec.template.create(
        document, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha1
    )
    document.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha1, uri="#d1")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    xmlsec.template.add_x509_data(key_info)
    context = xmlsec.SignatureContext()
    context.register_id(document[0], "Id")
    context.key = key
    context.sign(signature)

    certificate_text = document.findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    assert base64.b64decode(certificate_text or "") == fiel.certificate_der

    checker = xmlsec.SignatureContext()
    checker.register_id(document[0], "Id")
    checker.key = xmlsec.Key.from_file(
        str(fixture_dir / "efirma" / "fiel.cer"), xmlsec.constants.KeyDataFormatCertDer
    )
    checker.verify(signature)
