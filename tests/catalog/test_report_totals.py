"""The report's sums by month, counterpart and tipo de comprobante, against the universe."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import cast

from sat_zeep.catalog import Catalog
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.fake_sat.documents import Document

from ..conftest import MakeSat
from .conftest import CatalogTarget
from .test_catalog import JOB, sync, universe_documents

#: Tipos whose XML Total is 0 by rule (pagos, traslado); the metadata's Monto is the amount.
ZERO_TOTAL = ("P", "T")


def test_sums_by_month_counterpart_and_tipo_match_the_universe(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path, catalog_target: CatalogTarget
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    assert sync(sat, fiel, out).complete
    with Catalog.open(catalog_target()) as catalog:
        catalog.update(out)
        report = catalog.report()
    documents: Counter[tuple[str, str, str, str]] = Counter()
    cents: Counter[tuple[str, str, str, str]] = Counter()
    for direction, listed in universe_documents(sat, fiel.rfc, JOB).items():
        for document in cast("list[Document]", listed):
            counterpart = document.rfc_receptor if direction == "emitidos" else document.rfc_emisor
            tipo = document.tipo_comprobante
            key = (direction, document.fecha_emision.strftime("%Y-%m"), counterpart, tipo)
            xml_held = not (direction == "recibidos" and document.estatus == "0")
            amount = Decimal(0) if xml_held and tipo in ZERO_TOTAL else document.total
            documents[key] += 1
            cents[key] += int(amount * 100)
    got = {
        (row["direction"], row["month"], row["counterpart"], row["tipo"]): row
        for row in report.totals
    }
    assert set(got) == set(documents)
    assert {key: row["documents"] for key, row in got.items()} == dict(documents)
    assert {key: row["total_cents"] for key, row in got.items()} == dict(cents)
    by_month: Counter[tuple[str, str]] = Counter()
    for (direction, month, _, _), value in cents.items():
        by_month[direction, month] += value
    for row in report.months:
        expected = Decimal(by_month[row["direction"], row["month"]]) / 100
        assert row["total"] == f"{expected:.2f}"
