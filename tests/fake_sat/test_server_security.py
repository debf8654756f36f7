"""Everything the fake SAT refuses on authentication, tokens and request seals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from zeep.helpers import serialize_object

from sat_zeep.client.codes import CodEstatus, TipoSolicitud
from sat_zeep.client.models import SolicitaDescargaResult
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import (
    InvalidUserError,
    MalformedSealError,
    SatSoapFault,
    SealMismatchError,
)
from sat_zeep.plugins import RequestSigningPlugin, WrapAuthorizationPlugin
from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import AUTENTICACION, SOAP_ENV, WSU
from sat_zeep.signing.security_header import build_security_header, format_timestamp
from sat_zeep.soap.wsdl import load_document
from sat_zeep.testing.certificates import TestCertificateAuthority
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, post

#: SAT's wording since v1.5 (CONTRACT.md §3.3), not the fake's own.
RECIBIDOS_CANCELADOS = (
    "XML Mal Formado:La solicitud de descarga no es válida. "
    "No se permite la descarga de xml que se encuentren cancelados."
)
#: The fake SAT's month as SAT's XML writes it.
FIRST, LAST = f"{START}T00:00:00", f"{END}T23:59:59"

AUTENTICA = "http://DescargaMasivaTerceros.gob.mx/IAutenticacion/Autentica"
VERIFICA = (
    "http://DescargaMasivaTerceros.sat.gob.mx/IVerificaSolicitudDescargaService/"
    "VerificaSolicitudDescarga"
)


def autentica_envelope(
    fiel: Fiel,
    *,
    created: datetime | None = None,
    window: timedelta = timedelta(minutes=5),
    tamper: Callable[[etree._Element], None] | None = None,
) -> bytes:
    created = created or datetime.now(timezone.utc)
    envelope = etree.Element(etree.QName(SOAP_ENV, "Envelope"), nsmap={"s": SOAP_ENV})
    head = etree.SubElement(envelope, etree.QName(SOAP_ENV, "Header"))
    head.append(
        build_security_header(fiel, created=created, expires=created + window, token_id="uuid-x-1")
    )
    body = etree.SubElement(envelope, etree.QName(SOAP_ENV, "Body"))
    etree.SubElement(body, etree.QName(AUTENTICACION, "Autentica"), nsmap={None: AUTENTICACION})  # type: ignore[dict-item]
    if tamper is not None:
        tamper(envelope)
    return etree.tostring(envelope)


def autentica(sat: FakeSat, body: bytes) -> requests.Response:
    return post(sat.endpoints().autenticacion, body, AUTENTICA)


def assert_invalid_security(response: requests.Response) -> None:
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "a:InvalidSecurity"
    assert fault.findtext("faultstring") == (
        "An error occurred when verifying security for the message."
    )


def test_a_valid_autentica_gets_a_token_shaped_like_sats(sat: FakeSat, fiel: Fiel) -> None:
    response = autentica(sat, autentica_envelope(fiel))
    assert response.status_code == 200
    token = etree.fromstring(response.content).findtext(f".//{{{AUTENTICACION}}}AutenticaResult")
    assert token is not None and token.startswith("eyJ")
    assert "%26wrap_subject%3D" in token
    created = etree.fromstring(response.content).findtext(f".//{{{WSU}}}Created")
    expires = etree.fromstring(response.content).findtext(f".//{{{WSU}}}Expires")
    assert created and expires
    lifetime = datetime.fromisoformat(expires[:-1]) - datetime.fromisoformat(created[:-1])
    assert lifetime == timedelta(minutes=5)


def test_a_long_timestamp_is_refused_by_its_age_and_its_window(sat: FakeSat, fiel: Fiel) -> None:
    """A 30-day Timestamp created 10 days ago has not expired, but it is stale and too long."""
    now = datetime.now(timezone.utc)
    old = autentica_envelope(fiel, created=now - timedelta(days=10), window=timedelta(days=30))
    assert_invalid_security(autentica(sat, old))
    fresh_but_long = autentica_envelope(fiel, created=now, window=timedelta(hours=1))
    assert_invalid_security(autentica(sat, fresh_but_long))
    assert sat.stats()["rejections"] == {
        "autentica-the Timestamp's window is longer than 5 minutes": 2
    }
    assert sat.stats()["tokens_issued"] == 0


def test_a_replayed_autentica_is_refused(sat: FakeSat, fiel: Fiel) -> None:
    """WS-Security replay detection, as WCF does it: one signed Timestamp, one token."""
    envelope = autentica_envelope(fiel)
    assert autentica(sat, envelope).status_code == 200
    assert_invalid_security(autentica(sat, envelope))
    assert sat.stats()["tokens_issued"] == 1


def test_a_cfdi_token_is_refused_on_retenciones(sat: FakeSat, fiel: Fiel) -> None:
    """Each service has its own Autenticacion (CONTRACT.md §1.3, §2.2)."""
    with SatClient(fiel, sat.endpoints("cfdi")) as cfdi:
        token = cfdi.autentica().value
    body = _ENVELOPE_VERIFICA.encode()
    retenciones = post(sat.endpoints("retenciones").verificacion, body, VERIFICA, token=token)
    assert_invalid_security(retenciones)
    assert sat.stats()["rejections"] == {"token-audience": 1}
    # The same token still works on CFDI (an unsigned request: SAT's 302, not a fault).
    assert post(sat.endpoints("cfdi").verificacion, body, VERIFICA, token=token).status_code == 200


_ENVELOPE_VERIFICA = (
    f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
    '<des:VerificaSolicitudDescarga xmlns:des="http://DescargaMasivaTerceros.sat.gob.mx">'
    '<des:solicitud IdSolicitud="x" RfcSolicitante="SZP200101AB1"/>'
    "</des:VerificaSolicitudDescarga></s:Body></s:Envelope>"
)


def _change_created(envelope: etree._Element) -> None:
    node = envelope.find(f".//{{{WSU}}}Created")
    assert node is not None and node.text
    moment = datetime.fromisoformat(node.text.replace("Z", "+00:00"))
    node.text = format_timestamp(moment - timedelta(seconds=1))


def _drop_signature(envelope: etree._Element) -> None:
    signature = envelope.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    signature.getparent().remove(signature)  # type: ignore[union-attr]


@pytest.mark.parametrize("tamper", [_change_created, _drop_signature], ids=["tampered", "unsigned"])
def test_autentica_with_a_broken_signature_is_refused(
    sat: FakeSat, fiel: Fiel, tamper: Callable[[etree._Element], None]
) -> None:
    assert_invalid_security(autentica(sat, autentica_envelope(fiel, tamper=tamper)))
    assert sat.stats()["tokens_issued"] == 0


def test_autentica_with_a_stale_or_future_timestamp_is_refused(sat: FakeSat, fiel: Fiel) -> None:
    now = datetime.now(timezone.utc)
    for created in (now - timedelta(minutes=20), now + timedelta(minutes=20)):
        assert_invalid_security(autentica(sat, autentica_envelope(fiel, created=created)))
    # A small clock skew is tolerated.
    assert autentica(sat, autentica_envelope(fiel, created=now - timedelta(minutes=2))).ok


def test_autentica_refuses_csd_expired_and_foreign_certificates(
    sat: FakeSat, test_ca: TestCertificateAuthority
) -> None:
    csd = test_ca.issue_csd("SZP200101AB1").fiel()
    expired = test_ca.issue_fiel("SZP200101AB1", expired=True).fiel()
    foreign = TestCertificateAuthority.create("another CA").issue_fiel("SZP200101AB1").fiel()
    for fiel in (csd, expired, foreign):
        assert_invalid_security(autentica(sat, autentica_envelope(fiel)))
    reasons = sat.stats()["rejections"]
    assert reasons == {
        "autentica-the certificate is a CSD, not an e.firma": 1,
        "autentica-the certificate is expired or not yet valid": 1,
        "autentica-the certificate was not issued by a trusted CA": 1,
    }


def test_our_client_reports_the_fault_as_sat_sends_it(
    sat: FakeSat, test_ca: TestCertificateAuthority
) -> None:
    expired = test_ca.issue_fiel("SZP200101AB1", expired=True).fiel()
    with sat.client(expired, check_validity=False) as client, pytest.raises(SatSoapFault) as caught:
        client.autentica()
    assert caught.value.fault_code == "a:InvalidSecurity"
    assert caught.value.status_code == 500


def verifica_envelope(client: SatClient) -> bytes:
    """A correctly signed Verifica request, captured from our own client's plugins."""
    zeep_client = zeep.Client(
        load_document("verificacion"), plugins=[RequestSigningPlugin(client.fiel)]
    )
    message = zeep_client.create_message(
        zeep_client.service,
        "VerificaSolicitudDescarga",
        solicitud={
            "IdSolicitud": "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10",
            "RfcSolicitante": client.fiel.rfc,
        },
    )
    envelope, _ = RequestSigningPlugin(client.fiel).egress(message, {}, None, None)
    return etree.tostring(envelope)


