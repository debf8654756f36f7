"""Packages written by the fake SAT's package writer, from one small deterministic universe."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from sat_zeep.testing.fake_sat.package_writer import write_cfdi_package, write_metadata_package
from sat_zeep.testing.fake_sat.universe import Document, Query, Universe

OWNER = "AAA010101AAA"


def october(service: str) -> Query:
    return Query(
        service=service,
        direction="emitidos",
        rfc=OWNER,
        start=datetime(2026, 10, 1),
        end=datetime(2026, 10, 31, 23, 59, 59),
        estado_comprobante="Todos",
    )


def make_zip(entries: dict[str, bytes | None]) -> bytes:
    """A ZIP with these entries (``None`` makes a folder entry)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            if data is None:
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def universe() -> Universe:
    return Universe(seed=0, documents_per_day=20)


@pytest.fixture(scope="session")
def cfdi_documents(universe: Universe) -> list[Document]:
    return list(universe.documents(october("cfdi")))


@pytest.fixture(scope="session")
def retenciones_documents(universe: Universe) -> list[Document]:
    return list(universe.documents(october("retenciones")))


@pytest.fixture(scope="session")
def packages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packages")


@pytest.fixture(scope="session")
def cfdi_package(packages_dir: Path, cfdi_documents: list[Document]) -> Path:
    path = packages_dir / "CFDI_01.zip"
    write_cfdi_package(cfdi_documents, path)
    return path


@pytest.fixture(scope="session")
def retenciones_package(packages_dir: Path, retenciones_documents: list[Document]) -> Path:
    path = packages_dir / "RET_01.zip"
    write_cfdi_package(retenciones_documents, path)
    return path


@pytest.fixture(scope="session")
def metadata_package(packages_dir: Path, cfdi_documents: list[Document]) -> Path:
    path = packages_dir / "META_01.zip"
    write_metadata_package(cfdi_documents, path, id_paquete="META_01", service="cfdi")
    return path


@pytest.fixture(scope="session")
def retenciones_metadata_package(packages_dir: Path, retenciones_documents: list[Document]) -> Path:
    path = packages_dir / "RETMETA_01.zip"
    write_metadata_package(
        retenciones_documents, path, id_paquete="RETMETA_01", service="retenciones", bom=True
    )
    return path
