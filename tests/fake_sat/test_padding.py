"""Addenda padding: exact size, valid XML, deterministic, and incompressible inside a ZIP."""

from __future__ import annotations

import itertools
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.testing.fake_sat.documents_xml import filler
from sat_zeep.testing.fake_sat.package_writer import write_cfdi_package
from sat_zeep.testing.fake_sat.universe import Document, Query, Universe

OWNER = "AXT940727FP8"
RELLENO = "{urn:sat-zeep:fake-sat:relleno}relleno"


def documents(service: str, how_many: int) -> list[Document]:
    end = datetime(2024, 1, 31, 23, 59, 59)
    query = Query(service, "emitidos", OWNER, datetime(2024, 1, 1), end, estado_comprobante="Todos")
    return list(itertools.islice(Universe(seed=11).documents(query), how_many))


@pytest.mark.parametrize("service", ["cfdi", "retenciones"])
def test_padding_is_exact_valid_and_deterministic(service: str) -> None:
    document, other = documents(service, 2)
    plain = document.xml()
    for padding in (200, 5_000, 70_001):
        padded = document.xml(padding)
        assert len(padded) - len(plain) == padding
        assert padded == document.xml(padding)
        relleno = etree.fromstring(padded).find(f".//{RELLENO}")
        assert relleno is not None and relleno.text is not None
        assert padding - 150 < len(relleno.text) < padding
    tiny = document.xml(1)  # too small for the Addenda's tags: they are all it has
    assert etree.fromstring(tiny).find(f".//{RELLENO}") is not None
    assert document.xml(0) == plain
    assert filler(document.uuid, 5_000) != filler(other.uuid, 5_000)


def test_filler_is_incompressible_xml_text() -> None:
    text = filler("ABC", 1_000_000)
    assert len(text) == 1_000_000
    assert not set(text) & set("<>&\r\n\t ")
    assert len(zlib.compress(text.encode(), 9)) > 0.8 * len(text)
    assert filler("ABC", 0) == filler("ABC", -5) == ""


def test_padded_package_is_about_as_big_as_its_padding(tmp_path: Path) -> None:
    count, padding = 25, 200_000
    path = tmp_path / "padded.zip"
    assert write_cfdi_package(documents("cfdi", count), path, padding=padding) == count
    assert path.stat().st_size >= 0.7 * count * padding
    with zipfile.ZipFile(path) as archive:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
        assert all(info.file_size > padding for info in archive.infolist())
