"""ZIPs whose entries repeat a name or overlap are refused, downloaded or read."""

from __future__ import annotations

import base64
import io
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest

from sat_zeep.errors import PackageTransferError
from sat_zeep.packages import UnsafePackageError, iter_metadata, open_package
from sat_zeep.packages.archive.stream_check import check_zip_file
from sat_zeep.signing.fiel import Fiel

from .server import descarga_body, reply, talking_to

ID_PAQUETE = "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01"
HEADER = "Uuid~RfcEmisor~NombreEmisor~RfcReceptor~NombreReceptor~RfcPac~FechaEmision~"
HEADER += "FechaCertificacionSat~Monto~EfectoComprobante~Estatus~FechaCancelacion\r\n"


def duplicated() -> bytes:
    """Two entries named alike: the first says one thing, the second (which zipfile picks)
    another."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, and writes it
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{ID_PAQUETE}.txt", HEADER + "first\r\n")
            archive.writestr(f"{ID_PAQUETE}.txt", HEADER + "second\r\n")
    return buffer.getvalue()


def overlapping(copies: int = 3) -> bytes:
    """``copies`` entries of other names whose local headers all point at one deflated kernel.

    Each central-directory record names its own local header; every local header is followed
    by the same compressed bytes, reached through the headers after it (a "quoted" overlap).
    """
    kernel = zlib.compressobj(9, zlib.DEFLATED, -15)
    plain = b"A" * 200_000
    data = kernel.compress(plain) + kernel.flush()
    crc = zlib.crc32(plain)
    names = [f"{index:032d}.xml".encode() for index in range(copies)]
    headers = [
        struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
        for name in names
    ]
    # Entry i's data is: the local headers of entries i+1… (stored in a deflate "stored"
    # block would be needed to be valid; we keep it simple: each entry declares the kernel as
    # its data and starts where it starts, so the ranges overlap).
    body = b"".join(headers) + data
    directory = b""
    offset = 0
    for name, header in zip(names, headers, strict=True):
        compressed = len(body) - offset - len(header)
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            compressed,
            len(plain),
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += name
        offset += len(header)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, copies, copies, len(directory), len(body), 0)
    return body + directory + end


def test_a_package_with_a_name_listed_twice_is_refused_when_read() -> None:
    with pytest.raises(UnsafePackageError, match="twice"):
        list(iter_metadata(duplicated()))
    with pytest.raises(UnsafePackageError, match="twice"), open_package(duplicated()):
        pass


def test_a_package_with_overlapping_entries_is_refused_when_read() -> None:
    with pytest.raises(UnsafePackageError, match="overlap"), open_package(overlapping()):
        pass


@pytest.mark.parametrize("build", [duplicated, overlapping])
def test_such_a_zip_fails_the_download_check(tmp_path: Path, build: object) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(build())  # type: ignore[operator]
    with pytest.raises(
        zipfile.BadZipFile, match=r"twice|overlap|directory does not match|not a ZIP entry"
    ):
        check_zip_file(path)


@pytest.mark.parametrize("to_file", [False, True], ids=["in-memory", "streamed"])
def test_a_downloaded_package_listing_a_name_twice_is_refused(
    fiel: Fiel, tmp_path: Path, to_file: bool
) -> None:
    body = descarga_body(duplicated())
    target = tmp_path / "p.zip" if to_file else None
    with (
        talking_to(fiel, {"Descargar": reply(200, body)}) as (_, client),
        pytest.raises(PackageTransferError, match="twice"),
    ):
        client.descargar(ID_PAQUETE, destino=target)
    assert not (tmp_path / "p.zip").exists()


def test_a_good_package_still_passes(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(50):
            archive.writestr(f"{index:04d}.xml", f"<x>{index}</x>" * 100)
    path = tmp_path / "good.zip"
    path.write_bytes(buffer.getvalue())
    assert check_zip_file(path)
    with open_package(buffer.getvalue()) as package:
        assert len(package.entries()) == 50
    assert base64.b64encode(b"x")
