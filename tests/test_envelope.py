from __future__ import annotations

from lxml import etree

from sat_zeep.signing.namespaces import AUTENTICACION, DESCARGA_MASIVA, SOAP_ENV
from sat_zeep.signing.request_signature import exc_c14n
from sat_zeep.soap.envelope import body_operation, header, normalize_envelope

ZEEP_STYLE = (
    f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}" xmlns:des="{DESCARGA_MASIVA}">'
    "<soap-env:Body><des:SolicitaDescargaEmitidos>"
    '<des:solicitud TipoSolicitud="CFDI" FechaInicial="2025-01-01T00:00:00" RfcEmisor="X">\n  '
    "<des:RfcReceptores><des:RfcReceptor>AAA010101AAA</des:RfcReceptor></des:RfcReceptores>"
    "</des:solicitud></des:SolicitaDescargaEmitidos></soap-env:Body></soap-env:Envelope>"
)


def test_normalize_uses_sats_prefixes_and_sorted_attributes() -> None:
    normalized = normalize_envelope(etree.fromstring(ZEEP_STYLE))
    assert etree.tostring(normalized).decode() == (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:des="{DESCARGA_MASIVA}"><s:Header/><s:Body>'
        "<des:SolicitaDescargaEmitidos>"
        '<des:solicitud FechaInicial="2025-01-01T00:00:00" RfcEmisor="X" TipoSolicitud="CFDI">'
        "<des:RfcReceptores><des:RfcReceptor>AAA010101AAA</des:RfcReceptor></des:RfcReceptores>"
        "</des:solicitud></des:SolicitaDescargaEmitidos></s:Body></s:Envelope>"
    )


def test_normalize_is_idempotent() -> None:
    once = normalize_envelope(etree.fromstring(ZEEP_STYLE))
    assert etree.tostring(normalize_envelope(once)) == etree.tostring(once)


def test_autentica_body_gets_a_default_namespace() -> None:
    zeep_style = etree.fromstring(
        f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}"><soap-env:Body>'
        f'<ns0:Autentica xmlns:ns0="{AUTENTICACION}"/></soap-env:Body></soap-env:Envelope>'
    )
    normalized = normalize_envelope(zeep_style)
    assert etree.tostring(normalized).decode() == (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Header/><s:Body>'
        f'<Autentica xmlns="{AUTENTICACION}"/></s:Body></s:Envelope>'
    )


def test_c14n_of_the_operation_ignores_where_namespaces_are_declared() -> None:
    operation = body_operation(normalize_envelope(etree.fromstring(ZEEP_STYLE)))
    canonical = exc_c14n(operation).decode()
    assert canonical.startswith(f'<des:SolicitaDescargaEmitidos xmlns:des="{DESCARGA_MASIVA}">')
    assert "xmlns:s=" not in canonical


def test_header_is_found_or_created() -> None:
    envelope = etree.fromstring(f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body/></s:Envelope>')
    created = header(envelope)
    assert envelope[0] is created
    assert header(envelope) is created
