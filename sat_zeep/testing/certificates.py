"""A test certificate authority that issues e.firmas (FIEL) and CSDs shaped like SAT's.

Nothing it makes is trusted by SAT; it exists so tests never need a real taxpayer's files::

    ca = TestCertificateAuthority.create()
    issued = ca.issue_fiel("SZP200101AB1")
    fiel = issued.fiel()                      # a sat_zeep.Fiel, ready to sign
    cer, key, password = issued.write(tmp_path)

Shape (CONTRACT §11): subject ``CN``/``name``/``O`` = taxpayer name, ``C=MX``, ``emailAddress``,
``x500UniqueIdentifier`` (2.5.4.45) ``"<RFC> / <CURP>"`` (a legal person: ``"<RFC> / <RFC of the
representative>"``), ``serialNumber`` (2.5.4.5) ``" / <CURP>"``. A FIEL has the key usages
digitalSignature, nonRepudiation, dataEncipherment and keyAgreement, and the extended key usages
emailProtection and clientAuth; a CSD has only digitalSignature and nonRepudiation, no extended key
usage, and an ``OU`` naming the branch. Serial numbers are 20 ASCII digits read as an integer, and
the key is encrypted PKCS#8 DER, as SAT delivers them.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..client.parameters import is_rfc, rfc_problem
from ..signing.fiel import Fiel
from .certificate_profile import Kind, key_usage, subject, utc, validity

__all__ = ["IssuedCredential", "TestCertificateAuthority", "ascii_digit_serial", "verify_issued_by"]

DEFAULT_PASSWORD = "12345678a"
DEFAULT_CA_NAME = "sat_zeep test CA"
_CA_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=timezone.utc)
_CA_NOT_AFTER = datetime(2050, 1, 1, tzinfo=timezone.utc)
_SERIAL_PREFIX = "3000"  # SAT's production serials start this way too (e.g. 30001000000500003415)


def ascii_digit_serial(digits: str) -> int:
    """SAT's serial form: the 20 ASCII digits ``digits`` read as one big-endian integer."""
    if len(digits) != 20 or not digits.isdigit() or not digits.isascii():
        raise ValueError(f"a SAT serial number is 20 ASCII digits, not {digits!r}")
    return int.from_bytes(digits.encode("ascii"), "big")


