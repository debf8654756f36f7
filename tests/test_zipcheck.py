"""The streaming ZIP check: CRCs and sizes verified while the bytes arrive."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from pathlib import Path

import pytest

from sat_zeep.zipcheck import ZipStreamCheck


def make_zip(streamed: bool = False) -> bytes:
    rng = random.Random(3)
    buffer = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:  # type: ignore[override]
            return buffer.write(data)

    target: io.RawIOBase | io.BytesIO = Unseekable() if streamed else buffer
    with zipfile.ZipFile(target, "w") as package:
        for index in range(40):
            body = rng.randbytes(rng.randrange(0, 5000)) + b"<x/>" * rng.randrange(0, 3000)
            method = zipfile.ZIP_STORED if index % 7 == 0 else zipfile.ZIP_DEFLATED
            package.writestr(f"{index:04d}-ñ.xml", body, compress_type=method)
    return buffer.getvalue()


def check(data: bytes, path: Path, chunk: int = 1000) -> str:
    path.write_bytes(data)
    checker = ZipStreamCheck()
    for offset in range(0, len(data), chunk):
        checker.feed(data[offset : offset + chunk])
    return checker.finish(path)


@pytest.mark.parametrize("streamed", [False, True], ids=["sizes-in-headers", "data-descriptors"])
@pytest.mark.parametrize("chunk", [3, 777, 1 << 20])
def test_a_whole_zip_passes(tmp_path: Path, streamed: bool, chunk: int) -> None:
    data = make_zip(streamed)
    assert check(data, tmp_path / "p.zip", chunk) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("streamed", [False, True], ids=["sizes-in-headers", "data-descriptors"])
def test_a_flipped_byte_is_caught(tmp_path: Path, streamed: bool) -> None:
    data = bytearray(make_zip(streamed))
    data[len(data) // 3] ^= 0x55
    with pytest.raises(zipfile.BadZipFile):
        check(bytes(data), tmp_path / "p.zip")


def test_a_central_directory_that_disagrees_is_caught(tmp_path: Path) -> None:
    data = bytearray(make_zip())
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 16] ^= 0x01  # the CRC field of the last central directory record
    with pytest.raises(zipfile.BadZipFile, match="central directory"):
        check(bytes(data), tmp_path / "p.zip")


def test_garbage_instead_of_a_zip(tmp_path: Path) -> None:
    with pytest.raises(zipfile.BadZipFile):
        check(b"this is not a zip file at all", tmp_path / "p.zip")


def test_close_without_a_verdict_stops_the_threads() -> None:
    checker = ZipStreamCheck()
    checker.feed(b"PK\x03\x04")
    checker.close()
    assert not any(thread.is_alive() for thread in checker._threads)
