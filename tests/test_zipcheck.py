"""The streaming ZIP check: CRCs and sizes verified while the bytes arrive."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from sat_zeep.packages.archive.stream_check import ZipStreamCheck, check_zip_file


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


@pytest.mark.parametrize("inflaters", [1, 2, 3])
@pytest.mark.parametrize("chunk", [31, 46, 4096])
def test_every_split_and_lane_count_passes(tmp_path: Path, inflaters: int, chunk: int) -> None:
    """Headers cut anywhere between chunks; entries spread over 1, 2 or 3 inflating threads."""
    data = make_zip()
    path = tmp_path / "p.zip"
    path.write_bytes(data)
    checker = ZipStreamCheck(inflaters)
    for offset in range(0, len(data), chunk):
        checker.feed(data[offset : offset + chunk])
    assert checker.finish(path) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("damaged", [(3,), (4,), (4, 9)], ids=["lane-1", "lane-0", "both"])
def test_the_first_damaged_entry_is_named_whatever_thread_found_it(
    tmp_path: Path, damaged: tuple[int, ...]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for index in range(12):
            package.writestr(f"{index:02d}.xml", f"<doc n='{index}'/>".encode() * 50)
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as package:
        infos = package.infolist()
    for index in damaged:  # flip the CRC-32 in the local header: the data no longer matches
        data[infos[index].header_offset + 14] ^= 0xFF
    with pytest.raises(zipfile.BadZipFile, match=f"'{damaged[0]:02d}.xml' fails its CRC check"):
        check(bytes(data), tmp_path / "p.zip")


def test_an_entry_that_inflates_past_its_header_is_stopped(tmp_path: Path) -> None:
    """A bomb whose header promises 1 MiB: refused when it passes that, not at 64 MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("bomb.xml", bytes(64 << 20))
    data = bytearray(buffer.getvalue())
    size_field = 22  # the uncompressed size in the local header of the first entry
    data[size_field : size_field + 4] = (1 << 20).to_bytes(4, "little")
    with pytest.raises(zipfile.BadZipFile, match="inflates to more than its header says"):
        check(bytes(data), tmp_path / "p.zip", chunk=1 << 16)


def test_large_entries_inflate_in_bounded_steps(tmp_path: Path) -> None:
    body = b"<Concepto Importe='1.00'/>" * 400_000  # ~10 MiB from ~30 KiB of deflate
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("big.xml", body)
        package.writestr("small.xml", b"<x/>")
    data = buffer.getvalue()
    assert check(data, tmp_path / "p.zip", chunk=4096) == hashlib.sha256(data).hexdigest()


def test_empty_zip_and_empty_entries(tmp_path: Path) -> None:
    for names in ([], ["empty-stored", "empty-deflated"]):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            for name in names:
                method = zipfile.ZIP_DEFLATED if "deflated" in name else zipfile.ZIP_STORED
                package.writestr(name, b"", compress_type=method)
        data = buffer.getvalue()
        assert check(data, tmp_path / "p.zip") == hashlib.sha256(data).hexdigest()