@pytest.mark.parametrize("token", [None, "garbage", "forged"])
def test_calls_without_a_valid_token_are_refused(
    sat: FakeSat, client: SatClient, token: str | None
) -> None:
    real = client.autentica().value
    sent = {"forged": real.replace("eyJ", "eyK", 1), "garbage": "abc", None: None}[token]
    response = post(sat.endpoints().verificacion, verifica_envelope(client), VERIFICA, sent)
    assert_invalid_security(response)
    assert post(sat.endpoints().verificacion, verifica_envelope(client), VERIFICA, real).ok


def test_a_token_expires_after_five_minutes(sat: FakeSat, client: SatClient) -> None:
    token = client.autentica()
    sat.advance(timedelta(minutes=5, seconds=1))
    response = post(sat.endpoints().verificacion, verifica_envelope(client), VERIFICA, token.value)
    assert_invalid_security(response)
    assert sat.stats()["rejections"] == {"token-expired": 1}


def test_a_token_of_another_certificate_is_usuario_no_valido(
    sat: FakeSat, fiel: Fiel, fresh_fiel: Fiel
) -> None:
    with sat.client(fiel) as owner, sat.client(fresh_fiel) as other:
        other.token = owner.autentica()
        result = other.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA)
    assert result.cod_estatus is CodEstatus.USUARIO_NO_VALIDO
    with pytest.raises(InvalidUserError):
        result.raise_for_status()


