"""Serie and Folio from the XML, and a catalog made before they existed (migration 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.catalog import Catalog
from sat_zeep.catalog.serie_folio import serie_folio
from sat_zeep.packages import iter_cfdi
from sat_zeep.packages.archive.stream_check import file_sha256
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync.db import connect, migrate

from ..conftest import MakeSat
from .conftest import CatalogTarget
from .test_catalog import sync


@pytest.fixture
def synced(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert sync(make_sat(), fiel, out).complete
    return out


def root_attributes(data: bytes) -> dict[str, str]:
    return {str(name): str(value) for name, value in etree.fromstring(data).attrib.items()}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b'<c:Comprobante xmlns:c="http://www.sat.gob.mx/cfd/4" Serie="A" Folio="12"/>',
         ("A", "12")),
        (b'<?xml version="1.0"?>\n<!-- x --><c:Comprobante xmlns:c="http://www.sat.gob.mx/cfd/3"'
         b' serie="B&amp;C" folio="7"/>', ("B&C", "7")),
        (b'<r:Retenciones xmlns:r="http://www.sat.gob.mx/esquemas/retencionpago/2"'
         b' FolioInt="R-9"/>', (None, "R-9")),
        (b'<c:Comprobante xmlns:c="http://www.sat.gob.mx/cfd/4" Version="4.0"/>', (None, None)),
        (b"not xml", (None, None)),
        (b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><C Serie='x&lt;&#65;&#x42;'"
         b' Folio="a\r\nb\tc"/>', ("x<AB", "a b c")),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><C Serie="\u00d1" Folio="1"/>'
         .encode("latin-1"), ("\u00d1", "1")),
        (b'<C Serie="&unknown;" Folio="2"/>', (None, None)),
        (b'<C Serie="a & b" Folio="3"/>', (None, None)),
        (b'<!DOCTYPE C [<!ENTITY e "boom">]><C Serie="&e;" Folio="4"/>', (None, None)),
    ],
)  # fmt: skip
def test_serie_folio_of_the_root(document: bytes, expected: tuple[str | None, ...]) -> None:
    assert serie_folio(document) == expected


def test_a_long_root_tag_is_read_whole() -> None:
    certificate = "M" * 200_000
    document = (
        f'<c:Comprobante xmlns:c="http://www.sat.gob.mx/cfd/4" Certificado="{certificate}" '
        'Serie="LONG" Folio="99"><c:Emisor/></c:Comprobante>'
    ).encode()
    assert serie_folio(document) == ("LONG", "99")


def test_the_catalog_holds_serie_and_folio(synced: Path, catalog_target: CatalogTarget) -> None:
    with Catalog.open(catalog_target()) as catalog:
        catalog.update(synced)
        checked = 0
        for package in sorted(synced.glob("cfdi/*/cfdi/*/*.zip")):
            for document in iter_cfdi(package):
                attributes = root_attributes(document.data)
                (row,) = catalog.show(document.uuid)
                assert (row["serie"], row["folio"]) == (attributes["Serie"], attributes["Folio"])
                checked += 1
        exported = list(catalog.documents())
    assert checked > 0
    assert all("serie" in row and "folio" in row for row in exported)


def test_a_catalog_from_before_serie_and_folio_is_migrated_and_filled(
    synced: Path, catalog_target: CatalogTarget
) -> None:
    """Migration 2 adds the columns; XML packages an older catalog indexed are read again once."""
    with Catalog.open(catalog_target()) as reference:
        reference.update(synced)
        expected = {row["uuid"]: (row["serie"], row["folio"]) for row in reference.documents()}
        version_1 = reference.db.queries.migrations[0][1]
    old = catalog_target()
    db = connect(old, package="sat_zeep.catalog")
    try:  # the schema of version 1, with the XML packages recorded as indexed
        db.script(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
            "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        db.script(version_1)
        db.execute("record_migration", version=1)
        for package in sorted(synced.glob("cfdi/*/cfdi/*/*.zip")):
            db.script(
                "INSERT INTO packages (sha256, path, size, kind, service, direction, "
                "taxpayer_rfc, documents, indexed_at) VALUES "
                f"('{file_sha256(package)}', '{package.resolve()}', {package.stat().st_size}, "
                f"'cfdi', 'cfdi', '{package.parents[2].name}', 'X', 0, '2026-01-01T00:00:00')"
            )
    finally:
        db.close()
    with Catalog.open(old) as catalog:
        assert migrate(catalog.db) == 2
        first = catalog.update(synced)
        assert len(first.indexed) == 8 and first.unchanged == []
        got = {row["uuid"]: (row["serie"], row["folio"]) for row in catalog.documents()}
        assert got == expected
        again = catalog.update(synced)
        assert again.indexed == [] and len(again.unchanged) == 8
