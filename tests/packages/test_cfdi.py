"""CFDI packages: summaries match the universe; oddities warn; malformed XML is handled."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sat_zeep.packages import (
    CfdiSummary,
    MalformedDocumentError,
    MalformedDocumentWarning,
    SkippedEntryWarning,
    iter_cfdi,
    iter_cfdi_summaries,
    summarize_xml,
)
from sat_zeep.testing.fake_sat.package_writer import write_cfdi_package
from sat_zeep.testing.fake_sat.universe import Document

from .conftest import make_zip

RELATED = b"CfdiRelacionado UUID="


def test_cfdi_summaries_match_the_universe(
    cfdi_package: Path, cfdi_documents: list[Document]
) -> None:
    documents = list(iter_cfdi(cfdi_package))
    assert [d.uuid for d in documents] == [d.uuid for d in cfdi_documents]
    for read, truth in zip(documents, cfdi_documents, strict=True):
        assert read.name == f"{truth.uuid}.xml"
        assert read.data == truth.xml()
        summary = read.summary
        assert summary.kind == "cfdi" and summary.version == "4.0"
        assert (summary.rfc_emisor, summary.nombre_emisor) == (
            truth.rfc_emisor,
            truth.nombre_emisor,
        )
        assert (summary.rfc_receptor, summary.nombre_receptor) == (
            truth.rfc_receptor,
            truth.nombre_receptor,
        )
        assert summary.fecha == truth.fecha_emision
        assert summary.fecha_timbrado == truth.fecha_certificacion
        assert summary.tipo_de_comprobante == truth.tipo_comprobante
        assert summary.moneda == truth.moneda
        if truth.tipo_comprobante in ("I", "E", "N"):
            assert (summary.subtotal, summary.total) == (truth.subtotal, truth.total)
        assert summary.complementos[-1] == "TimbreFiscalDigital"
        expected = {"P": "Pagos", "N": "Nomina"}.get(truth.tipo_comprobante)
        if expected:
            assert summary.complementos == (expected, "TimbreFiscalDigital")


def test_related_uuids_are_not_taken(cfdi_package: Path) -> None:
    related = [d for d in iter_cfdi(cfdi_package) if RELATED in d.data]
    assert related, "the universe should hold Egresos with CfdiRelacionados"
    for document in related:
        start = document.data.index(RELATED) + len(RELATED) + 1
        other = document.data[start : start + 36].decode()
        assert other != document.uuid
        assert document.name == f"{document.uuid}.xml"


def test_retenciones_documents(
    retenciones_package: Path, retenciones_documents: list[Document]
) -> None:
    summaries = list(iter_cfdi_summaries(retenciones_package))
    assert [s.uuid for s in summaries] == [d.uuid for d in retenciones_documents]
    for summary, truth in zip(summaries, retenciones_documents, strict=True):
        assert (summary.kind, summary.version) == ("retenciones", "2.0")
        assert summary.rfc_emisor == truth.rfc_emisor
        assert summary.nombre_receptor == truth.nombre_receptor
        assert (summary.total, summary.subtotal) == (truth.total, truth.subtotal)
        assert summary.total_retenido == truth.monto_retenido
        assert summary.moneda is None and summary.tipo_de_comprobante is None


def test_large_document_stops_after_the_complemento(
    tmp_path: Path, cfdi_documents: list[Document]
) -> None:
    path = tmp_path / "padded.zip"
    write_cfdi_package(cfdi_documents[:3], path, padding=300_000)
    assert [s.uuid for s in iter_cfdi_summaries(path)] == [d.uuid for d in cfdi_documents[:3]]


CFDI33 = b"""<?xml version="1.0" encoding="UTF-8"?>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" Version="3.3" Fecha="2019-05-01T10:00:00"
 SubTotal="100.00" Total="116.00" Moneda="MXN" TipoDeComprobante="I">
<cfdi:CfdiRelacionados TipoRelacion="04">
<cfdi:CfdiRelacionado UUID="11111111-1111-4111-8111-111111111111"/></cfdi:CfdiRelacionados>
<cfdi:Emisor Rfc="AAA010101AAA" Nombre="EMISOR &quot;UNO&quot;"/>
<cfdi:Receptor Rfc="BBB010101BBB"/>
<cfdi:Complemento><tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital"
 Version="1.1" UUID="abcdefab-cdef-4abc-8def-abcdefabcdef" FechaTimbrado="2019-05-01T10:05:00"/>
</cfdi:Complemento></cfdi:Comprobante>"""

RET10 = b"""<retenciones:Retenciones
 xmlns:retenciones="http://www.sat.gob.mx/esquemas/retencionpago/1" Version="1.0"
 FechaExp="2017-02-01T09:00:00-06:00" CveRetenc="14">
<retenciones:Emisor RFCEmisor="AAA010101AAA" NomDenRazSocE="EMISOR"/>
<retenciones:Receptor Nacionalidad="Extranjero"><retenciones:Extranjero NomDenRazSocR="FOREIGN"/>
</retenciones:Receptor>
<retenciones:Totales montoTotOperacion="10.50" montoTotGrav="10.50" montoTotExent="0"
 montoTotRet="1.05"/>
