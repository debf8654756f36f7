"""Reading a ZIP's central directory in constant memory: it must agree with zipfile's view."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sat_zeep.packages.archive import directory as zipdirectory
from sat_zeep.packages.archive.directory import Listing, UnsupportedDirectory, read_listing


def write_zip(path: Path, entries: int, *, comment: bytes = b"", prefix: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.comment = comment
        for index in range(entries):
            package.writestr(f"{index:06d}-ñ.xml", f"<n>{index}</n>")
    data = prefix + buffer.getvalue()
    path.write_bytes(data)
    return data


def zipfile_listing(data: bytes) -> Listing:
    listing = Listing()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            raw_name = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
            listing.add(info.CRC, info.compress_size, info.file_size, raw_name)
    return listing


@pytest.mark.parametrize(
    ("entries", "comment", "prefix"),
    [(0, b"", b""), (3, b"", b""), (3, b"x" * 70_000, b""), (3, b"", b"#!/bin/sh\n")],
    ids=["empty", "three", "long-comment", "prepended-bytes"],
)
def test_the_listing_is_zipfiles(
    tmp_path: Path, entries: int, comment: bytes, prefix: bytes
) -> None:
    data = write_zip(tmp_path / "p.zip", entries, comment=comment[:65535], prefix=prefix)
    listing = read_listing(tmp_path / "p.zip")
    assert listing.count == entries
    assert listing.same_as(zipfile_listing(data))


@pytest.mark.parametrize(
    ("entries", "prefix", "zip64"),
    [(65_535, b"", False), (70_000, b"MZ\x90\x00" * 100, True)],
    ids=["65535-without-zip64", "70000-zip64-with-prepended-bytes"],
)
def test_many_entries(tmp_path: Path, entries: int, prefix: bytes, zip64: bool) -> None:
    """65,535 fits the classic end record; more needs ZIP64's, found relative to its locator."""
    data = write_zip(tmp_path / "p.zip", entries, prefix=prefix)
    assert (b"PK\x06\x06" in data[-200:]) == zip64
    listing = read_listing(tmp_path / "p.zip")
    assert listing.count == entries
    assert listing.same_as(zipfile_listing(data))


def test_a_listing_that_differs_in_one_field_is_not_the_same() -> None:
    one, other = Listing(), Listing()
    one.add(1, 2, 3, b"a.xml")
    other.add(1, 2, 4, b"a.xml")
    assert not one.same_as(other)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[:-22], "no end of central directory"),
        (lambda data: data.replace(b"PK\x01\x02", b"PK\x01\x03", 1), "damaged record"),
        (lambda data: b"", "no end of central directory"),
        (lambda data: data[: data.rindex(b"PK\x01\x02") + 50] + data[-22:], "central directory"),
    ],
    ids=["no-end-record", "bad-record", "empty-file", "cut-short"],
)
def test_damage_is_a_bad_zip(
    tmp_path: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    data = write_zip(tmp_path / "p.zip", 3)
    (tmp_path / "p.zip").write_bytes(damage(data))
    with pytest.raises(zipfile.BadZipFile, match=message):
        read_listing(tmp_path / "p.zip")


def test_sizes_only_in_a_zip64_extra_are_left_to_zipfile(tmp_path: Path) -> None:
    data = bytearray(write_zip(tmp_path / "p.zip", 1))
    record = data.index(b"PK\x01\x02")
    data[record + 20 : record + 24] = b"\xff\xff\xff\xff"  # compressed size: "see the extra"
    (tmp_path / "p.zip").write_bytes(bytes(data))
    with pytest.raises(UnsupportedDirectory):
        read_listing(tmp_path / "p.zip")


@pytest.mark.parametrize("block", [1, 7, 46, 53, 64, 100, 333])
def test_records_cut_across_read_blocks_are_read_whole(
    tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for index in range(12):
            info = zipfile.ZipInfo(f"{index:03d}-{'n' * (index * 7)}.xml")
            info.extra = b"\xfe\xca" + (index * 5).to_bytes(2, "little") + b"e" * (index * 5)
            info.comment = b"c" * (index * 11)
            package.writestr(info, f"<n>{index}</n>")
    path = tmp_path / "cut.zip"
    path.write_bytes(buffer.getvalue())
    monkeypatch.setattr(zipdirectory, "_BLOCK", block)
    assert read_listing(path).same_as(zipfile_listing(buffer.getvalue()))
