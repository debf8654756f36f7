from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from sat_zeep.client.codes import CodEstatus, EstadoSolicitud, TipoSolicitud
from sat_zeep.client.models import Token
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import (
    CredentialError,
    NotFoundError,
    RequestsExhaustedError,
    RequestValidationError,
    SatHTTPError,
    SatResponseError,
    SatSoapFault,
    SatTimeout,
    SatTransportError,
)
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.testing.certificates import TestCertificateAuthority
from sat_zeep.testing.mock_transport import MockTransport, SoapRequest, SoapResponse

from .canned_sat import RESPONSES, TOKEN, CannedSat, descarga_reply, fixture_reply

NOW = datetime(2026, 1, 15, 17, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sat() -> CannedSat:
    return CannedSat()


@pytest.fixture
def transport(sat: CannedSat) -> MockTransport:
    return MockTransport(sat)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(fiel: Fiel, transport: MockTransport, clock: Clock) -> SatClient:
    return SatClient(fiel, transport=transport, clock=clock)


def test_full_flow_authenticates_once_and_signs_everything(
    client: SatClient, transport: MockTransport, sat: CannedSat
) -> None:
    solicitud = client.solicita_descarga_emitidos(
        date(2025, 1, 1), date(2025, 1, 31), TipoSolicitud.METADATA
    ).raise_for_status()
    assert solicitud.id_solicitud == "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
    assert solicitud.cod_estatus is CodEstatus.SOLICITUD_ACEPTADA

    verificacion = client.verifica_solicitud_descarga(solicitud.id_solicitud).raise_for_status()
    assert verificacion.estado_solicitud is EstadoSolicitud.TERMINADA
    assert verificacion.numero_cfdis == 12
    assert len(verificacion.ids_paquetes) == 2

    paquete = client.descargar(verificacion.ids_paquetes[0]).raise_for_status()
    assert paquete.paquete == b"PK\x05\x06" + bytes(18)
    assert sat.actions == [
        "Autentica",
        "SolicitaDescargaEmitidos",
        "VerificaSolicitudDescarga",
        "Descargar",
    ]
    assert [request.url for request in transport.requests] == [
        "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/Autenticacion/Autenticacion.svc",
        "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/SolicitaDescargaService.svc",
        "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/VerificaSolicitudDescargaService.svc",
        "https://cfdidescargamasiva.clouda.sat.gob.mx/DescargaMasivaService.svc",
    ]
    assert "Authorization" not in transport.requests[0].headers


def test_token_lifetime_comes_from_sats_timestamp(client: SatClient) -> None:
    token = client.autentica()
    assert token.value == TOKEN
    assert token.created == NOW
    assert token.expires == NOW + timedelta(minutes=5)
    assert TOKEN not in repr(client) + repr(token)


def test_token_is_renewed_before_it_expires(
    client: SatClient, clock: Clock, sat: CannedSat
) -> None:
    client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    clock.now = NOW + timedelta(minutes=4)
    client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    assert sat.actions.count("Autentica") == 1
    clock.now = NOW + timedelta(minutes=4, seconds=45)
    client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    assert sat.actions.count("Autentica") == 2


@pytest.mark.parametrize(
    ("left", "authentications"),
    [(timedelta(seconds=31), 1), (timedelta(seconds=30), 2), (timedelta(seconds=29), 2)],
)
def test_a_token_is_renewed_when_30_seconds_or_less_are_left(
    client: SatClient, clock: Clock, sat: CannedSat, left: timedelta, authentications: int
) -> None:
    """The renewal margin is 30 s: a token with 31 s left is still used, one with 30 s is not."""
    client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    clock.now = NOW + timedelta(minutes=5) - left
    client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    assert sat.actions.count("Autentica") == authentications


def test_a_persisted_token_is_reused(fiel: Fiel, transport: MockTransport, sat: CannedSat) -> None:
    saved = Token(value=TOKEN, created=NOW, expires=NOW + timedelta(minutes=5)).model_dump_json()
    client = SatClient(fiel, transport=transport, clock=lambda: NOW + timedelta(minutes=1))
    client.token = Token.model_validate_json(saved)
    client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    assert sat.actions == ["VerificaSolicitudDescarga"]


def test_retenciones_endpoints(fiel: Fiel, transport: MockTransport) -> None:
    client = SatClient(fiel, Endpoints.retenciones(), transport=transport, clock=lambda: NOW)
    client.solicita_descarga_recibidos(date(2025, 1, 1), date(2025, 1, 31), "CFDI")
    assert transport.requests[1].url == (
        "https://retendescargamasivasolicitud.clouda.sat.gob.mx/SolicitaDescargaService.svc"
    )


def test_from_base_url_layout() -> None:
    endpoints = Endpoints.from_base_url("http://127.0.0.1:8080/", service="retenciones")
    assert endpoints.autenticacion == (
        "http://127.0.0.1:8080/retenciones/Autenticacion/Autenticacion.svc"
    )
    assert endpoints.descarga == "http://127.0.0.1:8080/retenciones/DescargaMasivaService.svc"


def test_invalid_parameters_send_nothing(client: SatClient, transport: MockTransport) -> None:
    with pytest.raises(RequestValidationError) as caught:
        client.solicita_descarga_emitidos(
            date(2025, 2, 1), date(2025, 1, 1), "CFDI", rfc_receptores=["bad"] * 6
        )
    assert len(caught.value.problems) >= 2
    assert transport.requests == []


def test_status_codes_are_data_until_raise_for_status(client: SatClient, sat: CannedSat) -> None:
    sat.replies["SolicitaDescargaEmitidos"] = fixture_reply("solicita-Emitidos-5002.xml")
    result = client.solicita_descarga_emitidos(date(2025, 1, 1), date(2025, 1, 31), "CFDI")
    assert not result.is_accepted
    with pytest.raises(RequestsExhaustedError, match="5002"):
        result.raise_for_status()


def test_rejected_verification_raises_not_found(client: SatClient, sat: CannedSat) -> None:
    sat.replies["VerificaSolicitudDescarga"] = fixture_reply("verifica-rechazada-5004.xml")
    result = client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")
    assert result.estado_solicitud is EstadoSolicitud.RECHAZADA
    with pytest.raises(NotFoundError):
        result.raise_for_status()


def test_soap_fault_keeps_sats_code_and_text(client: SatClient, sat: CannedSat) -> None:
    sat.replies["Autentica"] = fixture_reply("autentica-fault-invalid-security.xml", 500)
    with pytest.raises(SatSoapFault) as caught:
        client.autentica()
    fault = caught.value
    assert fault.fault_code == "a:InvalidSecurity"
    assert fault.fault_string == "An error occurred when verifying security for the message."
    assert fault.status_code == 500
    assert b"InvalidSecurity" in fault.raw
    assert "clock" in str(fault)


def test_removed_operation_fault(client: SatClient, sat: CannedSat) -> None:
    sat.replies["SolicitaDescargaFolio"] = fixture_reply(
        "solicita-fault-action-not-supported.xml", 500
    )
    with pytest.raises(SatSoapFault) as caught:
        client.solicita_descarga_folio("7e1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b")
    assert caught.value.fault_code == "a:ActionNotSupported"


def test_http_error_without_fault(client: SatClient, sat: CannedSat) -> None:
    sat.replies["Autentica"] = SoapResponse(503, (RESPONSES / "http-503.html").read_bytes())
    with pytest.raises(SatHTTPError) as caught:
        client.autentica()
    assert type(caught.value) is SatHTTPError
    assert caught.value.status_code == 503
    assert b"503" in caught.value.raw


def test_empty_http_error(client: SatClient, sat: CannedSat) -> None:
    sat.replies["Autentica"] = SoapResponse(500, b"")
    with pytest.raises(SatHTTPError, match="HTTP 500"):
        client.autentica()


def test_unparseable_success_keeps_raw_bytes(client: SatClient, sat: CannedSat) -> None:
    sat.replies["Autentica"] = SoapResponse(200, b"<not-xml")
    with pytest.raises(SatResponseError) as caught:
        client.autentica()
    assert caught.value.raw == b"<not-xml"


def test_entities_in_a_response_are_refused(client: SatClient, sat: CannedSat) -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY boom "boom">]>' + (
        RESPONSES / "autentica-token.xml"
    ).read_bytes().replace(b"eyJ", b"&boom;eyJ", 1)
    sat.replies["Autentica"] = SoapResponse(200, hostile)
    with pytest.raises(SatResponseError):
        client.autentica()


