"""The fast scanner reads what a full lxml parse reads, or gives up and lets lxml decide."""

from __future__ import annotations

import dataclasses

import pytest

from sat_zeep.packages import MalformedDocumentError, summarize_xml
from sat_zeep.packages.summary import CfdiSummary, summarize_parsed, summary_of
from sat_zeep.packages.summary_scan import scan_cfdi
from sat_zeep.testing.fake_sat.universe import Document

from .test_cfdi import CFDI33, CFDI33_TWO_COMPLEMENTOS


def scanned(data: bytes) -> CfdiSummary | None:
    fields = scan_cfdi(data)
    return None if fields is None else CfdiSummary(*fields)


def test_every_universe_document_is_scanned_and_equals_the_full_parse(
    cfdi_documents: list[Document],
) -> None:
    for document in cfdi_documents:
        data = document.xml()
        assert scanned(data) == summarize_parsed(data), document.uuid


CFDI32 = b"""<?xml version='1.0' encoding='utf-8'?>
<Comprobante xmlns="http://www.sat.gob.mx/cfd/3" version="3.2" fecha="2016-03-01T10:00:00"
  subTotal="10.00" total="11.60" tipoDeComprobante="ingreso" sello="QUJD" certificado="QUJD">
  <Emisor rfc="AAA010101AAA" nombre="A &amp; B &#xC1;NGEL&#10;DOS"><DomicilioFiscal calle="X"/>
    <RegimenFiscal Regimen="General"/></Emisor>
  <Receptor rfc='BBB010101BBB' nombre='LINEA
PARTIDA	CON TAB'/>
  <Conceptos><Concepto cantidad="1" unidad="pieza" descripcion="x" valorUnitario="10.00"
    importe="10.00"/></Conceptos>
  <Impuestos totalImpuestosTrasladados="1.60"><Traslados><Traslado impuesto="IVA" tasa="16.00"
    importe="1.60"/></Traslados></Impuestos>
  <Complemento>
    <TimbreFiscalDigital xmlns="http://www.sat.gob.mx/TimbreFiscalDigital" version="1.0"
      UUID="  33333333-3333-4333-8333-33333333333a " FechaTimbrado="2016-03-01T10:01:00"
      selloCFD="QUJD" noCertificadoSAT="00001000000300000000" selloSAT="QUJD"/>
  </Complemento>
  <Addenda><x:Otro xmlns:x="urn:x"><x:Complemento/></x:Otro></Addenda>
</Comprobante>
"""


def _variants() -> list[bytes]:
    renamed = CFDI33.replace(b"cfdi:", b"c:").replace(b"xmlns:cfdi=", b"xmlns:c=")
    spaced = CFDI33.replace(b"><", b">\n   <").replace(b'" ', b'"\n\t  ')
    crlf = CFDI33.replace(b"\n", b"\r\n")
    bom = b"\xef\xbb\xbf" + CFDI33
    no_prolog = CFDI33[CFDI33.index(b"<cfdi:Comprobante") :]
    tfd_on_root = CFDI33.replace(
        b' xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital"', b""
    ).replace(
        b'xmlns:cfdi="http://www.sat.gob.mx/cfd/3"',
        b'xmlns:cfdi="http://www.sat.gob.mx/cfd/3"'
        b' xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital"',
    )
    empty_tags = CFDI33.replace(
        b"/></cfdi:Complemento>", b"></tfd:TimbreFiscalDigital>\n</cfdi:Complemento>"
    )
    return [
        CFDI32,
        CFDI33_TWO_COMPLEMENTOS,
        renamed,
        spaced,
        crlf,
        bom,
        no_prolog,
        tfd_on_root,
        empty_tags,
    ]


@pytest.mark.parametrize("data", _variants())
def test_prefixes_whitespace_references_and_several_complementos(data: bytes) -> None:
    assert scanned(data) is not None
    assert scanned(data) == summarize_parsed(data)


def test_values_are_decoded_as_xml_decodes_them() -> None:
    summary = summarize_xml(CFDI32)
    assert summary.nombre_emisor == "A & B ÁNGEL\nDOS"
    assert summary.nombre_receptor == "LINEA PARTIDA CON TAB"  # literal LF and tab → spaces
    assert summary.uuid == "33333333-3333-4333-8333-33333333333A"
    assert summary.complementos == ("TimbreFiscalDigital",)


@pytest.mark.parametrize(
    "data",
    [
        CFDI33.replace(b"<cfdi:Emisor", b"<!-- c --><cfdi:Emisor"),
        CFDI33.replace(b'Nombre="EMISOR', b'Nombre="&nbsp;EMISOR'),
        CFDI33.replace(b'Moneda="MXN"', b'Moneda="MXN" Moneda="USD"'),
        CFDI33.replace(
            b'xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital"', b'xmlns:tfd="urn:x"'
        ),
        CFDI33.replace(b"</cfdi:Comprobante>", b""),
        CFDI33.replace(b"</cfdi:Comprobante>", b"</cfdi:Comprobante><otro/>"),
        CFDI33.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),
        CFDI33.replace(b"<cfdi:Emisor", b"<cfdi:Emisor xmlns:cfdi='urn:x'"),
        CFDI33.replace(b'Total="116.00"', b'Total="NaN"'),
    ],
)
def test_oddities_go_to_lxml_which_decides(data: bytes) -> None:
    assert scanned(data) is None
    try:
        expected: CfdiSummary | str = summarize_parsed(data)
    except MalformedDocumentError as error:
        expected = str(error)
    try:
        got: CfdiSummary | str = summarize_xml(data)
    except MalformedDocumentError as error:
        got = str(error)
    assert got == expected


def test_summaries_built_from_scanned_fields_are_ordinary_frozen_summaries() -> None:
    fields = scan_cfdi(CFDI33)
    assert fields is not None
    built = summary_of(fields)
    assert type(built) is CfdiSummary
    assert built == CfdiSummary(*fields)
    assert hash(built) == hash(CfdiSummary(*fields))
    assert built.total_retenido is None
    assert dataclasses.replace(built, uuid="X").uuid == "X"
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.uuid = "X"  # type: ignore[misc]
