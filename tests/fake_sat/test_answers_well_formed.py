"""Every fault and refusal the fake SAT sends is well-formed XML shaped like SAT's (SOAP 1.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import AUTENTICACION, SOAP_ENV
from sat_zeep.testing.fake_sat.server import FakeSat

from .raw_http import Answer, RawConnection, chunked
from .test_server_security import autentica_envelope

AUTENTICA = "http://DescargaMasivaTerceros.gob.mx/IAutenticacion/Autentica"
VERIFICA = (
    "http://DescargaMasivaTerceros.sat.gob.mx/IVerificaSolicitudDescargaService/"
    "VerificaSolicitudDescarga"
)
_ENVELOPE = f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{{}}</s:Body></s:Envelope>'
_VERIFICA_BODY = (
    '<des:VerificaSolicitudDescarga xmlns:des="http://DescargaMasivaTerceros.sat.gob.mx">'
    '<des:solicitud IdSolicitud="{id}" RfcSolicitante="SZP200101AB1"/>'
    "</des:VerificaSolicitudDescarga>"
)


def send(
    sat: FakeSat,
    path: str,
    action: str,
    body: bytes,
    *,
    token: str | None = None,
    extra: tuple[str, ...] = (),
    framing: str = "length",
) -> Answer:
    connection = RawConnection(sat.host, sat.port)
    try:
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {sat.host}",
            "Content-Type: text/xml; charset=utf-8",
            f'SOAPAction: "{action}"',
            *extra,
        ]
        if token is not None:
            lines.append(f'Authorization: WRAP access_token="{token}"')
        if framing == "chunked":
            lines.append("Transfer-Encoding: chunked")
            payload = chunked(body, 65536)
        elif framing == "length":
            lines.append(f"Content-Length: {len(body)}")
            payload = body
        else:
            lines.append(f"Content-Length: {framing}")
            payload = body
        connection.send(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        return connection.answer()
    finally:
        connection.close()


def fault_of(answer: Answer) -> tuple[str, str]:
    """(faultcode, faultstring) of a SOAP 1.1 fault, after checking its shape."""
    assert answer.headers["content-type"].startswith("text/xml")
    envelope = etree.fromstring(answer.body)
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1
    fault = body[0]
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    code = fault.find("faultcode")
    assert code is not None and code.text
    prefix, _, local = code.text.partition(":")
    assert local and code.nsmap.get(prefix), "the faultcode's prefix must be declared"
    return code.text, fault.findtext("faultstring") or ""


def token_for(sat: FakeSat, fiel: Fiel, kind: str = "cfdi") -> str:
    answer = send(
        sat, f"/{kind}/Autenticacion/Autenticacion.svc", AUTENTICA, autentica_envelope(fiel)
    )
    found = etree.fromstring(answer.body).findtext(f".//{{{AUTENTICACION}}}AutenticaResult")
    assert found
    return found


AUTH = "/cfdi/Autenticacion/Autenticacion.svc"
VERIFY = "/cfdi/VerificaSolicitudDescargaService.svc"
Case = Callable[[FakeSat, Fiel], Answer]
CASES: dict[str, tuple[Case, int, str]] = {
    "not-well-formed": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, b"<s:Envelope"),
        500,
        "s:Client",
    ),
    "empty-body": (lambda sat, fiel: send(sat, AUTH, AUTENTICA, b""), 500, "s:Client"),
    "body-without-child": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, _ENVELOPE.format("").encode()),
        500,
        "s:Client",
    ),
    "body-with-two-children": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, _ENVELOPE.format("<a/><b/>").encode()),
        500,
        "s:Client",
    ),
    "doctype": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, b"<!DOCTYPE x []>" + autentica_envelope(fiel)),
        500,
        "s:Client",
    ),
    "duplicate-xml-id": (
        lambda sat, fiel: send(
            sat,
            AUTH,
            AUTENTICA,
            _ENVELOPE.format('<a xml:id="x"/>').replace("<s:Body>", '<s:Body xml:id="x">').encode(),
        ),
        500,
        "s:Client",
    ),
    "action-not-supported": (
        lambda sat, fiel: send(sat, AUTH, "urn:nothing", autentica_envelope(fiel)),
        500,
        "a:ActionNotSupported",
    ),
    "autentica-refused": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, _ENVELOPE.format("<a/>").encode()),
        500,
        "a:InvalidSecurity",
    ),
    "token-missing": (
        lambda sat, fiel: send(
            sat, VERIFY, VERIFICA, _ENVELOPE.format(_VERIFICA_BODY.format(id="x")).encode()
        ),
        500,
        "a:InvalidSecurity",
    ),
    "token-forged": (
        lambda sat, fiel: send(
            sat,
            VERIFY,
            VERIFICA,
            _ENVELOPE.format(_VERIFICA_BODY.format(id="x")).encode(),
            token="eyJ.eyJ.x%26wrap_subject%3d30",
        ),
        500,
        "a:InvalidSecurity",
    ),
    "unsigned-request-with-duplicate-id": (
        lambda sat, fiel: send(
            sat,
            VERIFY,
            VERIFICA,
            _ENVELOPE.format(
                _VERIFICA_BODY.format(id="x").replace(
                    "<des:solicitud ", '<des:solicitud xml:id="d" '
                )
                + ""
            )
            .replace("<s:Body>", '<s:Body xml:id="d">')
            .encode(),
            token=token_for(sat, fiel),
        ),
        500,
        "s:Client",
    ),
    "negative-content-length": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, b"<x/>", framing="-1"),
        400,
        "s:Client",
    ),
    "chunked-body-over-the-cap": (
        lambda sat, fiel: send(sat, AUTH, AUTENTICA, b"<" * (11 * 1024 * 1024), framing="chunked"),
        413,
        "s:Client",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_fault_is_well_formed_and_soap_shaped(sat: FakeSat, fiel: Fiel, case: str) -> None:
    make, status, code = CASES[case]
    answer = make(sat, fiel)
    assert answer.status == status
    assert fault_of(answer)[0] == code


def test_an_exception_inside_the_app_answers_wcfs_internal_fault(
    sat: FakeSat, fiel: Fiel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise KeyError("a bug in the fake")

    monkeypatch.setattr(sat.app, "_autentica", broken)
    answer = send(sat, AUTH, AUTENTICA, autentica_envelope(fiel))
    assert answer.status == 500
    assert fault_of(answer) == (
        "a:InternalServiceFault",
        "The server was unable to process the request due to an internal error.",
    )
    assert sat.stats()["rejections"]["internal-error"] == 1


def test_business_refusals_are_well_formed(sat: FakeSat, fiel: Fiel) -> None:
    """An unsigned Verifica with a valid token: SAT's 302 in the operation's normal answer."""
    answer = send(
        sat,
        VERIFY,
        VERIFICA,
        _ENVELOPE.format(_VERIFICA_BODY.format(id="x")).encode(),
        token=token_for(sat, fiel),
    )
    assert answer.status == 200
    result = etree.fromstring(answer.body).find(
        ".//{http://DescargaMasivaTerceros.sat.gob.mx}VerificaSolicitudDescargaResult"
    )
    assert result is not None and result.get("CodEstatus") == "302"


def test_a_chunked_request_leaves_the_connection_usable(sat: FakeSat, fiel: Fiel) -> None:
    connection = RawConnection(sat.host, sat.port)
    try:
        for _ in range(3):
            body = autentica_envelope(fiel)
            connection.send(
                (
                    f"POST {AUTH} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                    f'SOAPAction: "{AUTENTICA}"\r\nTransfer-Encoding: chunked\r\n\r\n'
                ).encode()
                + chunked(body, 100)
            )
            assert connection.answer().status == 200
    finally:
        connection.close()
    assert sat.stats()["tokens_issued"] == 3
