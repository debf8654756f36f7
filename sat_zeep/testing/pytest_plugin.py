"""pytest fixtures for testing code against the fake SAT (installed with sat_zeep).

    def test_my_download(fake_sat_client):
        accepted = fake_sat_client.solicita_descarga_emitidos(...).raise_for_status()

- ``fake_sat``: one ``FakeSat`` server for the whole session (HTTP, on loopback);
- ``fake_sat_fiel``: a fresh e.firma, trusted by that server, with an RFC no other test uses;
- ``fake_sat_client``: a ``SatClient`` for that e.firma, pointed at the server.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator

import pytest

from ..client.sat_client import SatClient
from .certificates import IssuedCredential
from .fake_sat.server import FakeSat

_ALPHABET = string.ascii_uppercase + string.digits
_serial = itertools.count()


def unique_rfc() -> str:
    """A valid company RFC (12 characters) that no other call in this process returns.

    The homoclave is two letters or digits and a final digit: 12,960 distinct RFCs.
    """
    number = next(_serial)
    clave = _ALPHABET[(number // 360) % 36] + _ALPHABET[(number // 10) % 36]
    return f"TST010101{clave}{number % 10}"


@pytest.fixture(scope="session")
def fake_sat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSat]:
    """A fake SAT server running for the whole test session."""
    with FakeSat(tmp_path_factory.mktemp("fake-sat")) as server:
        yield server


@pytest.fixture
def fake_sat_fiel(fake_sat: FakeSat) -> IssuedCredential:
    """A new e.firma issued by the fake SAT's CA, for an RFC of its own."""
    return fake_sat.issue_fiel(unique_rfc())


@pytest.fixture
def fake_sat_client(fake_sat: FakeSat, fake_sat_fiel: IssuedCredential) -> Iterator[SatClient]:
    """A ``SatClient`` for ``fake_sat_fiel`` talking to ``fake_sat`` (CFDI)."""
    with SatClient(fake_sat_fiel.fiel(), fake_sat.endpoints("cfdi")) as client:
        yield client
