"""A MockTransport handler that answers from tests/fixtures/responses and checks each request."""

from __future__ import annotations

import base64
from pathlib import Path

from sat_zeep.signing.request_signature import verify_request
from sat_zeep.soap.envelope import body_operation
from sat_zeep.testing.mock_transport import SoapRequest, SoapResponse

RESPONSES = Path(__file__).parent / "fixtures" / "responses"
TOKEN = (RESPONSES / "autentica-token.xml").read_text().split("<AutenticaResult>")[1].split("<")[0]


def fixture_reply(name: str, status_code: int = 200) -> SoapResponse:
    return SoapResponse(status_code, (RESPONSES / name).read_bytes())


def descarga_reply(
    paquete: bytes, code: str = "5000", mensaje: str = "Solicitud Aceptada"
) -> SoapResponse:
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        f'<h:respuesta CodEstatus="{code}" Mensaje="{mensaje}" '
        'xmlns:h="http://DescargaMasivaTerceros.sat.gob.mx" '
        'xmlns="http://DescargaMasivaTerceros.sat.gob.mx"/></s:Header><s:Body>'
        '<RespuestaDescargaMasivaTercerosSalida xmlns="http://DescargaMasivaTerceros.sat.gob.mx">'
        f"<Paquete>{base64.b64encode(paquete).decode()}</Paquete>"
        "</RespuestaDescargaMasivaTercerosSalida></s:Body></s:Envelope>"
    )
    return SoapResponse(200, body.encode())


class CannedSat:
    """Answers by SOAPAction; checks the WRAP header and the request signature like SAT."""

    def __init__(self) -> None:
        self.replies: dict[str, SoapResponse] = {
            "Autentica": fixture_reply("autentica-token.xml"),
            "SolicitaDescargaEmitidos": fixture_reply("solicita-Emitidos-aceptada.xml"),
            "SolicitaDescargaRecibidos": fixture_reply("solicita-Recibidos-aceptada.xml"),
            "SolicitaDescargaFolio": fixture_reply("solicita-Folio-aceptada.xml"),
            "VerificaSolicitudDescarga": fixture_reply("verifica-terminada.xml"),
            "Descargar": descarga_reply(b"PK\x05\x06" + bytes(18)),
        }
        self.actions: list[str] = []

    def __call__(self, request: SoapRequest) -> SoapResponse:
        action = request.soap_action.rsplit("/", 1)[1]
        self.actions.append(action)
        if action != "Autentica":
            assert request.headers["Authorization"] == f'WRAP access_token="{TOKEN}"'
            verify_request(body_operation(request.envelope()))
        return self.replies[action]
