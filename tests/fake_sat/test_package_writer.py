"""The package writer: SAT-shaped CFDI and metadata ZIPs, written as a stream."""

from __future__ import annotations

import itertools
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.testing.fake_sat.package_writer import (
    METADATA_COLUMNS_CFDI,
    METADATA_COLUMNS_RETENCIONES,
    TERCEROS_COLUMNS,
    package_id,
    split_into_packages,
    write_cfdi_package,
    write_metadata_package,
)
from sat_zeep.testing.fake_sat.universe import Document, Query, Universe

OWNER = "AXT940727FP8"
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


def query(service: str = "cfdi", direction: str = "emitidos", days: int = 31) -> Query:
    end = datetime(2024, 1, days, 23, 59, 59)
    return Query(service, direction, OWNER, datetime(2024, 1, 1), end, estado_comprobante="Todos")


@pytest.fixture(scope="module")
def january() -> list[Document]:
    return list(Universe(seed=3).documents(query()))


def split_rows(text: str) -> list[str]:
    assert text.endswith("\r\n")
    return text[: -len("\r\n")].split("\r\n")


def test_package_id() -> None:
    assert package_id("4e80345d-917f-40bb-a98f-4a73939343c5", 1) == (
        "4E80345D-917F-40BB-A98F-4A73939343C5_01"
    )
    assert package_id("abc", 12) == "ABC_12"
    with pytest.raises(ValueError):
        package_id("abc", 0)


def test_split_into_packages(january: list[Document]) -> None:
    packages = list(split_into_packages(iter(january), 100))
    assert [len(p) for p in packages[:-1]] == [100] * (len(packages) - 1)
    assert 0 < len(packages[-1]) <= 100
    assert list(itertools.chain.from_iterable(packages)) == january
    assert list(split_into_packages([], 5)) == []
    with pytest.raises(ValueError):
        list(split_into_packages(january, 0))


def test_cfdi_package_has_one_parseable_xml_per_uuid(
    tmp_path: Path, january: list[Document]
) -> None:
    path = tmp_path / "cfdi.zip"
    assert write_cfdi_package(iter(january), path) == len(january)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [f"{d.uuid}.xml" for d in january]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
        for document in january[::25]:
            root = etree.fromstring(archive.read(f"{document.uuid}.xml"))
            stamp = root.find(f".//{TFD}")
            assert stamp is not None and stamp.get("UUID") == document.uuid


def test_cfdi_package_is_deterministic(tmp_path: Path, january: list[Document]) -> None:
    write_cfdi_package(january[:50], tmp_path / "a.zip")
    write_cfdi_package(january[:50], tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_padding_increases_the_size(tmp_path: Path, january: list[Document]) -> None:
    write_cfdi_package(january[:20], tmp_path / "plain.zip")
    write_cfdi_package(january[:20], tmp_path / "padded.zip", padding=50_000)
    with zipfile.ZipFile(tmp_path / "padded.zip") as archive:
        sizes = [info.file_size for info in archive.infolist()]
        etree.fromstring(archive.read(archive.namelist()[0]))
    assert min(sizes) > 50_000
    assert (tmp_path / "padded.zip").stat().st_size > (tmp_path / "plain.zip").stat().st_size


def read_metadata(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def test_metadata_package_layout(tmp_path: Path, january: list[Document]) -> None:
    path = tmp_path / "meta.zip"
    rows = write_metadata_package(iter(january), path, id_paquete="ABC_01", service="cfdi")
    assert rows == len(january)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["ABC_01.txt", "ABC_01_tercero.txt"]
    text = read_metadata(path, "ABC_01.txt")
    assert not text.startswith("\ufeff")
    lines = split_rows(text)
    assert lines[0] == "~".join(METADATA_COLUMNS_CFDI)
    assert len(lines) == len(january) + 1
    for line, document in zip(lines[1:], january, strict=True):
        assert line.split("~") == document.metadata_row("cfdi")
        assert len(line.split("~")) == 12


def test_metadata_keeps_the_quirks(tmp_path: Path, january: list[Document]) -> None:
    path = tmp_path / "meta.zip"
    write_metadata_package(january, path, id_paquete="Q_01", service="cfdi")
    text = read_metadata(path, "Q_01.txt")
    with_lf = next(d for d in january if "\n" in d.nombre_receptor)
    assert f"~{with_lf.nombre_receptor}~" in text
    bare = text.replace("\r\n", "")
    assert "\n" in bare and "\r" not in bare
    quoted = next(d for d in january if '"' in d.nombre_receptor)
    assert f"~{quoted.nombre_receptor}~" in text
    rows = {row.split("~")[0]: row.split("~") for row in split_rows(text)[1:]}
    for document in january:
        row = rows[document.uuid]
        if document.estatus == "0":
            assert row[10] == "0"
            assert document.fecha_cancelacion is not None
            assert row[11] == document.fecha_cancelacion.strftime("%Y-%m-%d %H:%M:%S")
        else:
            assert row[10:] == ["1", ""]


def test_tercero_file_joins_by_uuid(tmp_path: Path, january: list[Document]) -> None:
    path = tmp_path / "meta.zip"
    write_metadata_package(january, path, id_paquete="T_01", service="cfdi")
    lines = split_rows(read_metadata(path, "T_01_tercero.txt"))
    assert lines[0] == "~".join(TERCEROS_COLUMNS)
    by_uuid = {d.uuid.upper(): d for d in january}
    joined = [line.split("~") for line in lines[1:]]
    assert joined
    assert len(joined) == sum(d.tercero is not None for d in january)
    for uuid, rfc, name in joined:
        assert by_uuid[uuid.upper()].tercero == (rfc, name)


def test_no_tercero_file_without_terceros(tmp_path: Path, january: list[Document]) -> None:
    plain = [d for d in january if d.tercero is None]
    path = tmp_path / "meta.zip"
    write_metadata_package(plain, path, id_paquete="P_01", service="cfdi", bom=True)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["P_01.txt"]
    assert read_metadata(path, "P_01.txt").startswith("\ufeffUuid~RfcEmisor~")


def test_retenciones_metadata(tmp_path: Path) -> None:
    documents = list(Universe(seed=3).documents(query("retenciones", "recibidos", days=10)))
    path = tmp_path / "ret.zip"
    write_metadata_package(documents, path, id_paquete="R_01", service="retenciones")
    lines = split_rows(read_metadata(path, "R_01.txt"))
    assert lines[0] == "~".join(METADATA_COLUMNS_RETENCIONES)
    assert len(lines) == len(documents) + 1
    with pytest.raises(ValueError):
        write_metadata_package(documents, path, id_paquete="R_01", service="nomina")


def test_a_big_package_streams(tmp_path: Path) -> None:
    universe = Universe(documents_per_day=2_000)
    documents = list(itertools.islice(universe.documents(query(days=31)), 5_000))
    path = tmp_path / "big.zip"
    # A generator: the writer takes each document as it comes, one entry per document, in order.
    assert write_cfdi_package(iter(documents), path) == 5_000
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [f"{document.uuid}.xml" for document in documents]
        for index in (0, 2_500, 4_999):
            assert archive.read(f"{documents[index].uuid}.xml") == documents[index].xml(0)
