"""Shared fixtures: the committed test e.firma and the test CA that issued it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sat_zeep.fiel import Fiel
from sat_zeep.testing.certificates import TestCertificateAuthority

#: ``pytester`` runs small test suites in a subprocess (tests of our pytest plugin).
pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_RFC = "SZP200101AB1"


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
