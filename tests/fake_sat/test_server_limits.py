"""SAT's limits, enforced by the fake SAT: 5002, 5003, 5004, 5005, 5007, 5008, 5011, 5012."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from sat_zeep.client.codes import CodEstatus, EstadoComprobante, EstadoSolicitud, TipoSolicitud
from sat_zeep.client.models import VerificaSolicitudDescargaResult
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import (
    DownloadLimitError,
    DuplicateRequestError,
    NotFoundError,
    PackageExpiredError,
    RequestsExhaustedError,
    ResultLimitExceededError,
)
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, MakeSat


def settle(client: SatClient, id_solicitud: str | None) -> VerificaSolicitudDescargaResult:
    assert id_solicitud is not None
    for _ in range(10):
        state = client.verifica_solicitud_descarga(id_solicitud)
        if not state.is_pending:
            return state
    raise AssertionError("the request never settled")


def test_a_duplicate_of_an_active_request_is_5005(client: SatClient) -> None:
    first = client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA).raise_for_status()
    again = client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA)
    assert again.cod_estatus is CodEstatus.SOLICITUD_DUPLICADA
    assert again.id_solicitud is None
    with pytest.raises(DuplicateRequestError):
        again.raise_for_status()
    settle(client, first.id_solicitud)
    # Once the first one is finished, the same metadata request is welcome again.
    client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA).raise_for_status()


def test_the_third_xml_request_for_one_period_is_5002(client: SatClient) -> None:
    for _ in range(2):
        accepted = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
        settle(client, accepted.raise_for_status().id_solicitud)
    third = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
    with pytest.raises(RequestsExhaustedError):
        third.raise_for_status()
    # A period one second shorter is another period.
    end = END.isoformat() + "T23:59:58"
    from datetime import datetime

    shorter = client.solicita_descarga_emitidos(
        datetime.fromisoformat(START.isoformat()), datetime.fromisoformat(end), TipoSolicitud.CFDI
    )
    assert shorter.is_accepted


def test_too_many_documents_is_5003_and_packages_split(make_sat: MakeSat, fiel: Fiel) -> None:
    config = LedgerConfig(max_metadata_per_request=10, max_xml_per_package=100)
    sat = make_sat(config=config)
    with sat.client(fiel) as client:
        metadata = client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA)
        state = settle(client, metadata.id_solicitud)
        assert state.estado_solicitud is EstadoSolicitud.RECHAZADA
        assert state.codigo_estado_solicitud is CodEstatus.TOPE_MAXIMO
        with pytest.raises(ResultLimitExceededError):
            state.raise_for_status()

        xml = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
        state = settle(client, xml.id_solicitud).raise_for_status()
        assert len(state.ids_paquetes) == -(-state.numero_cfdis // 100) > 1
        assert state.ids_paquetes[1].endswith("_02")


def test_unknown_ids_are_5004(client: SatClient) -> None:
    unknown = "0b6c7d8e-9f10-4f7a-9e25-2d3f6a4e8c1b"
    state = client.verifica_solicitud_descarga(unknown)
    assert state.cod_estatus is CodEstatus.NO_SE_ENCONTRO_INFORMACION
    with pytest.raises(NotFoundError):
        state.raise_for_status()
    with pytest.raises(NotFoundError):
        client.descargar(f"{unknown.upper()}_01").raise_for_status()


def finished_package(client: SatClient) -> str:
    accepted = client.solicita_descarga_recibidos(START, END, TipoSolicitud.METADATA)
    return (
        settle(client, accepted.raise_for_status().id_solicitud).raise_for_status().ids_paquetes[0]
    )


def test_a_package_downloads_twice_then_5008(client: SatClient, sat: FakeSat) -> None:
    id_paquete = finished_package(client)
    first = client.descargar(id_paquete).raise_for_status().paquete
    second = client.descargar(id_paquete).raise_for_status().paquete
    assert first == second
    third = client.descargar(id_paquete)
    assert third.paquete is None
    with pytest.raises(DownloadLimitError):
        third.raise_for_status()
    assert sat.stats()["downloads"] == {id_paquete: 2}


def test_packages_expire_after_72_hours(sat: FakeSat, fiel: Fiel) -> None:
    # The client lives by the server's clock, as it would by a synchronized one.
    with sat.client(fiel, clock=sat.now) as client:
        id_paquete = finished_package(client)
        id_solicitud = id_paquete.rsplit("_", 1)[0].lower()
        sat.advance(timedelta(hours=72, seconds=1))
        with pytest.raises(PackageExpiredError):
            client.descargar(id_paquete).raise_for_status()
        state = client.verifica_solicitud_descarga(id_solicitud)
    assert state.estado_solicitud is EstadoSolicitud.VENCIDA
    assert state.is_failed


def cancelled_uuid(client: SatClient) -> str:
    accepted = client.solicita_descarga_emitidos(
        START, END, TipoSolicitud.METADATA, estado_comprobante=EstadoComprobante.CANCELADO
    )
    id_paquete = settle(client, accepted.id_solicitud).raise_for_status().ids_paquetes[0]
    package = zipfile.ZipFile(io.BytesIO(client.descargar(id_paquete).paquete or b""))
    name = next(name for name in package.namelist() if not name.endswith("_tercero.txt"))
    row = package.read(name).decode().split("\r\n")[1].split("~")
    assert row[10] == "0"
    return row[0]


def test_folio_limits_5012_and_5011(make_sat: MakeSat, fiel: Fiel) -> None:
    sat = make_sat(config=LedgerConfig(folio_requests_per_day=1))
    with sat.client(fiel) as client:
        uuid = cancelled_uuid(client)
        cancelled = client.solicita_descarga_folio(uuid)
        assert cancelled.cod_estatus is CodEstatus.CANCELADOS_NO_PERMITIDOS
        first = client.solicita_descarga_folio("11111111-2222-4333-8444-555555555555")
        assert first.is_accepted
        second = client.solicita_descarga_folio("11111111-2222-4333-8444-666666666666")
        assert second.cod_estatus is CodEstatus.LIMITE_FOLIOS
        state = settle(client, first.id_solicitud)
        assert state.codigo_estado_solicitud is CodEstatus.NO_SE_ENCONTRO_INFORMACION


def test_a_restarted_server_remembers_requests_packages_and_limits(
    sat: FakeSat, fiel: Fiel
) -> None:
    with sat.client(fiel) as client:
        id_paquete = finished_package(client)
        client.descargar(id_paquete).raise_for_status()
        client.descargar(id_paquete).raise_for_status()
        pending = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
    sat.stop()
    with FakeSat(sat.state_dir) as again, again.client(fiel) as client:
        with pytest.raises(DownloadLimitError):
            client.descargar(id_paquete).raise_for_status()
        state = client.verifica_solicitud_descarga(pending.id_solicitud or "")
        assert state.estado_solicitud in (EstadoSolicitud.ACEPTADA, EstadoSolicitud.EN_PROCESO)
        duplicate = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
        assert duplicate.cod_estatus is CodEstatus.SOLICITUD_DUPLICADA
