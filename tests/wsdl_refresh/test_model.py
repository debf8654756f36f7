"""The normalised description compares meaning, not bytes."""

from __future__ import annotations

from lxml import etree

from sat_zeep.soap.wsdl import Service
from sat_zeep.soap.wsdl_refresh import compare, describe

from .conftest import vendored


def test_prefixes_layout_and_comments_do_not_matter() -> None:
    original = vendored(Service.SOLICITUD)
    reworded = (
        original.replace(b"xs:", b"xsd:")
        .replace(b"xmlns:xs=", b"xmlns:xsd=")
        .replace(b"tns:", b"q1:")
        .replace(b'xmlns:tns="', b'xmlns:q1="')
        .replace(b"<!-- Stand-in", b"<!-- another comment; stand-in")
        .replace(b"cfdidescargamasivasolicitud.clouda.sat.gob.mx", b"example.test")
    )
    parser = etree.XMLParser(remove_blank_text=True)
    one = describe(etree.fromstring(original))
    other = describe(etree.fromstring(reworded, parser))
    assert compare(one, other) == []
    assert one.operations == [
        "SolicitaDescargaEmitidos",
        "SolicitaDescargaFolio",
        "SolicitaDescargaRecibidos",
    ]


def test_descarga_header_is_described() -> None:
    contract = describe(etree.fromstring(vendored(Service.DESCARGA)))
    assert (
        contract.entries["operation:Descargar/output/header:respuesta"] == "element tns:respuesta"
    )
    assert contract.entries["operation:Descargar/output/body"] == (
        "parameters=element tns:RespuestaDescargaMasivaTercerosSalida"
    )
    assert contract.owners["type:RespuestaDescargaMasivaTerceros/CodEstatus"] == {
        "Descargar:output"
    }