def test_zip64_sizes_are_checked_by_reading_the_file(tmp_path: Path) -> None:
    """Sizes in a ZIP64 extra field: the walk hands over to zipfile, which still checks CRCs."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package,
        package.open("a.xml", "w", force_zip64=True) as entry,
    ):
        entry.write(b"<a/>" * 1000)
    data = buffer.getvalue()
    assert check(data, tmp_path / "p.zip") == hashlib.sha256(data).hexdigest()
    damaged = bytearray(data)
    damaged[data.index(b"a.xml") + len("a.xml") + 20 + 2] ^= 0x55  # after the ZIP64 extra
    with pytest.raises(zipfile.BadZipFile):
        check(bytes(damaged), tmp_path / "p.zip")


def test_the_walk_must_reach_the_central_directory(tmp_path: Path) -> None:
    data = make_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        last = package.infolist()[-1]
    cut = data[: last.header_offset + 60]  # into the last entry's data
    path = tmp_path / "p.zip"
    path.write_bytes(data)  # the file on disk is whole; what was fed is not
    checker = ZipStreamCheck()
    checker.feed(cut)
    with pytest.raises(zipfile.BadZipFile):
        checker.finish(path)


def test_a_failing_thread_neither_hangs_the_download_nor_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, piece: memoryview, last: bool) -> None:
        raise MemoryError("no room to inflate")

    monkeypatch.setattr("sat_zeep.packages.archive.walk.Entry.check", broken)
    with pytest.raises(MemoryError, match="no room"):
        check(make_zip(), tmp_path / "p.zip", chunk=64)  # far more batches than the backlog


def _zipfile_refuses(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return package.testzip() is not None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
        return True


@pytest.mark.parametrize("seed", range(40))
def test_whatever_zipfile_refuses_the_check_refuses_too(tmp_path: Path, seed: int) -> None:
    """Differential: one flipped byte anywhere; the streaming check is never more lenient.

    Odd seeds: deflated entries with data descriptors (sizes after the data), walked inline.
    """
    rng = random.Random(seed)
    if seed % 2:
        data = bytearray(descriptor_zip(signature=rng.random() < 0.5, entries=rng.randrange(1, 12)))
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            for index in range(rng.randrange(1, 12)):
                body = rng.randbytes(rng.randrange(0, 3000)) + b"<a/>" * rng.randrange(0, 2000)
                method = rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
                package.writestr(f"{index}.xml", body, compress_type=method)
        data = bytearray(buffer.getvalue())
    assert check(bytes(data), tmp_path / "p.zip", rng.randrange(1, 5000))
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    if _zipfile_refuses(bytes(data)):
        with pytest.raises(zipfile.BadZipFile):
            check(bytes(data), tmp_path / "p.zip", rng.randrange(1, 5000))


def descriptor_zip(signature: bool = True, entries: int = 30) -> bytes:
    """Deflated entries whose CRC and sizes follow the data, as a streaming writer makes them."""
    rng = random.Random(5)
    local, central = bytearray(), bytearray()
    for index in range(entries):
        body = rng.randbytes(rng.randrange(0, 4000)) + b"<Concepto/>" * rng.randrange(0, 3000)
        squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = squeeze.compress(body) + squeeze.flush()
        name, crc, offset = f"{index:03d}.xml".encode(), zlib.crc32(body), len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x8, 8, 0, 0, 0, 0, 0, len(name), 0)
        local += name + data
        local += (b"PK\x07\x08" if signature else b"") + struct.pack(
            "<3L", crc, len(data), len(body)
        )
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0x8, 8, 0, 0, crc, len(data), len(body),
            len(name), 0, 0, 0, 0, 0, offset,
        ) + name  # fmt: skip
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(central), len(local), 0
    )
    return bytes(local + central + end)


@pytest.mark.parametrize("signature", [True, False], ids=["16-byte", "12-byte"])
@pytest.mark.parametrize("chunk", [1, 5, 777, 1 << 20])
def test_data_descriptors_are_followed_while_streaming(
    tmp_path: Path, signature: bool, chunk: int
) -> None:
    data = descriptor_zip(signature)
    assert _zipfile_refuses(data) is False
    path = tmp_path / "p.zip"
    path.write_bytes(data)
    checker = ZipStreamCheck()
    for offset in range(0, len(data), chunk):
        checker.feed(data[offset : offset + chunk])
    assert checker.finish(path) == hashlib.sha256(data).hexdigest()
    assert not checker._fallback  # walked as it arrived, not read again from the file


@pytest.mark.parametrize("where", ["data", "crc", "size"])
def test_a_damaged_data_descriptor_entry_is_caught(tmp_path: Path, where: str) -> None:
    data = bytearray(descriptor_zip(signature=True, entries=3))
    descriptor = data.index(b"PK\x07\x08")
    at = {"data": descriptor - 20, "crc": descriptor + 5, "size": descriptor + 13}[where]
    data[at] ^= 0x20
    with pytest.raises(zipfile.BadZipFile):
        check(bytes(data), tmp_path / "p.zip")


def test_an_encrypted_entry_is_a_bad_zip_not_a_crash(tmp_path: Path) -> None:
    data = bytearray(make_zip())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as package:
        first, directory = package.infolist()[0], package.start_dir
    assert data[directory : directory + 4] == b"PK\x01\x02"
    for flags in (first.header_offset + 6, directory + 8):  # local header and directory record
        data[flags] |= 0x1  # "encrypted"
    with pytest.raises(zipfile.BadZipFile, match="cannot be read"):
        check(bytes(data), tmp_path / "p.zip")


def test_a_zip_already_on_disk_gets_the_same_check(tmp_path: Path) -> None:
    data = make_zip()
    path = tmp_path / "p.zip"
    path.write_bytes(data)
    assert check_zip_file(path) == hashlib.sha256(data).hexdigest()
    damaged = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        deflated = next(i for i in package.infolist() if i.compress_type == zipfile.ZIP_DEFLATED)
    start = deflated.header_offset + 30 + len(deflated.filename.encode()) + len(deflated.extra)
    damaged[start : start + 3] = bytes(byte ^ 0xFF for byte in damaged[start : start + 3])
    path.write_bytes(bytes(damaged))
    with pytest.raises(zipfile.BadZipFile, match=r"cannot be inflated|CRC"):
        check_zip_file(path)
