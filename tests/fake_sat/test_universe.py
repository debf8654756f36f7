"""The synthetic universe: deterministic, filterable, countable, and its XML is well-formed."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime

import pytest
from lxml import etree

from sat_zeep.testing.fake_sat.universe import GENERIC_RFC, Document, Query, Universe

OWNER = "AXT940727FP8"
JANUARY = (datetime(2024, 1, 1), datetime(2024, 1, 31, 23, 59, 59))
CFDI = "http://www.sat.gob.mx/cfd/4"
TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
RET = "http://www.sat.gob.mx/esquemas/retencionpago/2"
NS = {"cfdi": CFDI, "tfd": TFD, "retenciones": RET, "pago20": "http://www.sat.gob.mx/Pagos20"}


def month(
    service: str = "cfdi", direction: str = "emitidos", estado: str | None = "Todos", **more: object
) -> Query:
    start, end = JANUARY
    query = Query(service, direction, OWNER, start, end, estado_comprobante=estado)
    return replace(query, **more)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def universe() -> Universe:
    return Universe(seed=7)


@pytest.fixture(scope="module")
def january(universe: Universe) -> list[Document]:
    return list(universe.documents(month()))


def parse(document: Document) -> etree._Element:
    return etree.fromstring(document.xml())


def test_same_seed_same_documents_in_the_same_order(january: list[Document]) -> None:
    again = list(Universe(seed=7).documents(month()))
    assert again == january
    assert [d.fecha_emision for d in january] == sorted(d.fecha_emision for d in january)
    assert len({d.uuid for d in january}) == len(january)


def test_different_seeds_differ(january: list[Document]) -> None:
    other = list(Universe(seed=8).documents(month()))
    assert {d.uuid for d in other}.isdisjoint({d.uuid for d in january})
    assert [d.nombre_receptor for d in other[:50]] != [d.nombre_receptor for d in january[:50]]


def test_a_month_has_the_expected_mix(january: list[Document]) -> None:
    assert 300 < len(january) < 1000
    tipos = {d.tipo_comprobante for d in january}
    assert tipos == {"I", "E", "P", "N", "T"}
    cancelled = [d for d in january if d.estatus == "0"]
    assert 0.03 < len(cancelled) / len(january) < 0.12
    assert all(d.fecha_cancelacion is not None for d in cancelled)
    assert all(d.fecha_cancelacion is None for d in january if d.estatus == "1")
    assert any(d.tercero is not None for d in january)
    assert any(d.rfc_receptor == GENERIC_RFC for d in january)
    assert all(d.rfc_emisor == OWNER for d in january)
    for document in january:
        expected = {"P": ("pagos20",), "N": ("nomina12",)}.get(document.tipo_comprobante, ())
        assert document.complementos == expected


def test_a_month_carries_the_metadata_quirks(january: list[Document]) -> None:
    names = [d.nombre_receptor for d in january]
    assert any("\n" in name for name in names)
    assert any('"' in name for name in names)
    assert any("&" in name for name in names)
    assert any("Ñ" in name for name in names)


def test_estado_filter(universe: Universe, january: list[Document]) -> None:
    vigentes = list(universe.documents(month(estado="Vigente")))
    default = list(universe.documents(month(estado=None)))
    cancelados = list(universe.documents(month(estado="Cancelado")))
    assert default == vigentes == [d for d in january if d.estatus == "1"]
    assert cancelados == [d for d in january if d.estatus == "0"]


@pytest.mark.parametrize("tipo", ["I", "E", "T", "N", "P"])
def test_tipo_filter(universe: Universe, january: list[Document], tipo: str) -> None:
    found = list(universe.documents(month(tipo_comprobante=tipo)))
    assert found
    assert found == [d for d in january if d.tipo_comprobante == tipo]


def test_counterparts_filter(universe: Universe, january: list[Document]) -> None:
    wanted = (january[0].rfc_receptor, january[5].rfc_receptor)
    found = list(universe.documents(month(counterparts=wanted)))
    assert found == [d for d in january if d.rfc_receptor in wanted]
    assert universe.count(month(counterparts=wanted)) == len(found)
    assert list(universe.documents(month(counterparts=("ZZZ010101AB1",)))) == []


def test_recibidos_counterpart_is_the_issuer(universe: Universe) -> None:
    received = list(universe.documents(month(direction="recibidos")))
    assert all(d.rfc_receptor == OWNER for d in received)
    issuer = received[3].rfc_emisor
    found = list(universe.documents(month(direction="recibidos", counterparts=(issuer,))))
    assert found == [d for d in received if d.rfc_emisor == issuer]


def test_complemento_filter(universe: Universe, january: list[Document]) -> None:
    pagos = list(universe.documents(month(complemento="pagos20")))
    assert pagos == [d for d in january if d.tipo_comprobante == "P"]
    assert list(universe.documents(month(complemento="ine11"))) == []
    assert universe.count(month(complemento="nomina12")) == sum(
        d.tipo_comprobante == "N" for d in january
    )


def test_terceros_filter(universe: Universe, january: list[Document]) -> None:
    tercero = next(d.tercero for d in january if d.tercero is not None)
    found = list(universe.documents(month(rfc_a_cuenta_terceros=tercero[0])))
    assert found
    assert found == [d for d in january if d.tercero and d.tercero[0] == tercero[0]]
    assert universe.count(month(rfc_a_cuenta_terceros=tercero[0])) == len(found)


def test_partial_days_respect_the_period(universe: Universe) -> None:
    start, end = datetime(2024, 1, 3, 10, 30), datetime(2024, 1, 4, 9, 15, 0)
    query = Query("cfdi", "emitidos", OWNER, start, end, estado_comprobante="Todos")
    found = list(universe.documents(query))
    assert found
    assert all(start <= d.fecha_emision <= end for d in found)
    whole = list(universe.documents(month()))
    assert found == [d for d in whole if start <= d.fecha_emision <= end]
    assert universe.count(query) == len(found)


def test_find_and_folio_queries(universe: Universe, january: list[Document]) -> None:
    for document in january[::37]:
        assert universe.find(document.uuid) == document
        assert universe.find(document.uuid.lower()) == document
    assert Universe(seed=7).find(january[1].uuid) == january[1]
    assert Universe(seed=8).find(january[1].uuid) is None
    assert universe.find("00000000-0000-4000-8000-000000000000") is None
    assert universe.find("not a uuid") is None
    target = january[10]
    folio = Query("cfdi", "folio", OWNER, datetime(1970, 1, 1), datetime(1970, 1, 1))
    assert list(universe.documents(replace(folio, folio=target.uuid))) == [target]
    assert universe.count(replace(folio, folio=target.uuid)) == 1
    stranger = replace(folio, folio=target.uuid, rfc="ZZZ010101AB1")
    assert list(universe.documents(stranger)) == []
    receptor = replace(folio, folio=target.uuid, rfc=target.rfc_receptor)
    assert list(universe.documents(receptor)) == [target]


def test_count_equals_the_documents_for_unfiltered_queries(universe: Universe) -> None:
    for service, direction in itertools.product(("cfdi", "retenciones"), ("emitidos", "recibidos")):
        for estado in ("Todos", "Vigente", "Cancelado"):
            query = month(service=service, direction=direction, estado=estado)
            assert universe.count(query) == len(list(universe.documents(query)))


def test_count_is_fast_for_six_years_of_a_busy_taxpayer() -> None:
    busy = Universe(documents_per_day=50_000)
    start, end = datetime(2019, 1, 1, 8, 0, 0), datetime(2024, 12, 31, 17, 0, 0)
    total = busy.count(Query("cfdi", "emitidos", OWNER, start, end, estado_comprobante="Todos"))
    assert total > 1_000_000
    vigentes = busy.count(Query("cfdi", "emitidos", OWNER, start, end, tipo_comprobante="I"))
    assert 0 < vigentes < total


def test_cfdi_xml_is_well_formed_and_stamped(january: list[Document]) -> None:
    for document in january[:200]:
        root = parse(document)
        assert root.tag == f"{{{CFDI}}}Comprobante"
        assert root.get("TipoDeComprobante") == document.tipo_comprobante
        stamps = root.findall("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
        assert len(stamps) == 1
        assert stamps[0].get("UUID") == document.uuid
        assert stamps[0].get("Version") == "1.1"
        emisor = root.find("cfdi:Emisor", NS)
        receptor = root.find("cfdi:Receptor", NS)
        assert emisor is not None and receptor is not None
        assert emisor.get("Nombre") == document.nombre_emisor
        assert receptor.get("Nombre") == document.nombre_receptor
        assert 1 <= len(root.findall("cfdi:Conceptos/cfdi:Concepto", NS)) <= 3
        if document.tipo_comprobante in ("I", "E", "N"):
            assert root.get("Total") == f"{document.total:.2f}"
        if document.tipo_comprobante == "P":
            assert root.find("cfdi:Complemento/pago20:Pagos", NS) is not None


def test_related_uuids_differ_from_the_stamp(january: list[Document]) -> None:
    related = 0
    for document in (d for d in january if d.tipo_comprobante == "E"):
        for node in parse(document).iterfind(".//cfdi:CfdiRelacionado", NS):
            assert node.get("UUID") not in (None, document.uuid)
            related += 1
    assert related > 0


def test_special_names_round_trip_through_the_xml(january: list[Document]) -> None:
    tricky = [d for d in january if any(c in d.nombre_receptor for c in '\n"&Ñ')]
    assert tricky
    for document in tricky:
        receptor = parse(document).find("cfdi:Receptor", NS)
        assert receptor is not None
        assert receptor.get("Nombre") == document.nombre_receptor
    with_tercero = next(d for d in january if d.tercero is not None)
    node = parse(with_tercero).find(".//cfdi:ACuentaTerceros", NS)
    assert node is not None and with_tercero.tercero is not None
    assert node.get("NombreACuentaTerceros") == with_tercero.tercero[1]


def test_retenciones_xml(universe: Universe) -> None:
    documents = list(universe.documents(month(service="retenciones")))
    assert documents
    assert {d.complementos for d in documents} == {(), ("dividendos",), ("intereses",)}
    for document in documents[:100]:
        root = parse(document)
        assert root.tag == f"{{{RET}}}Retenciones"
        assert root.get("Version") == "2.0"
        stamp = root.find("retenciones:Complemento/tfd:TimbreFiscalDigital", NS)
        assert stamp is not None and stamp.get("UUID") == document.uuid
        totales = root.find("retenciones:Totales", NS)
        assert totales is not None
        assert totales.get("MontoTotRet") == f"{document.monto_retenido:.2f}"
        assert len(document.metadata_row()) == 14
    assert universe.count(month(service="retenciones", complemento="dividendos")) == sum(
        d.complementos == ("dividendos",) for d in documents
    )


def test_padding_adds_an_addenda(january: list[Document]) -> None:
    document = january[0]
    padded = document.xml(padding=10_000)
    assert len(padded) - len(document.xml()) == 10_000
    root = etree.fromstring(padded)
    assert root.find("cfdi:Addenda", NS) is not None


def test_metadata_row_formats(january: list[Document]) -> None:
    cancelled = next(d for d in january if d.estatus == "0")
    row = cancelled.metadata_row("cfdi")
    assert len(row) == 12
    assert row[0] == cancelled.uuid
    assert row[6] == cancelled.fecha_emision.strftime("%Y-%m-%d %H:%M:%S")
    assert row[8] == f"{cancelled.total:.2f}"
    assert row[9:11] == [cancelled.tipo_comprobante, "0"]
    assert row[11] != ""
    with pytest.raises(ValueError):
        cancelled.metadata_row("retenciones")


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        Query("nomina", "emitidos", OWNER, *JANUARY)
    with pytest.raises(ValueError):
        Query("cfdi", "emitidos", OWNER, *JANUARY, estado_comprobante="1")
    with pytest.raises(ValueError):
        Universe(documents_per_day=-1)
    with pytest.raises(ValueError):
        list(Universe().documents(Query("cfdi", "emitidos", "no-rfc!", *JANUARY)))
