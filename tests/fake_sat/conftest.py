"""Fixtures for the fake SAT tests: servers that trust the committed test CA."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from sat_zeep.client import SatClient
from sat_zeep.fiel import Fiel
from sat_zeep.testing.fake_sat.server import FakeSat
from sat_zeep.testing.mock_transport import SoapRequest

#: A month the synthetic universe fills with documents (the server's clock is the real one).
START, END = date(2026, 10, 1), date(2026, 10, 31)

MakeSat = Callable[..., FakeSat]


@pytest.fixture
def make_sat(tmp_path: Path, fixture_dir: Path) -> Iterator[MakeSat]:
    """Start fake SAT servers (keyword arguments go to ``FakeSat``); all stop after the test."""
    servers: list[FakeSat] = []

    def make(**options: Any) -> FakeSat:
        state = tmp_path / f"state-{len(servers)}"
        state.mkdir()
        for name in ("ca.cer", "ca.pem", "ca.key"):
            shutil.copy(fixture_dir / "efirma" / name, state / name)
        server = FakeSat(state, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sat(make_sat: MakeSat) -> FakeSat:
    """A fake SAT with default settings."""
    return make_sat()


@pytest.fixture
def client(sat: FakeSat, fiel: Fiel) -> Iterator[SatClient]:
    """A ``SatClient`` for the fixture e.firma against ``sat`` (CFDI)."""
    with SatClient(fiel, sat.endpoints()) as client:
        yield client


def post(url: str, body: bytes, action: str, token: str | None = None) -> requests.Response:
    """POST a hand-made envelope, as a client of another implementation would."""
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    if token is not None:
        headers["Authorization"] = f'WRAP access_token="{token}"'
    return requests.post(url, data=body, headers=headers, timeout=30)


def replay(request: SoapRequest, token: str | None = None) -> requests.Response:
    """Send a request recorded by ``MockTransport`` to its URL, with a token of our choice."""
    headers = dict(request.headers)
    headers.pop("Authorization", None)
    if token is not None:
        headers["Authorization"] = f'WRAP access_token="{token}"'
    return requests.post(request.url, data=request.body, headers=headers, timeout=30)
