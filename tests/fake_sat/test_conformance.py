"""Client behaviours of other HTTP stacks, each sent byte for byte, over HTTP and HTTPS.

Every behaviour completes a whole valid flow on one connection (HTTP/1.0: one per call):
a signed Autentica, then SolicitaDescarga, VerificaSolicitudDescarga and Descargar with its token.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from lxml import etree

from sat_zeep.client.codes import EstadoComprobante, TipoSolicitud
from sat_zeep.client.models import Token
from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import AUTENTICACION, DESCARGA_MASIVA, SOAP_ENV
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat
from sat_zeep.testing.mock_transport import MockTransport, SoapRequest, SoapResponse

from .conftest import MakeSat
from .raw_http import Answer, RawConnection, chunked
from .test_server_security import autentica_envelope

AUTENTICA = "http://DescargaMasivaTerceros.gob.mx/IAutenticacion/Autentica"
_SERVICE = "http://DescargaMasivaTerceros.sat.gob.mx"
SOLICITA = f"{_SERVICE}/ISolicitaDescargaService/SolicitaDescargaEmitidos"
VERIFICA = f"{_SERVICE}/IVerificaSolicitudDescargaService/VerificaSolicitudDescarga"
DESCARGAR = f"{_SERVICE}/IDescargaMasivaTercerosService/Descargar"
BEHAVIOURS = (
    "content-length",
    "chunked",
    "expect-100-continue",
    "http-1.0",
    "accept-gzip",
    "soapaction-unquoted",
    "content-type-without-charset",
    "utf8-bom",
)


class Captured(Exception):
    """Raised by the capturing transport once the signed request is recorded."""


def _capture(_request: SoapRequest) -> SoapResponse:
    raise Captured


def signed(fiel: Fiel, sat: FakeSat, token: str, call: Callable[[SatClient], object]) -> bytes:
    """The body the project's client signs for ``call`` (captured, not sent)."""
    recorder = MockTransport(_capture)
    client = SatClient(fiel, sat.endpoints(), transport=recorder)
    client.token = Token(value=token, created=sat.now(), expires=sat.now() + timedelta(minutes=5))
    with pytest.raises(Captured):
        call(client)
    return recorder.requests[-1].body


class Caller:
    """Sends one SOAP call the way ``behaviour`` says, reusing the connection when it can."""

    def __init__(self, sat: FakeSat, behaviour: str) -> None:
        self.sat, self.behaviour = sat, behaviour
        self.connection: RawConnection | None = None

    def _connect(self) -> RawConnection:
        if self.connection is None or self.behaviour == "http-1.0":
            if self.connection is not None:
                self.connection.close()
            self.connection = RawConnection(
                self.sat.host, self.sat.port, self.sat.ca_pem if self.sat.tls else None
            )
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def post(self, url: str, action: str, body: bytes, token: str | None = None) -> Answer:
        behaviour = self.behaviour
        path = urlsplit(url).path
        version = "HTTP/1.0" if behaviour == "http-1.0" else "HTTP/1.1"
        if behaviour == "utf8-bom":
            body = b"\xef\xbb\xbf" + body
        content_type = (
            "text/xml"
            if behaviour == "content-type-without-charset"
            else ("text/xml; charset=utf-8")
        )
        soap_action = action if behaviour == "soapaction-unquoted" else f'"{action}"'
        headers = [
            f"POST {path} {version}",
            f"Host: {self.sat.host}:{self.sat.port}",
            f"Content-Type: {content_type}",
            f"SOAPAction: {soap_action}",
        ]
        if token is not None:
            headers.append(f'Authorization: WRAP access_token="{token}"')
        if behaviour == "accept-gzip":
            headers.append("Accept-Encoding: gzip, deflate")
        if behaviour == "chunked":
            headers.append("Transfer-Encoding: chunked")
            payload = chunked(body)
        else:
            headers.append(f"Content-Length: {len(body)}")
            payload = body
        if behaviour == "expect-100-continue":
            headers.append("Expect: 100-continue")
        connection = self._connect()
        head = ("\r\n".join(headers) + "\r\n\r\n").encode()
        if behaviour == "expect-100-continue":
            connection.send(head)
            assert connection.answer().status == 100
            connection.send(payload)
        else:
            connection.send(head + payload)
        return connection.answer()


def _xml(answer: Answer) -> etree._Element:
    assert answer.status == 200, answer.body[:500]
    return etree.fromstring(answer.body)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_every_client_behaviour_completes_the_flow(
    make_sat: MakeSat, fiel: Fiel, tls: bool, behaviour: str
) -> None:
    sat = make_sat(tls=tls, config=LedgerConfig(verifications_until_ready=1))
    endpoints = sat.endpoints()
    caller = Caller(sat, behaviour)
    try:
        answer = _xml(caller.post(endpoints.autenticacion, AUTENTICA, autentica_envelope(fiel)))
        token = answer.findtext(f".//{{{AUTENTICACION}}}AutenticaResult")
        assert token

        solicita = signed(
            fiel,
            sat,
            token,
            lambda client: client.solicita_descarga_emitidos(
                datetime(2026, 10, 1),
                datetime(2026, 10, 1, 23, 59, 59),
                TipoSolicitud.METADATA,
                estado_comprobante=EstadoComprobante.TODOS,
            ),
        )
        result = _xml(caller.post(endpoints.solicitud, SOLICITA, solicita, token))
        accepted = result.find(f".//{{{DESCARGA_MASIVA}}}SolicitaDescargaEmitidosResult")
        assert accepted is not None and accepted.get("CodEstatus") == "5000"
        id_solicitud = accepted.get("IdSolicitud") or ""

        packages: list[str] = []
        for _ in range(5):
            verifica = signed(
                fiel, sat, token, lambda client: client.verifica_solicitud_descarga(id_solicitud)
            )
            status = _xml(caller.post(endpoints.verificacion, VERIFICA, verifica, token))
            packages = [
                node.text or "" for node in status.iter(f"{{{DESCARGA_MASIVA}}}IdsPaquetes")
            ]
            if packages:
                break
        assert packages

        descargar = signed(fiel, sat, token, lambda client: client.descargar(packages[0]))
        package = _xml(caller.post(endpoints.descarga, DESCARGAR, descargar, token))
        header = package.find(f"{{{SOAP_ENV}}}Header/{{{DESCARGA_MASIVA}}}respuesta")
        assert header is not None and header.get("CodEstatus") == "5000"
        text = package.findtext(f".//{{{DESCARGA_MASIVA}}}Paquete") or ""
        assert zipfile.ZipFile(io.BytesIO(base64.b64decode(text))).testzip() is None
    finally:
        caller.close()
    assert sat.stats()["downloads"] == {packages[0]: 1}