class TamperingTransport(zeep.Transport):  # type: ignore[misc]
    """Changes the request bytes after they were signed, as an attacker (or a bug) would."""

    def __init__(self, old: bytes, new: bytes) -> None:
        super().__init__()
        self.old, self.new = old, new

    def post_xml(
        self, address: str, envelope: etree._Element, headers: dict[str, str]
    ) -> requests.Response:
        message = etree.tostring(envelope)
        if b"Autentica" not in message:
            message = message.replace(self.old, self.new)
        response: requests.Response = self.post(address, message, headers)
        return response


def test_a_request_changed_after_signing_is_sello_mal_formado(sat: FakeSat, fiel: Fiel) -> None:
    transport = TamperingTransport(
        f'FechaFinal="{LAST}"'.encode(), f'FechaFinal="{END - timedelta(days=1)}T23:59:59"'.encode()
    )
    with SatClient(fiel, sat.endpoints(), transport=transport) as client:
        result = client.solicita_descarga_emitidos(START, END, TipoSolicitud.METADATA)
    assert result.cod_estatus is CodEstatus.SELLO_MAL_FORMADO
    with pytest.raises(MalformedSealError):
        result.raise_for_status()
    assert sat.stats()["requests_accepted"] == 0


def raw_solicitud(client: SatClient, operation: str, **attributes: object) -> Any:
    """Send a Solicitud built by hand with raw zeep and our plugins (bypassing validation)."""
    token = client.autentica().value
    zeep_client = zeep.Client(
        load_document("solicitud"),
        plugins=[WrapAuthorizationPlugin(token), RequestSigningPlugin(client.fiel)],
    )
    service = zeep_client.create_service(
        next(iter(zeep_client.wsdl.bindings)), client.endpoints.solicitud
    )
    return service[operation](solicitud=attributes)


def test_rfcs_must_match_the_seal(client: SatClient) -> None:
    base = {
        "FechaInicial": FIRST,
        "FechaFinal": LAST,
        "TipoSolicitud": "Metadata",
    }
    emitidos = raw_solicitud(client, "SolicitaDescargaEmitidos", RfcEmisor="AAA010101AAA", **base)
    assert emitidos.CodEstatus == "303"
    assert emitidos.Mensaje == "Sello no corresponde con RfcEmisor"
    solicitante = raw_solicitud(
        client,
        "SolicitaDescargaRecibidos",
        RfcReceptor=client.fiel.rfc,
        RfcSolicitante="AAA010101AAA",
        **base,
    )
    assert solicitante.CodEstatus == "303"
    result = SolicitaDescargaResult.model_validate(serialize_object(solicitante, dict))
    with pytest.raises(SealMismatchError):
        result.raise_for_status()


