"""Faults on demand: each kind reaches our client as the matching error, reproducibly."""

from __future__ import annotations

import pytest

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import (
    PackageTransferError,
    SatHTTPError,
    SatSoapFault,
    SatTimeout,
    SatTransportError,
    UncontrolledSatError,
)
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.transport import default_transport
from sat_zeep.testing.fake_sat.faults import FaultPlan
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, MakeSat


@pytest.mark.parametrize(("kind", "status"), [("http500", 500), ("http503", 503)])
def test_http_errors_without_soap(sat: FakeSat, client: SatClient, kind: str, status: int) -> None:
    sat.faults.add("Autentica", kind)
    with pytest.raises(SatHTTPError) as caught:
        client.autentica()
    assert not isinstance(caught.value, SatSoapFault)
    assert caught.value.status_code == status
    assert b"<html>" in caught.value.raw
    client.autentica()  # the next call goes through


def test_error_no_controlado(sat: FakeSat, client: SatClient) -> None:
    sat.faults.add("SolicitaDescargaEmitidos", "error404")
    result = client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA)
    with pytest.raises(UncontrolledSatError):
        result.raise_for_status()


def test_a_slow_answer_times_out(make_sat: MakeSat, fiel: Fiel) -> None:
    sat = make_sat(faults=FaultPlan(delay=1.5))
    sat.faults.add("Autentica", "slow")
    transport = default_transport(connect_timeout=5, read_timeout=0.3)
    with (
        SatClient(fiel, sat.endpoints(), transport=transport) as client,
        pytest.raises(SatTimeout),
    ):
        client.autentica()


def package_id(client: SatClient) -> str:
    accepted = client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA)
    for _ in range(5):
        state = client.verifica_solicitud_descarga(accepted.raise_for_status().id_solicitud or "")
        if state.is_finished:
            return state.ids_paquetes[0]
    raise AssertionError("not finished")


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_a_broken_package_transfer_is_an_error(sat: FakeSat, client: SatClient, kind: str) -> None:
    """In memory as to a file: ``PackageTransferError`` (issue 11, item 12)."""
    id_paquete = package_id(client)
    sat.faults.add("Descargar", kind)
    with pytest.raises(PackageTransferError) as caught:
        client.descargar(id_paquete)
    assert "Descargar" in str(caught.value)
    # The failed transfer used one of the two downloads, as it does at SAT.
    assert sat.stats()["downloads"] == {id_paquete: 1}
    assert client.descargar(id_paquete).raise_for_status().paquete


def test_a_reset_of_a_small_answer(sat: FakeSat, client: SatClient) -> None:
    client.autentica()
    sat.faults.add("VerificaSolicitudDescarga", "reset")
    with pytest.raises(SatTransportError):
        client.verifica_solicitud_descarga("0b6c7d8e-9f10-4f7a-9e25-2d3f6a4e8c1b")


def test_random_faults_replay_with_the_same_seed() -> None:
    def draws(seed: int) -> list[tuple[str, str]]:
        plan = FaultPlan(rate=0.5, seed=seed)
        for _ in range(40):
            plan.pick("VerificaSolicitudDescarga")
        return plan.injected

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert 5 < len(draws(7)) < 35


def test_fault_plans_refuse_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultPlan(kinds=["meteor"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultPlan(rate=2)
