"""Tools for testing code that talks to SAT.

- ``FakeSat``: a strict fake SAT server over real HTTP(S) (also ``sat-zeep fake-sat serve`` and
  the pytest fixtures ``fake_sat``, ``fake_sat_fiel``, ``fake_sat_client``);
- ``TestCertificateAuthority``: SAT-shaped test e.firmas (FIEL or CSD);
- ``MockTransport``: a zeep transport that answers from a Python function;
- ``PostgresServer``: a throwaway PostgreSQL server in a temporary folder (what the fleet and
  catalog tests run on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .certificates import IssuedCredential, TestCertificateAuthority
from .mock_transport import MockTransport, SoapRequest, SoapResponse

if TYPE_CHECKING:
    from .fake_sat.faults import FaultPlan
    from .fake_sat.ledger import LedgerConfig
    from .fake_sat.server import FakeSat
    from .postgres import PostgresServer

__all__ = [
    "FakeSat",
    "FaultPlan",
    "IssuedCredential",
    "LedgerConfig",
    "MockTransport",
    "PostgresServer",
    "SoapRequest",
    "SoapResponse",
    "TestCertificateAuthority",
]

_LAZY = {
    "FakeSat": "sat_zeep.testing.fake_sat.server",
    "FaultPlan": "sat_zeep.testing.fake_sat.faults",
    "LedgerConfig": "sat_zeep.testing.fake_sat.ledger",
    "PostgresServer": "sat_zeep.testing.postgres",
}


def __getattr__(name: str) -> Any:
    # The fake server pulls in cheroot; load it only when asked for.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sat_zeep.testing' has no attribute {name!r}")
