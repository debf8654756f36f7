"""Helpers for the fake SAT tests (``make_sat`` and ``sat`` come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from ..dates import month_ago

__all__ = ["END", "START", "MakeSat", "post"]

#: A past month the synthetic universe fills with documents (the server's clock is the real one).
START, END = month_ago(2)


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
