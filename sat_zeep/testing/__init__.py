"""Tools for testing code that talks to SAT: a test CA for e.firmas, a mock transport."""

from .certificates import IssuedCredential, TestCertificateAuthority
from .mock_transport import MockTransport, SoapRequest, SoapResponse

__all__ = [
    "IssuedCredential",
    "MockTransport",
    "SoapRequest",
    "SoapResponse",
    "TestCertificateAuthority",
]