def verify_issued_by(certificate_der: bytes, ca_certificate: x509.Certificate) -> bool:
    """Whether ``certificate_der`` names ``ca_certificate`` as issuer and carries its signature."""
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
        certificate.verify_directly_issued_by(ca_certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class IssuedCredential:
    """A certificate and its encrypted key, as SAT hands them to a taxpayer.

    ``private_key_der`` is encrypted PKCS#8 DER (``BestAvailableEncryption`` with ``password``).
    Neither the key nor the password appears in ``repr``.
    """

    rfc: str
    kind: Kind
    certificate_der: bytes = field(repr=False)
    private_key_der: bytes = field(repr=False)
    password: str = field(repr=False)

    @property
    def certificate(self) -> x509.Certificate:
        """The issued certificate."""
        return x509.load_der_x509_certificate(self.certificate_der)

    @property
    def serial_number(self) -> int:
        """The certificate serial number."""
        return self.certificate.serial_number

    def fiel(self) -> Fiel:
        """Load it as a ``Fiel`` (a CSD loads too; ``is_fiel()`` tells them apart)."""
        return Fiel.from_bytes(self.certificate_der, self.private_key_der, self.password)

    def write(self, directory: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
        """Write ``<RFC>.cer``, ``<RFC>.key`` and ``<RFC>-password.txt``; return their paths."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        cer = folder / f"{self.rfc}.cer"
        key = folder / f"{self.rfc}.key"
        password = folder / f"{self.rfc}-password.txt"
        cer.write_bytes(self.certificate_der)
        write_private(key, self.private_key_der)
        write_private(password, self.password.encode("utf-8"))
        return cer, key, password


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` readable by its owner only (0600).

    The bytes go to a new file created exclusively (never one that exists, nor a link's target),
    which then replaces ``path``.
    """
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class TestCertificateAuthority:
    """A self-signed CA that issues SAT-shaped FIEL and CSD certificates for tests."""

    __test__ = False  # not a pytest test class

    def __init__(self, certificate: x509.Certificate, private_key: rsa.RSAPrivateKey) -> None:
        """Wrap an existing CA certificate and its key (see ``create`` and ``load``)."""
        self._certificate = certificate
        self._private_key = private_key
        self._issued_serials: set[int] = set()

    def __repr__(self) -> str:
        return f"TestCertificateAuthority({self._certificate.subject.rfc4514_string()!r})"

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str = DEFAULT_CA_NAME,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        key_size: int = 2048,
    ) -> TestCertificateAuthority:
        """A new CA with a fresh RSA key, valid 2020-2050 unless told otherwise."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sat_zeep pruebas"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "sat_zeep test authority"),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            ]
        )
        public = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(public)
            .serial_number(ascii_digit_serial(_SERIAL_PREFIX + f"{secrets.randbelow(10**16):016d}"))
            .not_valid_before(utc(not_before) if not_before else _CA_NOT_BEFORE)
            .not_valid_after(utc(not_after) if not_after else _CA_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, key)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TestCertificateAuthority:
        """Load a CA written by ``save`` (``ca.cer`` or ``ca.pem``, and ``ca.key``)."""
        folder = Path(directory)
        der = folder / "ca.cer"
        if der.exists():
            certificate = x509.load_der_x509_certificate(der.read_bytes())
        else:
            certificate = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{folder / 'ca.key'} is not an RSA private key")
        return cls(certificate, key)

    def save(self, directory: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
        """Write ``ca.cer`` (DER), ``ca.pem`` and ``ca.key`` (unencrypted PKCS#8 PEM)."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        cer, pem, key = folder / "ca.cer", folder / "ca.pem", folder / "ca.key"
        cer.write_bytes(self.certificate_der)
        pem.write_bytes(self.certificate_pem)
        key.write_bytes(
            self._private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cer, pem, key

    # -- facts ---------------------------------------------------------------------------------

    @property
    def certificate(self) -> x509.Certificate:
        """The CA certificate."""
        return self._certificate

    @property
    def certificate_der(self) -> bytes:
        """The CA certificate in DER."""
        return self._certificate.public_bytes(serialization.Encoding.DER)

    @property
    def certificate_pem(self) -> bytes:
        """The CA certificate in PEM."""
        return self._certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """The CA's private key, to issue other kinds of certificate (e.g. a TLS server's)."""
        return self._private_key

    # -- issuing -------------------------------------------------------------------------------

    def issue_fiel(
        self,
        rfc: str,
        *,
        name: str = "CONTRIBUYENTE DE PRUEBA",
        curp: str | None = None,
        representative_rfc: str | None = None,
        email: str = "pruebas@example.com",
        password: str = DEFAULT_PASSWORD,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        expired: bool = False,
        not_yet_valid: bool = False,
        serial_number: int | str | None = None,
        key_size: int = 2048,
    ) -> IssuedCredential:
        """Issue an e.firma (FIEL) for ``rfc``; see the module docstring for its shape.

        ``expired`` makes it end a day before now, ``not_yet_valid`` start a day after now.
        ``serial_number`` is an integer, or 20 digits to encode as SAT does.
        """
        return self._issue(
            "FIEL",
            rfc,
            name=name,
            curp=curp,
            representative_rfc=representative_rfc,
            email=email,
            password=password,
            not_before=not_before,
            not_after=not_after,
            expired=expired,
            not_yet_valid=not_yet_valid,
            serial_number=serial_number,
            key_size=key_size,
            branch=None,
        )

    def issue_csd(
        self,
        rfc: str,
        *,
        name: str = "CONTRIBUYENTE DE PRUEBA",
        curp: str | None = None,
        representative_rfc: str | None = None,
        email: str = "pruebas@example.com",
        password: str = DEFAULT_PASSWORD,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        expired: bool = False,
        not_yet_valid: bool = False,
        serial_number: int | str | None = None,
        key_size: int = 2048,
        branch: str = "Sucursal 1",
    ) -> IssuedCredential:
        """Issue a CSD (seal certificate) for ``rfc``: like ``issue_fiel`` plus an ``OU`` branch."""
        return self._issue(
            "CSD",
            rfc,
            name=name,
            curp=curp,
            representative_rfc=representative_rfc,
            email=email,
            password=password,
            not_before=not_before,
            not_after=not_after,
            expired=expired,
            not_yet_valid=not_yet_valid,
            serial_number=serial_number,
            key_size=key_size,
            branch=branch,
        )

    def _issue(
        self,
        kind: Kind,
        rfc: str,
        *,
        name: str,
        curp: str | None,
        representative_rfc: str | None,
        email: str,
        password: str,
        not_before: datetime | None,
        not_after: datetime | None,
        expired: bool,
        not_yet_valid: bool,
        serial_number: int | str | None,
        key_size: int,
        branch: str | None,
    ) -> IssuedCredential:
        rfc = rfc.strip().upper()
        if not is_rfc(rfc):
            raise ValueError(f"{rfc!r} is not an RFC: {rfc_problem(rfc)}")
        start, end = validity(not_before, not_after, expired=expired, not_yet_valid=not_yet_valid)
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        public = key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject(rfc, name, curp, representative_rfc, email, branch))
            .issuer_name(self._certificate.subject)
            .public_key(public)
            .serial_number(self._serial(serial_number))
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage(kind), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._private_key.public_key()),
                critical=False,
            )
        )
        if kind == "FIEL":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        certificate = builder.sign(self._private_key, hashes.SHA256())
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode("utf-8"))
            if password
            else serialization.NoEncryption()
        )
        key_der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, encryption
        )
        return IssuedCredential(
            rfc=rfc,
            kind=kind,
            certificate_der=certificate.public_bytes(serialization.Encoding.DER),
            private_key_der=key_der,
            password=password,
        )

    def _serial(self, requested: int | str | None) -> int:
        if isinstance(requested, str):
            serial = ascii_digit_serial(requested)
        elif isinstance(requested, int):
            if requested <= 0:
                raise ValueError("a certificate serial number must be positive")
            serial = requested
        else:
            serial = ascii_digit_serial(_SERIAL_PREFIX + f"{secrets.randbelow(10**16):016d}")
            while serial in self._issued_serials:  # pragma: no cover - 1 in 10**16
                serial = ascii_digit_serial(_SERIAL_PREFIX + f"{secrets.randbelow(10**16):016d}")
        self._issued_serials.add(serial)
        return serial