<retenciones:Complemento><tfd:TimbreFiscalDigital version="1.0"
 xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" UUID="22222222-2222-4222-8222-222222222222"
 FechaTimbrado="2017-02-01T09:10:00"/></retenciones:Complemento></retenciones:Retenciones>"""


def test_cfdi_33_and_retenciones_10() -> None:
    cfdi = summarize_xml(CFDI33)
    assert cfdi == CfdiSummary(
        uuid="ABCDEFAB-CDEF-4ABC-8DEF-ABCDEFABCDEF",
        kind="cfdi",
        version="3.3",
        rfc_emisor="AAA010101AAA",
        nombre_emisor='EMISOR "UNO"',
        rfc_receptor="BBB010101BBB",
        nombre_receptor=None,
        fecha=datetime(2019, 5, 1, 10),
        fecha_timbrado=datetime(2019, 5, 1, 10, 5),
        subtotal=Decimal("100.00"),
        total=Decimal("116.00"),
        moneda="MXN",
        tipo_de_comprobante="I",
        complementos=("TimbreFiscalDigital",),
    )
    retencion = summarize_xml(RET10)
    assert (retencion.kind, retencion.version, retencion.rfc_receptor) == (
        "retenciones",
        "1.0",
        None,
    )
    assert retencion.nombre_receptor == "FOREIGN"
    assert (retencion.total, retencion.total_retenido) == (Decimal("10.50"), Decimal("1.05"))
    assert retencion.fecha.utcoffset() is not None


def test_oddities_warn_and_are_skipped() -> None:
    data = make_zip(
        {
            "A.xml.xml": CFDI33,
            "folder/": None,
            "empty.xml": b"",
            "notes.txt": b"hello",
            "folder/B.xml": RET10,
        }
    )
    with pytest.warns(SkippedEntryWarning) as caught:
        summaries = list(iter_cfdi_summaries(data))
    assert [s.version for s in summaries] == ["3.3", "1.0"]
    messages = "\n".join(str(w.message) for w in caught)
    assert "'folder/': it is a folder" in messages
    assert "'empty.xml': it is empty" in messages
    assert "'notes.txt': it is not named *.xml" in messages
    assert len(caught) == 3


DTD = b"""<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4">&lol;</cfdi:Comprobante>"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<cfdi:Comprobante", "not well-formed"),
        (b"\xff\xfe garbage", "not well-formed"),
        (DTD, "DOCTYPE"),
        (b"<html/>", "is not a CFDI"),
        (CFDI33.replace(b"tfd:TimbreFiscalDigital", b"tfd:Otro"), "no TimbreFiscalDigital"),
        (CFDI33.replace(b'Total="116.00"', b'Total="NaN"'), "not an amount"),
        (CFDI33.replace(b'Fecha="2019', b'Fecha="20x9'), "not a date"),
    ],
)
def test_malformed_documents_warn_or_raise(data: bytes, reason: str) -> None:
    package = make_zip({"bad.xml": data, "good.xml": CFDI33})
    with pytest.warns(MalformedDocumentWarning, match=reason):
        summaries = list(iter_cfdi_summaries(package))
    assert [s.version for s in summaries] == ["3.3"]
    with pytest.raises(MalformedDocumentError, match=reason) as caught:
        list(iter_cfdi(package, strict=True))
    assert caught.value.entry == "bad.xml"


def test_macos_leftovers_are_skipped_with_a_warning() -> None:
    package = make_zip(
        {"A.xml": CFDI33, "__MACOSX/._A.xml": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X"}
    )
    with pytest.warns(SkippedEntryWarning, match="macOS") as caught:
        assert [s.version for s in iter_cfdi_summaries(package)] == ["3.3"]
    assert len(caught) == 1


_TFD33 = CFDI33[CFDI33.index(b"<tfd:") : CFDI33.index(b"</cfdi:Complemento>")]
# CFDI 3.3's schema allows several Complemento elements; the stamp may be in any of them.
CFDI33_TWO_COMPLEMENTOS = CFDI33.replace(
    b"<cfdi:Complemento>" + _TFD33 + b"</cfdi:Complemento>",
    b'<cfdi:Complemento><implocal:ImpuestosLocales xmlns:implocal="http://www.sat.gob.mx/implocal"'
    b' version="1.0" TotaldeRetenciones="0.00" TotaldeTraslados="0.00"/></cfdi:Complemento>\n'
    b"<cfdi:Complemento>\n  " + _TFD33 + b"</cfdi:Complemento>",
)


@pytest.mark.parametrize("padding", [0, 100_000])
def test_cfdi_33_stamp_in_a_later_complemento(padding: int) -> None:
    data = CFDI33_TWO_COMPLEMENTOS
    if padding:  # a large document (read by the pull parser), with an Addenda after
        addenda = b"<cfdi:Addenda><x>" + b"A" * padding + b"</x></cfdi:Addenda>"
        data = data.replace(b"</cfdi:Comprobante>", addenda + b"</cfdi:Comprobante>")
    assert data.count(b"<cfdi:Complemento>") == 2
    summary = summarize_xml(data)
    assert summary.uuid == "ABCDEFAB-CDEF-4ABC-8DEF-ABCDEFABCDEF"
    assert summary.complementos == ("ImpuestosLocales", "TimbreFiscalDigital")
    unstamped = data.replace(b"tfd:TimbreFiscalDigital", b"tfd:Otro")
    with pytest.raises(MalformedDocumentError, match="no TimbreFiscalDigital"):
        summarize_xml(unstamped)
