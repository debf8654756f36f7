"""The test CA: SAT-shaped FIEL and CSD certificates, serials, files, and the committed fixture."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

import sat_zeep.testing
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.certificates import (
    IssuedCredential,
    TestCertificateAuthority,
    ascii_digit_serial,
    verify_issued_by,
)

UTC = timezone.utc
COMPANY_RFC = "SZP200101AB1"
PERSON_RFC = "SZPA800101AB1"
#: The PBES2 object identifier (1.2.840.113549.1.5.13) as DER: encrypted PKCS#8 starts with it.
PBES2_DER = bytes.fromhex("06092a864886f70d01050d")


def subject_value(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    attributes = certificate.subject.get_attributes_for_oid(oid)
    assert len(attributes) == 1, oid
    value = attributes[0].value
    assert isinstance(value, str)
    return value


def is_ascii_digit_serial(serial: int) -> bool:
    raw = serial.to_bytes(20, "big")
    return raw.isdigit() and len(raw.lstrip(b"\0")) == 20


@pytest.fixture(scope="module")
def ca() -> TestCertificateAuthority:
    return TestCertificateAuthority.create("unit test CA", key_size=2048)


@pytest.fixture(scope="module")
def company_fiel(ca: TestCertificateAuthority) -> IssuedCredential:
    return ca.issue_fiel(COMPANY_RFC, name="EMPRESA DE PRUEBA SA DE CV")


@pytest.fixture(scope="module")
def company_csd(ca: TestCertificateAuthority) -> IssuedCredential:
    return ca.issue_csd(COMPANY_RFC, name="EMPRESA DE PRUEBA SA DE CV", branch="Matriz")


def test_pytest_does_not_collect_the_ca() -> None:
    assert TestCertificateAuthority.__test__ is False


def test_testing_package_exports() -> None:
    assert sat_zeep.testing.TestCertificateAuthority is TestCertificateAuthority
    assert sat_zeep.testing.IssuedCredential is IssuedCredential


# -- the CA ---------------------------------------------------------------------------------


def test_ca_certificate(ca: TestCertificateAuthority) -> None:
    certificate = ca.certificate
    assert subject_value(certificate, NameOID.COMMON_NAME) == "unit test CA"
    assert certificate.issuer == certificate.subject
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert ca.certificate_der == certificate.public_bytes(serialization.Encoding.DER)
    assert ca.certificate_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert is_ascii_digit_serial(certificate.serial_number)


def test_ca_validity_and_key_size_are_configurable() -> None:
    start, end = datetime(2021, 5, 1, tzinfo=UTC), datetime(2031, 5, 1, tzinfo=UTC)
    small = TestCertificateAuthority.create(not_before=start, not_after=end, key_size=1024)
    assert small.certificate.not_valid_before_utc == start
    assert small.certificate.not_valid_after_utc == end
    public = small.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 1024
    assert "CN=sat_zeep test CA" in small.certificate.subject.rfc4514_string()


def test_ca_save_load_round_trip(ca: TestCertificateAuthority, tmp_path: Path) -> None:
    cer, pem, key = ca.save(tmp_path)
    assert [path.name for path in (cer, pem, key)] == ["ca.cer", "ca.pem", "ca.key"]
    assert cer.read_bytes() == ca.certificate_der
    assert pem.read_bytes() == ca.certificate_pem
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # unencrypted PKCS#8

    loaded = TestCertificateAuthority.load(tmp_path)
    assert loaded.certificate_der == ca.certificate_der
    issued = loaded.issue_fiel(COMPANY_RFC, key_size=1024)
    assert verify_issued_by(issued.certificate_der, ca.certificate)

    cer.unlink()  # the PEM copy is enough
    assert TestCertificateAuthority.load(tmp_path).certificate_der == ca.certificate_der


# -- what it issues -------------------------------------------------------------------------


def test_fiel_shape(ca: TestCertificateAuthority, company_fiel: IssuedCredential) -> None:
    certificate = company_fiel.certificate
    assert company_fiel.kind == "FIEL"
    assert company_fiel.rfc == COMPANY_RFC
    assert certificate.issuer == ca.certificate.subject
    assert subject_value(certificate, NameOID.COMMON_NAME) == "EMPRESA DE PRUEBA SA DE CV"
    assert subject_value(certificate, NameOID.ORGANIZATION_NAME) == "EMPRESA DE PRUEBA SA DE CV"
    assert subject_value(certificate, NameOID.COUNTRY_NAME) == "MX"
    unique = subject_value(certificate, NameOID.X500_UNIQUE_IDENTIFIER)
    assert unique == "SZP200101AB1 / REPR800101AB1"  # company: RFC / representative's RFC
    assert subject_value(certificate, NameOID.SERIAL_NUMBER) == " / REPR800101HDFXXX09"
    assert subject_value(certificate, NameOID.EMAIL_ADDRESS) == "pruebas@example.com"
    assert not certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)

    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (
        usage.digital_signature,
        usage.content_commitment,
        usage.data_encipherment,
        usage.key_agreement,
        usage.key_encipherment,
        usage.key_cert_sign,
    ) == (True, True, True, True, False, False)
    extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert company_fiel.fiel().is_fiel()


def test_csd_shape(company_csd: IssuedCredential) -> None:
    certificate = company_csd.certificate
    assert company_csd.kind == "CSD"
    assert subject_value(certificate, NameOID.ORGANIZATIONAL_UNIT_NAME) == "Matriz"
    assert subject_value(certificate, NameOID.X500_UNIQUE_IDENTIFIER).startswith(COMPANY_RFC)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (
        usage.digital_signature,
        usage.content_commitment,
        usage.data_encipherment,
        usage.key_agreement,
        usage.key_encipherment,
    ) == (True, True, False, False, False)
    with pytest.raises(x509.ExtensionNotFound):
        certificate.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    loaded = company_csd.fiel()
    assert loaded.rfc == COMPANY_RFC
    assert not loaded.is_fiel()


def test_person_subject(ca: TestCertificateAuthority) -> None:
    issued = ca.issue_fiel(
        PERSON_RFC.lower(), name="PERSONA DE PRUEBA", curp="SZPA800101HDFRRN09", key_size=1024
    )
    assert issued.rfc == PERSON_RFC
    certificate = issued.certificate
    unique = subject_value(certificate, NameOID.X500_UNIQUE_IDENTIFIER)
    assert unique == "SZPA800101AB1 / SZPA800101HDFRRN09"
    assert subject_value(certificate, NameOID.SERIAL_NUMBER) == " / SZPA800101HDFRRN09"
    assert issued.fiel().rfc == PERSON_RFC
    assert issued.fiel().legal_name == "PERSONA DE PRUEBA"


def test_rejects_what_is_not_an_rfc(ca: TestCertificateAuthority) -> None:
    with pytest.raises(ValueError, match="is not an RFC"):
        ca.issue_fiel("NOT-AN-RFC", key_size=1024)


def test_issued_certificates_verify_against_their_ca(
    ca: TestCertificateAuthority,
    company_fiel: IssuedCredential,
    company_csd: IssuedCredential,
    test_ca: TestCertificateAuthority,
) -> None:
    assert verify_issued_by(company_fiel.certificate_der, ca.certificate)
    assert verify_issued_by(company_csd.certificate_der, ca.certificate)
    assert not verify_issued_by(company_fiel.certificate_der, test_ca.certificate)
    assert not verify_issued_by(b"not DER", ca.certificate)


def test_same_name_but_another_key_does_not_verify(company_fiel: IssuedCredential) -> None:
    impostor = TestCertificateAuthority.create("unit test CA", key_size=1024)
    assert impostor.certificate.subject == company_fiel.certificate.issuer
    assert not verify_issued_by(company_fiel.certificate_der, impostor.certificate)


# -- serial numbers -------------------------------------------------------------------------


def test_serials_are_unique_ascii_digits(ca: TestCertificateAuthority) -> None:
    serials = [ca.issue_csd(COMPANY_RFC, key_size=1024).serial_number for _ in range(3)]
    assert len(set(serials)) == 3
    for serial in serials:
        assert is_ascii_digit_serial(serial)
    loaded = ca.issue_fiel(COMPANY_RFC, key_size=1024).fiel()
    assert len(loaded.sat_serial) == 20 and loaded.sat_serial.isdigit()


def test_explicit_serials(ca: TestCertificateAuthority) -> None:
    by_digits = ca.issue_fiel(COMPANY_RFC, serial_number="00001000000500000099", key_size=1024)
    assert by_digits.serial_number == int.from_bytes(b"00001000000500000099", "big")
    assert by_digits.fiel().sat_serial == "00001000000500000099"
    by_int = ca.issue_fiel(COMPANY_RFC, serial_number=4242, key_size=1024)
    assert by_int.serial_number == 4242


@pytest.mark.parametrize("digits", ["123", "0000100000050000009x", "000010000005000000991"])
def test_ascii_digit_serial_needs_twenty_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="20 ASCII digits"):
        ascii_digit_serial(digits)


# -- validity -------------------------------------------------------------------------------


def test_explicit_validity(ca: TestCertificateAuthority) -> None:
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2029, 3, 1, tzinfo=UTC)
    issued = ca.issue_fiel(COMPANY_RFC, not_before=start, not_after=end, key_size=1024).fiel()
    assert (issued.not_valid_before, issued.not_valid_after) == (start, end)


def test_default_validity_covers_now(ca: TestCertificateAuthority) -> None:
    issued = ca.issue_fiel(COMPANY_RFC, key_size=1024).fiel()
    now = datetime.now(UTC)
    assert issued.is_valid_at(now)
    issued.check_usable(now)
    assert issued.not_valid_after - issued.not_valid_before > timedelta(days=365 * 3)


def test_expired_and_not_yet_valid(ca: TestCertificateAuthority) -> None:
    now = datetime.now(UTC)
    expired = ca.issue_fiel(COMPANY_RFC, expired=True, key_size=1024).fiel()
    assert expired.not_valid_after < now < expired.not_valid_after + timedelta(days=2)
    future = ca.issue_fiel(COMPANY_RFC, not_yet_valid=True, key_size=1024).fiel()
    assert now < future.not_valid_before < now + timedelta(days=2)


def test_contradictory_validity_is_refused(ca: TestCertificateAuthority) -> None:
    with pytest.raises(ValueError, match="both expired and not yet valid"):
        ca.issue_fiel(COMPANY_RFC, expired=True, not_yet_valid=True)
    with pytest.raises(ValueError, match="either expired/not_yet_valid or explicit"):
        ca.issue_fiel(COMPANY_RFC, expired=True, not_after=datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        ca.issue_fiel(COMPANY_RFC, not_before=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="must come after"):
        ca.issue_fiel(
            COMPANY_RFC,
            not_before=datetime(2030, 1, 1, tzinfo=UTC),
            not_after=datetime(2029, 1, 1, tzinfo=UTC),
        )


# -- keys, passwords and files --------------------------------------------------------------


def test_key_is_encrypted_pkcs8_der(company_fiel: IssuedCredential) -> None:
    der = company_fiel.private_key_der
    assert der[:1] == b"\x30"  # DER, not PEM
    assert PBES2_DER in der[:20]
    with pytest.raises(TypeError, match="encrypted"):
        serialization.load_der_private_key(der, None)
    key = serialization.load_der_private_key(der, company_fiel.password.encode())
    assert isinstance(key, rsa.RSAPrivateKey)


def test_written_files(company_fiel: IssuedCredential, tmp_path: Path) -> None:
    cer, key, password = company_fiel.write(tmp_path / "out")
    assert (cer.name, key.name, password.name) == (
        "SZP200101AB1.cer",
        "SZP200101AB1.key",
        "SZP200101AB1-password.txt",
    )
    assert cer.read_bytes() == company_fiel.certificate_der
    assert key.read_bytes() == company_fiel.private_key_der
    assert password.read_bytes() == b"12345678a"
    with pytest.raises(TypeError):
        serialization.load_der_private_key(key.read_bytes(), None)
    loaded = Fiel.from_files(cer, key, password.read_text(encoding="utf-8"))
    assert loaded.certificate_der == company_fiel.certificate_der


def test_password_and_key_are_private_and_never_written_through_a_link(
    company_fiel: IssuedCredential, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("untouched")
    (out / "SZP200101AB1-password.txt").symlink_to(elsewhere)
    cer, key, password = company_fiel.write(out)
    assert stat.S_IMODE(password.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not password.is_symlink() and password.read_text(encoding="utf-8") == "12345678a"
    assert elsewhere.read_text() == "untouched"
    again = company_fiel.write(out)  # issuing again into the same folder replaces the files
    assert again[2].read_text(encoding="utf-8") == "12345678a"
    assert stat.S_IMODE(again[2].stat().st_mode) == 0o600
    assert sorted(path.name for path in out.iterdir()) == sorted(
        path.name for path in (cer, key, password)
    )


def test_repr_hides_password_and_key(ca: TestCertificateAuthority) -> None:
    issued = ca.issue_fiel(COMPANY_RFC, password="Ajolote-secreto-991", key_size=1024)
    text = repr(issued)
    assert text == "IssuedCredential(rfc='SZP200101AB1', kind='FIEL')"
    assert "Ajolote" not in text
    assert issued.private_key_der.hex()[:16] not in text


def test_empty_password_gives_an_unencrypted_key(ca: TestCertificateAuthority) -> None:
    issued = ca.issue_fiel(COMPANY_RFC, password="", key_size=1024)
    assert isinstance(
        serialization.load_der_private_key(issued.private_key_der, None), rsa.RSAPrivateKey
    )
    assert issued.fiel().rfc == COMPANY_RFC


# -- the committed fixture ------------------------------------------------------------------


def test_committed_fixture_files(fixture_dir: Path, test_ca: TestCertificateAuthority) -> None:
    folder = fixture_dir / "efirma"
    names = sorted(path.name for path in folder.iterdir())
    assert names == sorted(
        ["ca.cer", "ca.pem", "ca.key", "fiel.cer", "fiel.key", "csd.cer", "csd.key", "password.txt"]
    )
    assert (folder / "password.txt").read_bytes() == b"12345678a"
    assert (folder / "ca.cer").read_bytes() == test_ca.certificate_der
    for stem, serial, is_fiel in (
        ("fiel", b"00001000000500000001", True),
        ("csd", b"00001000000500000002", False),
    ):
        key_der = (folder / f"{stem}.key").read_bytes()
        with pytest.raises(TypeError):
            serialization.load_der_private_key(key_der, None)
        loaded = Fiel.from_files(folder / f"{stem}.cer", folder / f"{stem}.key", "12345678a")
        assert loaded.rfc == COMPANY_RFC
        assert loaded.serial_number == int.from_bytes(serial, "big")
        assert loaded.is_fiel() is is_fiel
        assert loaded.not_valid_before == datetime(2024, 1, 1, tzinfo=UTC)
        assert loaded.not_valid_after == datetime(2034, 1, 1, tzinfo=UTC)
        assert verify_issued_by(loaded.certificate_der, test_ca.certificate)


def test_fresh_fiel_differs_from_the_fixture(fiel: Fiel, fresh_fiel: Fiel) -> None:
    assert fresh_fiel.rfc == fiel.rfc
    assert fresh_fiel.issuer_name == fiel.issuer_name
    assert fresh_fiel.serial_number != fiel.serial_number
    assert fresh_fiel.public_key.public_numbers() != fiel.public_key.public_numbers()
    assert fresh_fiel.is_fiel()
