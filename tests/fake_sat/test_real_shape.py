"""Real-shaped documents (``shape="real"``): published shapes, exact values, read by the readers."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.packages import iter_cfdi_metadata, iter_cfdi_summaries, iter_retenciones_metadata
from sat_zeep.packages.summary import CfdiSummary, summarize_parsed
from sat_zeep.packages.summary_scan import scan_cfdi
from sat_zeep.testing.fake_sat.package_writer import write_cfdi_package, write_metadata_package
from sat_zeep.testing.fake_sat.universe import Document, Query, Universe

OWNER = "AAA010101AAA"


def month(service: str, direction: str = "emitidos") -> Query:
    return Query(
        service=service,
        direction=direction,
        rfc=OWNER,
        start=datetime(2026, 10, 1),
        end=datetime(2026, 10, 31, 23, 59, 59),
        estado_comprobante="Todos",
    )


@pytest.fixture(scope="module")
def real() -> list[Document]:
    # Received documents: many issuers, so every issuer's writing style shows up.
    universe = Universe(seed=3, documents_per_day=25, shape="real")
    return list(universe.documents(month("cfdi", "recibidos")))


@pytest.fixture(scope="module")
def real_retenciones() -> list[Document]:
    universe = Universe(seed=3, documents_per_day=8, shape="real")
    return list(universe.documents(month("retenciones")))


def test_same_seed_same_documents_and_plain_stays_plain(real: list[Document]) -> None:
    query = month("cfdi", "recibidos")
    again = list(Universe(seed=3, documents_per_day=25, shape="real").documents(query))
    assert [d.xml() for d in again[:50]] == [d.xml() for d in real[:50]]
    plain = list(Universe(seed=3, documents_per_day=25).documents(query))
    assert [d.uuid for d in plain] == [d.uuid for d in real]
    assert [d.rfc_receptor for d in plain] == [d.rfc_receptor for d in real]
    assert all(b'Version="4.0"' in d.xml() for d in plain[:50])
    with pytest.raises(ValueError, match="shape"):
        Universe(shape="odd")


def test_shapes_follow_the_published_facts(real: list[Document]) -> None:
    sizes, sellos, certificados, conceptos = [], set(), set(), []
    kinds: Counter[tuple[str, str]] = Counter()
    for document in real:
        data = document.xml()
        sizes.append(len(data))
        root = etree.fromstring(data)
        sellos.add(len(root.get("Sello", "")))
        certificados.add(len(root.get("Certificado", "")))
        conceptos.append(len(root.findall("{*}Conceptos/{*}Concepto")))
        complements = [c.tag.split("}")[1] for c in root.iterfind("{*}Complemento/*")]
        kinds[(root.get("Version", ""), complements[0])] += 1
    assert 6_500 < statistics.mean(sizes) < 10_000, statistics.mean(sizes)
    assert min(sizes) > 4_000 and max(sizes) > 20_000
    assert sellos <= {344, 684} and len(sellos) == 2
    assert min(certificados) >= 2_000 and max(certificados) <= 2_600
    assert min(conceptos) == 1 and max(conceptos) > 20 and max(conceptos) <= 100
    versions = {version for version, _ in kinds}
    assert versions == {"3.3", "4.0"}
    firsts = {first for _, first in kinds}
    assert {"Pagos", "Nomina", "CartaPorte", "ImpuestosLocales", "TimbreFiscalDigital"} <= firsts
    texts = [d.xml() for d in real]
    assert any(b"Addenda>" in t for t in texts)
    assert any(b"\r\n" in t for t in texts) and any(t.count(b"\n") == 2 for t in texts)
    assert any(re.search(rb"<Comprobante\s", t) for t in texts), "a default-namespace issuer"


def test_readers_read_real_documents_exactly(tmp_path: Path, real: list[Document]) -> None:
    path = tmp_path / "real.zip"
    write_cfdi_package(real, path)
    summaries = list(iter_cfdi_summaries(path))
    assert [s.uuid for s in summaries] == [d.uuid for d in real]
    for summary, truth in zip(summaries, real, strict=True):
        data = truth.xml()
        fields = scan_cfdi(data)
        assert fields is not None, truth.uuid  # the fast path reads every real shape
        assert CfdiSummary(*fields) == summarize_parsed(data) == summary
        assert (summary.rfc_emisor, summary.nombre_emisor) == (
            truth.rfc_emisor,
            truth.nombre_emisor,
        )
        assert summary.nombre_receptor == truth.nombre_receptor
        assert (summary.fecha, summary.fecha_timbrado) == (
            truth.fecha_emision,
            truth.fecha_certificacion,
        )
        assert summary.tipo_de_comprobante == truth.tipo_comprobante
        if truth.tipo_comprobante in ("I", "E", "N"):
            assert (summary.subtotal, summary.total) == (truth.subtotal, truth.total)
        assert summary.complementos[-1] == "TimbreFiscalDigital"


def test_real_retenciones_and_metadata(
    tmp_path: Path, real: list[Document], real_retenciones: list[Document]
) -> None:
    path = tmp_path / "ret.zip"
    write_cfdi_package(real_retenciones, path)
    summaries = list(iter_cfdi_summaries(path))
    assert {s.version for s in summaries} == {"1.0", "2.0"}
    for summary, truth in zip(summaries, real_retenciones, strict=True):
        assert (summary.uuid, summary.rfc_emisor, summary.rfc_receptor) == (
            truth.uuid,
            truth.rfc_emisor,
            truth.rfc_receptor,
        )
        assert (summary.total, summary.total_retenido) == (truth.total, truth.monto_retenido)
    meta = tmp_path / "meta.zip"
    write_metadata_package(real, meta, id_paquete="M_01", service="cfdi")
    rows = list(iter_cfdi_metadata(meta))
    assert [(r.uuid, r.nombre_emisor, r.nombre_receptor) for r in rows] == [
        (d.uuid, d.nombre_emisor, d.nombre_receptor) for d in real
    ]
    names = {r.nombre_emisor for r in rows}
    assert any(", S.A. DE C.V." in name for name in names)
    assert any(name.endswith(" ") for name in names) or any("  " in name for name in names)
    retenciones_meta = tmp_path / "retmeta.zip"
    write_metadata_package(
        real_retenciones, retenciones_meta, id_paquete="R_01", service="retenciones"
    )
    assert [r.uuid for r in iter_retenciones_metadata(retenciones_meta)] == [
        d.uuid for d in real_retenciones
    ]
