"""``SatClient.wait_for_solicitud``: verify with backoff until SAT is done or the time is up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import sat_zeep.client.sat_client
from sat_zeep import TipoSolicitud
from sat_zeep.client.polling import PollPolicy
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing import LedgerConfig

from .conftest import MakeSat

POLICY = PollPolicy(initial=timedelta(seconds=10), factor=2, jitter=0)


def test_it_waits_with_growing_pauses_until_the_packages_are_ready(
    make_sat: MakeSat, fiel: Fiel
) -> None:
    sat = make_sat(config=LedgerConfig(verifications_until_ready=3))
    pauses: list[float] = []
    with sat.client(fiel) as client:
        solicitud = client.solicita_descarga_emitidos(
            date(2025, 5, 1), date(2025, 5, 31), TipoSolicitud.METADATA
        ).raise_for_status()
        assert solicitud.id_solicitud is not None
        state = client.wait_for_solicitud(
            solicitud.id_solicitud, timedelta(hours=1), poll=POLICY, sleep=pauses.append
        )
    assert state.is_finished
    assert state.ids_paquetes
    assert pauses == [10.0, 20.0, 40.0]
    assert sat.stats()["calls"]["VerificaSolicitudDescarga"] == 4


def test_it_gives_back_the_pending_answer_when_the_wait_runs_out(
    make_sat: MakeSat, fiel: Fiel, monkeypatch: pytest.MonkeyPatch
) -> None:
    sat = make_sat(config=LedgerConfig(verifications_until_ready=100))
    clock = _PausedClock()
    monkeypatch.setattr(sat_zeep.client.sat_client, "time", clock)
    with sat.client(fiel) as client:
        solicitud = client.solicita_descarga_emitidos(
            date(2025, 5, 1), date(2025, 5, 31), TipoSolicitud.METADATA
        ).raise_for_status()
        assert solicitud.id_solicitud is not None
        state = client.wait_for_solicitud(
            solicitud.id_solicitud, timedelta(seconds=25), poll=POLICY
        )
    assert state.is_pending
    # 10 s fit in 25; after them, 20 more would end past the 25 s: it stops, without a pause.
    assert clock.pauses == [10.0]


class _PausedClock:
    """``time.monotonic`` and ``time.sleep`` for the client module: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
