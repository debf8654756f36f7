"""The taxpayer's e.firma (FIEL): an X.509 certificate issued by SAT plus its RSA private key.

Everything that signs takes a ``Fiel``; only this module reads ``.cer``/``.key`` files::

    fiel = Fiel.from_files("FIEL.cer", "FIEL.key", password)
    fiel.rfc            # 'EKU9003173C9'
    fiel.check_usable(datetime.now(timezone.utc))   # CredentialError for a CSD or an expired one

The certificate may be DER (as SAT hands it out) or PEM; the key encrypted PKCS#8, DER (as SAT
hands it out) or PEM. The password is used once, to open the key, and is never stored.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from ..errors import CredentialError
from ._xmlsec import load_xmlsec

__all__ = ["Fiel"]

#: Key usages that only the e.firma carries; a CSD (seal certificate) has neither.
_FIEL_ONLY_USAGES = ("data_encipherment", "key_agreement")


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        problem = "does not exist"
    except IsADirectoryError:
        problem = "is a directory, not a file"
    except PermissionError:
        problem = "cannot be read (permission denied)"
    except OSError as error:
        problem = f"cannot be read ({error.strerror or type(error).__name__})"
    raise CredentialError(f"the {what} file {os.fspath(path)!r} {problem}; check the path")


def _is_pem(data: bytes) -> bool:
    return data.lstrip().startswith(b"-----BEGIN")


def _load_certificate(data: bytes, source: str) -> x509.Certificate:
    certificate: x509.Certificate | None = None
    try:
        if _is_pem(data):
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except ValueError:
        certificate = None
    if certificate is None:
        raise CredentialError(
            f"{source} is not an X.509 certificate (DER or PEM); pass the .cer file"
        )
    return certificate


def _password_bytes(password: str | bytes) -> bytes:
    if isinstance(password, str):
        return password.encode("utf-8")
    if isinstance(password, bytes):
        return password
    raise TypeError("the e.firma password must be str or bytes")


def _deserialize(data: bytes, password: bytes | None) -> Any:
    if _is_pem(data):
        return serialization.load_pem_private_key(data, password)
    return serialization.load_der_private_key(data, password)


def _load_private_key(data: bytes, password: bytes, source: str) -> rsa.RSAPrivateKey:
    """Open the key; no exception raised here carries the password or chains to one that might."""
    encrypted = False
    key: Any = None
    try:
        key = _deserialize(data, None)
    except TypeError:  # the key is encrypted and needs the password
        encrypted = True
    except (ValueError, UnsupportedAlgorithm):
        key = None
    if not encrypted and key is None:
        raise CredentialError(
            f"{source} is not a private key (encrypted PKCS#8, DER or PEM); pass the .key file"
        )
    if encrypted:
        if not password:
            raise CredentialError(
                f"{source} is encrypted and no password was given; pass the e.firma password"
            )
        opened = True
        try:
            key = _deserialize(data, password)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            opened = False
        if not opened:
            raise CredentialError(
                "the password does not open the private key; check the e.firma password"
            )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialError(f"{source} is not an RSA private key; pass the e.firma .key file")
    return key


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _require_aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("e.firma validity is checked against timezone-aware datetimes only")
    return when


class Fiel:
    """An e.firma: a SAT certificate and its private key, checked to belong together.

    Build it with ``from_files`` or ``from_bytes``. The password is never kept.
    """

    __slots__ = ("_certificate", "_certificate_der", "_private_key", "_rfc", "_xmlsec_key")

    def __init__(self, certificate: x509.Certificate, private_key: rsa.RSAPrivateKey) -> None:
        """Pair a loaded certificate with its key; ``CredentialError`` if they do not match."""
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise CredentialError(
                "the certificate does not hold an RSA key, so it is not an e.firma issued by SAT"
            )
        if public_key.public_numbers() != private_key.public_key().public_numbers():
            raise CredentialError(
                "the private key does not match the certificate; pass the .key file that "
                "belongs to this .cer (SAT hands them out in pairs)"
            )
        self._certificate = certificate
        self._certificate_der = certificate.public_bytes(serialization.Encoding.DER)
        self._private_key = private_key
        self._rfc = _rfc_of(certificate)
        self._xmlsec_key: Any = None

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def from_files(
        cls,
        cer: str | os.PathLike[str],
        key: str | os.PathLike[str],
        password: str | bytes,
    ) -> Fiel:
        """Load the ``.cer`` and ``.key`` files SAT issued (DER or PEM)."""
        certificate = _load_certificate(
            _read(cer, "certificate"), f"the certificate file {os.fspath(cer)!r}"
        )
        private_key = _load_private_key(
            _read(key, "private key"), _password_bytes(password), f"the key file {os.fspath(key)!r}"
        )
        return cls(certificate, private_key)

    @classmethod
    def from_bytes(cls, certificate: bytes, private_key: bytes, password: str | bytes) -> Fiel:
        """Load the certificate and the private key from their bytes (DER or PEM)."""
        loaded = _load_certificate(certificate, "the certificate data")
        key = _load_private_key(private_key, _password_bytes(password), "the private key data")
        return cls(loaded, key)

    # -- facts ---------------------------------------------------------------------------------

    @property
    def rfc(self) -> str:
        """The taxpayer's RFC (first token of subject ``x500UniqueIdentifier``, upper case)."""
        return self._rfc

    @property
    def serial_number(self) -> int:
        """The certificate serial number, as ``X509SerialNumber`` writes it (decimal)."""
        return self._certificate.serial_number

    @property
    def serial_hex(self) -> str:
        """The serial number in hexadecimal, lower case, without prefix."""
        return format(self._certificate.serial_number, "x")

    @property
    def sat_serial(self) -> str:
        """SAT's "número de certificado": the serial's bytes read as ASCII digits."""
        serial = self._certificate.serial_number
        raw = serial.to_bytes((serial.bit_length() + 7) // 8 or 1, "big")
        text = raw.decode("ascii", errors="replace")
        return text if text.isdigit() else str(serial)

    @property
    def issuer_name(self) -> str:
        """The issuer as an RFC 4514 string (``X509IssuerName``)."""
        return self._certificate.issuer.rfc4514_string()

    @property
    def subject_name(self) -> str:
        """The subject as an RFC 4514 string."""
        return self._certificate.subject.rfc4514_string()

    @property
    def legal_name(self) -> str:
        """The taxpayer's name: subject CN, or O when there is no CN."""
        for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
            attributes = self._certificate.subject.get_attributes_for_oid(oid)
            if attributes:
                return _text(attributes[0].value).strip()
        return ""

    @property
    def branch_name(self) -> str:
        """The subject ``OU`` (branch, "sucursal"); empty for an e.firma, set for a CSD."""
        attributes = self._certificate.subject.get_attributes_for_oid(
            NameOID.ORGANIZATIONAL_UNIT_NAME
        )
        return _text(attributes[0].value).strip() if attributes else ""

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate object."""
        return self._certificate

    @property
    def certificate_der(self) -> bytes:
        """The certificate in DER."""
        return self._certificate_der

    @property
    def certificate_base64(self) -> str:
        """The DER certificate in base64 on one line (``X509Certificate``, BinarySecurityToken)."""
        return base64.b64encode(self._certificate_der).decode("ascii")

    @property
    def not_valid_before(self) -> datetime:
        """Start of validity, aware UTC."""
        return self._certificate.not_valid_before_utc

    @property
    def not_valid_after(self) -> datetime:
        """End of validity, aware UTC."""
        return self._certificate.not_valid_after_utc

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The certificate's RSA public key."""
        return self._private_key.public_key()

    # -- checks --------------------------------------------------------------------------------

    def is_fiel(self) -> bool:
        """True for an e.firma (FIEL), False for a CSD (seal certificate).

        SAT's CSD names a branch in the subject ``OU`` and carries only the key usages
        digitalSignature and nonRepudiation, with no extended key usage; the FIEL has no ``OU``
        and adds dataEncipherment and keyAgreement (plus emailProtection and clientAuth). A
        certificate showing either CSD trait is treated as a CSD.
        """
        return certificate_is_fiel(self._certificate)

    def is_valid_at(self, when: datetime) -> bool:
        """Whether ``when`` (timezone-aware) falls inside the certificate's validity."""
        moment = _require_aware(when)
        return self.not_valid_before <= moment <= self.not_valid_after

    def check_usable(self, when: datetime) -> None:
        """Raise ``CredentialError`` unless this is a FIEL valid at ``when``."""
        moment = _require_aware(when)
        if not self.is_fiel():
            raise CredentialError(
                f"the certificate {self.sat_serial} of {self.rfc} is a CSD (sello digital), "
                "not an e.firma; SAT's bulk download needs the taxpayer's e.firma (FIEL)"
            )
        if moment > self.not_valid_after:
            raise CredentialError(
                f"the e.firma of {self.rfc} expired on {_format_moment(self.not_valid_after)}; "
                "renew it with SAT and load the new .cer/.key"
            )
        if moment < self.not_valid_before:
            raise CredentialError(
                f"the e.firma of {self.rfc} is not valid until "
                f"{_format_moment(self.not_valid_before)}; check this machine's clock"
            )

    # -- signing -------------------------------------------------------------------------------

    def sign_sha1(self, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 signature over SHA-1 of ``data`` (what SAT's XML-DSig uses)."""
        return self._private_key.sign(data, padding.PKCS1v15(), hashes.SHA1())

    def sign_sha256(self, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 signature over SHA-256 of ``data``."""
        return self._private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def xmlsec_key(self) -> Any:
        """The key and certificate as an ``xmlsec.Key``, built in memory once and cached."""
        if self._xmlsec_key is None:
            xmlsec = load_xmlsec()
            pem = self._private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)
            key.load_cert_from_memory(self._certificate_der, xmlsec.constants.KeyDataFormatCertDer)
            self._xmlsec_key = key
        return self._xmlsec_key

    def __repr__(self) -> str:
        return (
            f"Fiel(rfc={self.rfc!r}, serial={self.sat_serial!r}, "
            f"valid={self.not_valid_before.date().isoformat()}.."
            f"{self.not_valid_after.date().isoformat()})"
        )

    def __reduce__(self) -> Any:
        raise TypeError("a Fiel holds a private key and cannot be pickled")


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def certificate_is_fiel(certificate: x509.Certificate) -> bool:
    """``Fiel.is_fiel`` for a bare certificate (a server checking what a client sent)."""
    if certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        return False
    return not _has_seal_only_usage(certificate)


def certificate_rfc(certificate: x509.Certificate) -> str:
    """The RFC a certificate was issued to (``CredentialError`` if it names none)."""
    return _rfc_of(certificate)


def _rfc_of(certificate: x509.Certificate) -> str:
    attributes = certificate.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    value = _text(attributes[0].value) if attributes else ""
    rfc = value.split("/")[0].strip().upper()
    if not rfc:
        raise CredentialError(
            "the certificate names no RFC (subject x500UniqueIdentifier, OID 2.5.4.45), so SAT "
            "did not issue it as an e.firma; pass the .cer SAT gave you"
        )
    return rfc


def _has_seal_only_usage(certificate: x509.Certificate) -> bool:
    """True when the certificate carries the CSD's key-usage profile."""
    try:
        usage = certificate.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        return False
    assert isinstance(usage, x509.KeyUsage)
    if any(getattr(usage, name) for name in _FIEL_ONLY_USAGES):
        return False
    try:
        certificate.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    except x509.ExtensionNotFound:
        return True
    return False


def certificate_file_rfc(path: Path) -> str:
    """The RFC of the certificate in ``path`` (DER or PEM); no key or password needed."""
    return certificate_rfc(_load_certificate(path.read_bytes(), str(path)))