@pytest.mark.parametrize(
    ("operation", "attributes", "mensaje"),
    [
        (
            "SolicitaDescargaEmitidos",
            {"FechaInicial": f"{END}T00:00:00", "FechaFinal": FIRST},
            "FechaInicial debe ser menor a FechaFinal",
        ),
        ("SolicitaDescargaEmitidos", {"FechaInicial": "2019-01-01T00:00:00"}, "excede los 6 años"),
        (
            "SolicitaDescargaRecibidos",
            {"TipoSolicitud": "CFDI", "EstadoComprobante": "Cancelado"},
            RECIBIDOS_CANCELADOS,
        ),
        ("SolicitaDescargaRecibidos", {"TipoSolicitud": "CFDI"}, RECIBIDOS_CANCELADOS),
        (
            "SolicitaDescargaRecibidos",
            {"TipoSolicitud": "CFDI", "EstadoComprobante": "Todos"},
            RECIBIDOS_CANCELADOS,
        ),
        ("SolicitaDescargaEmitidos", {"Complemento": "nomina13"}, "Complemento 'nomina13'"),
        (
            "SolicitaDescargaEmitidos",
            {"RfcReceptores": {"RfcReceptor": ["AAA010101AAA"] * 6}},
            "máximo 5",
        ),
        (
            "SolicitaDescargaEmitidos",
            {"RfcReceptores": {"RfcReceptor": ["NOT-AN-RFC"]}},
            "no es un RFC",
        ),
        ("SolicitaDescargaEmitidos", {"TipoSolicitud": "Todo"}, "TipoSolicitud 'Todo'"),
        ("SolicitaDescargaEmitidos", {"EstadoComprobante": "1"}, "EstadoComprobante '1'"),
        ("SolicitaDescargaFolio", {"Folio": "not-a-uuid"}, "Folio debe ser un UUID"),
    ],
)
def test_parameters_sat_rejects_answer_301(
    client: SatClient, operation: str, attributes: dict[str, object], mensaje: str
) -> None:
    rfc = client.fiel.rfc
    bases: dict[str, dict[str, object]] = {
        "SolicitaDescargaEmitidos": {"RfcEmisor": rfc},
        "SolicitaDescargaRecibidos": {"RfcReceptor": rfc},
        "SolicitaDescargaFolio": {},
    }
    base = bases[operation]
    if operation != "SolicitaDescargaFolio":
        base |= {
            "FechaInicial": FIRST,
            "FechaFinal": LAST,
            "TipoSolicitud": "Metadata",
        }
    result = raw_solicitud(client, operation, RfcSolicitante=rfc, **(base | attributes))
    assert result.CodEstatus == "301"
    assert mensaje in result.Mensaje


def test_the_removed_solicita_descarga_action_is_not_supported(sat: FakeSat) -> None:
    action = "http://DescargaMasivaTerceros.sat.gob.mx/ISolicitaDescargaService/SolicitaDescarga"
    response = post(
        sat.endpoints().solicitud,
        b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body/></s:Envelope>",
        action,
        "x",
    )
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "a:ActionNotSupported"
    assert "ContractFilter mismatch" in (fault.findtext("faultstring") or "")


def test_entities_and_garbage_are_refused(sat: FakeSat) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&a;</s:Body></s:Envelope>'
    for body in (bomb, b"not xml"):
        response = post(sat.endpoints().autenticacion, body, AUTENTICA)
        assert response.status_code == 500
        assert b"Fault" in response.content


def test_a_token_refused_by_sat_is_renewed_once(sat: FakeSat, fiel: Fiel) -> None:
    with sat.client(fiel, clock=lambda: datetime.now(timezone.utc)) as client:
        client.autentica()
        sat.advance(timedelta(minutes=6))  # SAT's clock runs ahead: it sees the token expired
        state = client.verifica_solicitud_descarga("0b6c7d8e-9f10-4f7a-9e25-2d3f6a4e8c1b")
    assert state.cod_estatus is CodEstatus.NO_SE_ENCONTRO_INFORMACION
    assert sat.stats()["tokens_issued"] == 2
    assert sat.stats()["rejections"]["token-expired"] == 1
