"""Shared fixtures: the committed test e.firma and its CA, and fake SATs that trust that CA."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.certificates import TestCertificateAuthority
from sat_zeep.testing.fake_sat.server import FakeSat
from sat_zeep.testing.postgres import PostgresServer, PostgresUnavailable

#: ``pytester`` runs small test suites in a subprocess (tests of our pytest plugin).
pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_RFC = "SZP200101AB1"

#: Seconds a test that talks to a fake SAT may take before it fails (pytest-timeout); the
#: slowest of them take ~10 s on a busy 2-core machine.
SAT_TEST_TIMEOUT = 120
_SAT_FIXTURES = {"make_sat", "sat", "fake_sat"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test waiting on a fake SAT gets ``SAT_TEST_TIMEOUT`` unless it sets its own timeout."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _SAT_FIXTURES and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SAT_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    """``tests/fixtures``."""
    return FIXTURES


@pytest.fixture(scope="session")
def test_ca(fixture_dir: Path) -> TestCertificateAuthority:
    """The test CA that issued the fixture e.firma (``tests/fixtures/efirma``)."""
    return TestCertificateAuthority.load(fixture_dir / "efirma")


@pytest.fixture(scope="session")
def fiel(fixture_dir: Path) -> Fiel:
    """The committed fixture e.firma of SZP200101AB1 (valid 2024-01-01 to 2034-01-01)."""
    efirma = fixture_dir / "efirma"
    password = (efirma / "password.txt").read_text(encoding="utf-8")
    return Fiel.from_files(efirma / "fiel.cer", efirma / "fiel.key", password)


@pytest.fixture(scope="session")
def fresh_fiel(test_ca: TestCertificateAuthority) -> Fiel:
    """A newly issued e.firma for the same RFC as ``fiel`` but with another key."""
    return test_ca.issue_fiel(FIXTURE_RFC, name="SAT ZEEP PRUEBAS SA DE CV", key_size=2048).fiel()


MakeSat = Callable[..., FakeSat]


def trust_fixture_ca(state: Path) -> Path:
    """Put the committed test CA in a fake SAT's state directory, so it trusts ``fiel``."""
    state.mkdir(parents=True, exist_ok=True)
    for name in ("ca.cer", "ca.pem", "ca.key"):
        shutil.copy(FIXTURES / "efirma" / name, state / name)
    return state


@pytest.fixture
def make_sat(tmp_path: Path) -> Iterator[MakeSat]:
    """Start fake SAT servers (keyword arguments go to ``FakeSat``); all stop after the test."""
    servers: list[FakeSat] = []

    def make(**options: Any) -> FakeSat:
        state = trust_fixture_ca(tmp_path / f"state-{len(servers)}")
        server = FakeSat(state, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sat(make_sat: MakeSat) -> FakeSat:
    """A fake SAT with default settings, trusting the committed test CA."""
    return make_sat()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session (fails, never skips, when it can't start)."""
    try:
        server = PostgresServer.start_new()
    except PostgresUnavailable as error:
        pytest.fail(f"this test needs a PostgreSQL server: {error}", pytrace=False)
    with server:
        yield server