def test_result_missing_required_attribute(client: SatClient, sat: CannedSat) -> None:
    body = (
        (RESPONSES / "verifica-en-proceso.xml").read_bytes().replace(b' EstadoSolicitud="2"', b"")
    )
    sat.replies["VerificaSolicitudDescarga"] = SoapResponse(200, body)
    with pytest.raises(SatResponseError):
        client.verifica_solicitud_descarga("2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10")


def test_download_header_only_error(client: SatClient, sat: CannedSat) -> None:
    sat.replies["Descargar"] = fixture_reply("descarga-error-5008.xml")
    result = client.descargar("2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01")
    assert result.cod_estatus is CodEstatus.MAXIMO_DE_DESCARGAS
    assert result.paquete is None


def test_packages_far_above_libxml2s_10_mb_limit(client: SatClient, sat: CannedSat) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("big.bin", bytes(range(256)) * 60_000)  # 15 MB, 20 MB of base64
    sat.replies["Descargar"] = descarga_reply(buffer.getvalue())
    result = client.descargar("2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01").raise_for_status()
    assert result.paquete == buffer.getvalue()
    assert len(base64.b64encode(buffer.getvalue())) > 10_000_000


def raising(error: Exception) -> MockTransport:
    def handler(request: SoapRequest) -> SoapResponse:
        raise error

    return MockTransport(handler)


def test_timeouts_and_connection_failures(fiel: Fiel) -> None:
    with pytest.raises(SatTimeout, match="did not answer in time"):
        SatClient(fiel, transport=raising(requests.ReadTimeout()), clock=lambda: NOW).autentica()
    with pytest.raises(SatTransportError, match="could not reach SAT"):
        SatClient(
            fiel, transport=raising(requests.ConnectionError("refused")), clock=lambda: NOW
        ).autentica()


def test_csd_is_refused(test_ca: TestCertificateAuthority, transport: MockTransport) -> None:
    csd = test_ca.issue_csd("SZP200101AB1").fiel()
    with pytest.raises(CredentialError, match="CSD"):
        SatClient(csd, transport=transport)
    with pytest.raises(CredentialError, match="CSD"):
        SatClient(csd, transport=transport, check_validity=False)


def test_expired_fiel_is_refused_unless_replaying(fiel: Fiel, transport: MockTransport) -> None:
    later = datetime(2035, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(CredentialError, match="expired"):
        SatClient(fiel, transport=transport, clock=lambda: later)
    SatClient(fiel, transport=transport, clock=lambda: later, check_validity=False).autentica()


def test_default_transport_has_timeouts(fiel: Fiel) -> None:
    with SatClient(fiel, clock=lambda: NOW) as client:
        assert client.transport.operation_timeout == (15.0, 120.0)
