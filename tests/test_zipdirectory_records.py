"""The central-directory reader on end records written by hand: ZIP64, split archives, damage.

The download's check trusts a package only when this listing equals the one folded from the
local headers, so every way the end records can lie must end in ``BadZipFile`` (download
again) or ``UnsupportedDirectory`` (left to ``zipfile``), never in a wrong listing. These ZIPs
are small: the ZIP64 records are written by hand instead of with 70,000 entries.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from sat_zeep.packages.archive.directory import Listing, UnsupportedDirectory, read_listing

END = struct.Struct("<4s4H2LH")
END64 = struct.Struct("<4sQ2H2L4Q")
LOCATOR = struct.Struct("<4sLQL")


def small_zip(entries: int = 3, **info: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for index in range(entries):
            member = zipfile.ZipInfo(f"{index:03d}.xml")
            member.comment = info.get("comment", b"")
            member.extra = info.get("extra", b"")
            package.writestr(member, f"<n>{index}</n>" * (index + 1))
    return buffer.getvalue()


def zipfile_listing(data: bytes) -> Listing:
    listing = Listing()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            listing.add(info.CRC, info.compress_size, info.file_size, info.filename.encode())
    return listing


def as_zip64(data: bytes, *, count: int | None = None, signature: bytes = b"PK\x06\x06") -> bytes:
    """The same ZIP with ZIP64 end records, the classic end record saying "see ZIP64"."""
    at = data.rindex(b"PK\x05\x06")
    _, _, _, entries, _, size, offset, _ = END.unpack_from(data, at)
    real = entries if count is None else count
    end64 = END64.pack(signature, 44, 45, 45, 0, 0, real, real, size, offset)
    locator = LOCATOR.pack(b"PK\x06\x07", 0, at, 1)
    end = END.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return data[:at] + end64 + locator + end


def listing_of(tmp_path: Path, data: bytes) -> Listing:
    path = tmp_path / "p.zip"
    path.write_bytes(data)
    return read_listing(path)


def refused(tmp_path: Path, data: bytes) -> str:
    with pytest.raises(zipfile.BadZipFile) as caught:
        listing_of(tmp_path, data)
    return str(caught.value)


def test_a_zip64_directory_is_read_from_its_own_end_record(tmp_path: Path) -> None:
    data = as_zip64(small_zip(3))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert len(package.infolist()) == 3  # zipfile reads it too
    listing = listing_of(tmp_path, data)
    assert listing.count == 3
    assert listing.same_as(zipfile_listing(data))


def test_a_zip64_directory_after_prepended_bytes(tmp_path: Path) -> None:
    data = b"MZ" * 300 + as_zip64(small_zip(2))
    assert listing_of(tmp_path, data).same_as(zipfile_listing(data))


def test_a_zip64_end_record_without_its_signature_is_damage(tmp_path: Path) -> None:
    data = as_zip64(small_zip(3), signature=b"PK\x06\x05")
    assert refused(tmp_path, data) == "the ZIP64 end of central directory record is damaged"


def test_a_zip64_locator_with_no_room_for_its_end_record_is_damage(tmp_path: Path) -> None:
    data = LOCATOR.pack(b"PK\x06\x07", 0, 0, 1) + END.pack(b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0)
    assert refused(tmp_path, data) == "the ZIP64 end of central directory record is damaged"


def test_a_zip64_end_record_cut_short_is_damage(tmp_path: Path) -> None:
    locator_and_end = LOCATOR.pack(b"PK\x06\x07", 0, 0, 1) + END.pack(
        b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0
    )
    data = b"PK\x06\x06" + b"\0" * (END64.size - 4) + locator_and_end
    assert listing_of(tmp_path, data).count == 0  # a whole, empty ZIP64 record reads
    assert refused(tmp_path, data[1:]) == "the ZIP64 end of central directory record is damaged"


def test_a_zip64_count_larger_than_the_directory_is_damage(tmp_path: Path) -> None:
    data = as_zip64(small_zip(3), count=4)
    assert refused(tmp_path, data) == "the central directory has a damaged record"


def test_a_split_archive_is_left_to_zipfile(tmp_path: Path) -> None:
    for field in (4, 6):  # this disk's number, the directory's first disk
        data = bytearray(small_zip(3))
        at = data.rindex(b"PK\x05\x06")
        data[at + field] = 1
        with pytest.raises(UnsupportedDirectory, match="split over several disks"):
            listing_of(tmp_path, bytes(data))


def test_an_end_record_cut_short_is_damage(tmp_path: Path) -> None:
    data = small_zip(3)
    assert refused(tmp_path, data[:-1]) == "the ZIP has no end of central directory record"


def test_a_directory_larger_than_the_file_is_damage(tmp_path: Path) -> None:
    data = bytearray(small_zip(3))
    at = data.rindex(b"PK\x05\x06")
    data[at + 12 : at + 16] = struct.pack("<L", len(data))
    assert refused(tmp_path, bytes(data)) == "the central directory's size is larger than the file"


def test_a_count_beyond_the_records_is_damage(tmp_path: Path) -> None:
    """The record after the last is the end record (and its comment): not a directory record."""
    for comment in (b"", b"c" * 100):
        data = bytearray(small_zip(3))
        at = data.rindex(b"PK\x05\x06")
        data[at + 8 : at + 12] = struct.pack("<HH", 4, 4)
        data[at + 20 : at + 22] = struct.pack("<H", len(comment))
        assert refused(tmp_path, bytes(data) + comment) == (
            "the central directory has a damaged record"
        )


def test_a_name_running_past_the_end_of_the_file_is_damage(tmp_path: Path) -> None:
    data = bytearray(small_zip(3))
    last = data.rindex(b"PK\x01\x02")
    data[last + 28 : last + 30] = struct.pack("<H", 0xFFFF)
    assert refused(tmp_path, bytes(data)) == "the central directory is cut short"


def test_a_size_only_in_zip64_extra_is_left_to_zipfile(tmp_path: Path) -> None:
    for offset in (20, 24):  # compressed size, uncompressed size
        data = bytearray(small_zip(1))
        record = data.index(b"PK\x01\x02")
        data[record + offset : record + offset + 4] = b"\xff\xff\xff\xff"
        with pytest.raises(UnsupportedDirectory, match="ZIP64 extra field"):
            listing_of(tmp_path, bytes(data))


def test_entries_with_extras_and_comments_are_read_past_them(tmp_path: Path) -> None:
    extra = struct.pack("<HH", 0xCAFE, 6) + b"abcdef"
    data = small_zip(4, comment=b"a comment per entry", extra=extra)
    listing = listing_of(tmp_path, data)
    assert listing.count == 4 and listing.same_as(zipfile_listing(data))


def test_listings_fold_every_field_and_the_order() -> None:
    def listing(*entries: tuple[int, int, int, bytes]) -> Listing:
        folded = Listing()
        for entry in entries:
            folded.add(*entry)
        return folded

    base = ((1, 2, 3, b"a.xml"), (4, 5, 6, b"b.xml"))
    assert listing(*base).same_as(listing(*base))
    for changed in (
        (9, 2, 3, b"a.xml"),
        (1, 9, 3, b"a.xml"),
        (1, 2, 9, b"a.xml"),
        (1, 2, 3, b"c.xml"),
    ):
        assert not listing(changed, base[1]).same_as(listing(*base))
    assert not listing(*reversed(base)).same_as(listing(*base))
    assert not listing(base[0]).same_as(listing(*base))
    # A name moved into the next entry's name is another listing.
    assert not listing((1, 2, 3, b"ab"), (4, 5, 6, b"c")).same_as(
        listing((1, 2, 3, b"a"), (4, 5, 6, b"bc"))
    )


def test_a_listing_of_many_entries_is_the_same_however_it_was_flushed() -> None:
    one, other = Listing(), Listing()
    for index in range(5000):
        one.add(index, index, index, f"{index:08d}.xml".encode())
        other.add(index, index, index, f"{index:08d}.xml".encode())
        if index == 2500:
            assert one.same_as(other)  # digest taken midway, then more entries
    assert one.count == other.count == 5000 and one.same_as(other)
    other.add(0, 0, 0, b"x")
    assert not one.same_as(other)
