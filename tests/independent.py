"""An independent check of SAT's request-signature rule, sharing no code with sat_zeep.

It canonicalizes with the standard library's C14N 2.0 (which, for these documents, writes the
same bytes as exclusive c14n 1.0), hashes with hashlib and verifies with ``cryptography``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def recompute(operation: etree._Element) -> x509.Certificate:
    """Raise if the Signature inside ``operation`` does not verify; return its certificate."""
    unsigned = copy.deepcopy(operation)
    inner = unsigned[0]
    signature = inner.find(f"{DS}Signature")
    assert signature is not None, "no Signature"
    inner.remove(signature)
    canonical = ET.canonicalize(etree.tostring(unsigned).decode()).encode()
    digest = base64.b64encode(hashlib.sha1(canonical).digest()).decode()
    assert digest == signature.findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue")

    signed_info = signature.find(f"{DS}SignedInfo")
    assert signed_info is not None
    canonical_info = ET.canonicalize(etree.tostring(signed_info).decode()).encode()
    der = base64.b64decode(
        signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate") or ""
    )
    certificate = x509.load_der_x509_certificate(der)
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    value = base64.b64decode(signature.findtext(f"{DS}SignatureValue") or "")
    key.verify(value, canonical_info, padding.PKCS1v15(), hashes.SHA1())
    return certificate
