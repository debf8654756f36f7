"""A download is spent only once Descargar may have reached SAT; before that, nothing is counted.

Autentica failing, SAT unreachable (connection refused): the package keeps both of its
downloads, SAT saw no Descargar, and the next run downloads it.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.soap.transport import request_may_have_reached
from sat_zeep.sync import PollPolicy, SyncEngine, SyncEvent, SyncSummary
from sat_zeep.sync.events import EventSink, ignore
from sat_zeep.sync.retry import RetryPolicy
from sat_zeep.sync.store import FILE_NAME
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import MakeSat
from .test_sync_guards import ONE

QUICK = PollPolicy(initial=timedelta(0), maximum=timedelta(0))
NOW = RetryPolicy(initial=timedelta(0))


def sync(
    sat: FakeSat,
    fiel: Fiel,
    output: Path,
    on_event: EventSink = ignore,
    client: SatClient | None = None,
) -> SyncSummary:
    """One run of the one-request job, with the given client (or a new one)."""
    with sat.client(fiel) if client is None else nullcontext(client) as used:
        engine = SyncEngine(
            used, output, poll=QUICK, sleep=lambda _: None, on_event=on_event, retry=NOW
        )
        try:
            return engine.run(ONE)
        finally:
            engine.close()


def _downloads_used(output: Path) -> list[int]:
    with sqlite3.connect(output / FILE_NAME) as db:
        return [row[0] for row in db.execute("SELECT downloads_used FROM packages")]


def test_autentica_failing_before_descargar_spends_nothing(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()

    def fail_autentica(event: SyncEvent) -> None:
        if event.kind == "finished":
            sat.faults.add("Autentica", "http503", times=50)
            sat.advance(timedelta(minutes=10))  # the token expires: Descargar needs a new one

    first = sync(sat, fiel, tmp_path / "out", on_event=fail_autentica)
    assert "Descargar" not in sat.stats()["calls"]
    assert _downloads_used(tmp_path / "out") == [0]
    assert first.packages == {"pending": 1}, first
    assert not first.failures, first.failures
    sat.faults = sat.app.faults = type(sat.faults)()
    again = sync(sat, fiel, tmp_path / "out")
    assert again.complete, again
    assert sat.stats()["calls"]["Descargar"] == 1


def test_sat_unreachable_at_descargar_gives_the_download_back(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    dead = _closed_port()

    with sat.client(fiel) as client:

        def cut_the_network(event: SyncEvent) -> None:
            if event.kind == "finished":
                client.endpoints = Endpoints.from_base_url(f"http://127.0.0.1:{dead}")

        first = sync(sat, fiel, tmp_path / "out", on_event=cut_the_network, client=client)
    assert "Descargar" not in sat.stats()["calls"]
    assert _downloads_used(tmp_path / "out") == [0]
    assert first.packages == {"pending": 1}, first
    again = sync(sat, fiel, tmp_path / "out")
    assert again.complete, again
    assert sat.stats()["calls"]["Descargar"] == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_never_reached_the_server() -> None:
    with pytest.raises(requests.RequestException) as caught:
        requests.post(f"http://127.0.0.1:{_closed_port()}/", data=b"x", timeout=5)
    assert request_may_have_reached(caught.value) is False


def test_a_read_timeout_may_have_reached_the_server() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]))
        thread.start()
        with pytest.raises(requests.RequestException) as caught:
            requests.post(f"http://127.0.0.1:{port}/", data=b"x", timeout=(5, 0.2))
        thread.join()
        for connection in accepted:
            connection.close()
    assert request_may_have_reached(caught.value) is True


def test_an_unknown_host_never_reached_a_server() -> None:
    with pytest.raises(requests.RequestException) as caught:
        requests.post("http://sat-zeep-no-such-host.invalid/", data=b"x", timeout=5)
    assert request_may_have_reached(caught.value) is False


def test_a_reset_after_the_request_may_have_reached_the_server() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def read_then_reset() -> None:
            connection, _ = server.accept()
            connection.recv(65536)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            connection.close()

        thread = threading.Thread(target=read_then_reset)
        thread.start()
        with pytest.raises(requests.RequestException) as caught:
            requests.post(f"http://127.0.0.1:{port}/", data=b"x", timeout=5)
        thread.join()
    assert request_may_have_reached(caught.value) is True
