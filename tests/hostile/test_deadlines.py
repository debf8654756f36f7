"""A server that trickles, or never stops, cannot hold a call: an overall deadline per call, and
answers cut off as soon as they cannot be right (measured in bytes read, not in time)."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sat_zeep.errors import PackageTransferError, SatResponseError, SatTimeout
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.transport import SatTransport, bound_calls, call_deadline, default_transport

from ..canned_sat import RESPONSES
from .server import CLOSING, counting, descarga_body, descarga_head, streamed, talking_to, zip_of

ID_PAQUETE = "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01"
ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
PACKAGE = zip_of(5000)
MiB = 1 << 20


def trickle(start: bytes, drip: bytes) -> Iterator[bytes]:
    """``start``, then ``drip`` every 50 ms for ever (each well within the read timeout)."""
    yield start
    while True:
        time.sleep(0.05)
        yield drip


def endless(start: bytes, filler: bytes = b" " * 65536) -> Iterator[bytes]:
    yield start
    yield from itertools.repeat(filler)


@pytest.mark.timeout(30)
def test_a_trickled_autentica_ends_at_the_deadline(fiel: Fiel) -> None:
    answer = (RESPONSES / "autentica-token.xml").read_bytes()
    replies = {"Autentica": streamed(200, trickle(answer[:100], b" "))}
    began = time.monotonic()
    with (
        talking_to(fiel, replies, transport=default_transport(deadline=1.0)) as (_, client),
        pytest.raises(SatTimeout, match="deadline"),
    ):
        client.autentica()
    assert time.monotonic() - began < 10


@pytest.mark.timeout(30)
@pytest.mark.parametrize("to_file", [False, True], ids=["in-memory", "streamed"])
def test_a_trickled_package_ends_at_the_deadline(fiel: Fiel, tmp_path: Path, to_file: bool) -> None:
    text = base64.b64encode(PACKAGE)
    replies = {
        "Descargar": streamed(200, trickle(descarga_head() + b"<Paquete>" + text[:400], b"A"))
    }
    target = tmp_path / "p.zip" if to_file else None
    with (
        talking_to(fiel, replies, transport=default_transport(deadline=1.0)) as (_, client),
        pytest.raises(PackageTransferError, match="deadline") as caught,
    ):
        client.descargar(ID_PAQUETE, destino=target)
    assert not (tmp_path / "p.zip").exists()
    assert (caught.value.kept is not None) == to_file  # what arrived is kept beside destino


@pytest.mark.timeout(30)
def test_a_trickle_before_the_package_ends_at_the_deadline(fiel: Fiel) -> None:
    replies = {"Descargar": streamed(200, trickle(descarga_head()[:50], b" "))}
    with (
        talking_to(fiel, replies, transport=default_transport(deadline=1.0)) as (_, client),
        pytest.raises(PackageTransferError, match="deadline"),
    ):
        client.descargar(ID_PAQUETE)


@pytest.mark.parametrize("to_file", [False, True], ids=["in-memory", "streamed"])
def test_a_stream_that_goes_on_after_the_package_is_cut_off(
    fiel: Fiel, tmp_path: Path, to_file: bool
) -> None:
    transport = default_transport()
    adapter = counting(transport)
    replies = {"Descargar": streamed(200, endless(descarga_body(PACKAGE), b"\0" * 65536))}
    target = tmp_path / "p.zip" if to_file else None
    with talking_to(fiel, replies, transport=transport) as (_, client):
        result = client.descargar(ID_PAQUETE, destino=target).raise_for_status()
    assert result.size == len(PACKAGE)
    assert adapter.bytes_read() < MiB


@pytest.mark.parametrize("to_file", [False, True], ids=["in-memory", "streamed"])
def test_an_answer_without_a_package_is_cut_off_early(
    fiel: Fiel, tmp_path: Path, to_file: bool
) -> None:
    transport = default_transport()
    adapter = counting(transport)
    replies = {"Descargar": streamed(200, endless(descarga_head()))}
    target = tmp_path / "p.zip" if to_file else None
    with (
        talking_to(fiel, replies, transport=transport) as (_, client),
        pytest.raises(SatResponseError, match="no package"),
    ):
        client.descargar(ID_PAQUETE, destino=target)
    assert adapter.bytes_read() < 2 * MiB


def test_junk_after_the_package_text_is_cut_off_early(fiel: Fiel, tmp_path: Path) -> None:
    """The closing tags are a few dozen bytes: an envelope that never closes is not read on."""
    transport = default_transport()
    adapter = counting(transport)
    text = base64.b64encode(PACKAGE)
    start = descarga_head() + b"<Paquete>" + text + b"</Paquete>"
    replies = {"Descargar": streamed(200, endless(start, b"<a>" * 20000))}
    with (
        talking_to(fiel, replies, transport=transport) as (_, client),
        pytest.raises(PackageTransferError, match="does not close"),
    ):
        client.descargar(ID_PAQUETE, destino=tmp_path / "p.zip")
    assert adapter.bytes_read() < 3 * MiB
    assert not (tmp_path / "p.zip").exists()


def test_an_endless_answer_to_a_small_call_is_cut_off(fiel: Fiel) -> None:
    transport = SatTransport(max_answer=MiB)
    adapter = counting(transport)
    answer = (RESPONSES / "verifica-terminada.xml").read_bytes()
    replies = {"VerificaSolicitudDescarga": streamed(200, endless(answer[:200]))}
    with (
        talking_to(fiel, replies, transport=transport) as (_, client),
        pytest.raises(SatResponseError, match="cut off"),
    ):
        client.verifica_solicitud_descarga(ID_SOLICITUD)
    assert adapter.bytes_read() < 2 * MiB


def test_a_package_whose_closing_tags_come_whole_needs_no_more_reads(
    fiel: Fiel, tmp_path: Path
) -> None:
    """The usual answer, its closing tags split over reads, still arrives whole."""
    body = descarga_body(PACKAGE)
    parts = [body[i : i + 7] for i in range(len(body) - 200, len(body), 7)]
    replies = {"Descargar": streamed(200, [body[: len(body) - 200], *parts])}
    with talking_to(fiel, replies) as (_, client):
        result = client.descargar(ID_PAQUETE, destino=tmp_path / "p.zip").raise_for_status()
    assert (tmp_path / "p.zip").read_bytes() == PACKAGE
    assert result.size == len(PACKAGE)
    assert CLOSING.endswith(b"</s:Envelope>")


@pytest.mark.parametrize(
    ("max_wait", "seconds"),
    [(timedelta(minutes=30), 1800), (timedelta(hours=5), 3600), (timedelta(0), 600)],
)
def test_the_sync_max_wait_bounds_every_call(max_wait: timedelta, seconds: float) -> None:
    """``sat-zeep sync --max-wait`` passes its bound on (never below 10 minutes a call)."""
    transport = default_transport()
    bound_calls(transport, max_wait)
    assert call_deadline(transport) == seconds
