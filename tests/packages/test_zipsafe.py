"""Hostile and damaged ZIPs are refused with the right error; entries read as streams."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from sat_zeep.errors import SatError
from sat_zeep.packages import (
    CompressionBombError,
    CorruptPackageError,
    EntryTooLargeError,
    PackageContentError,
    PackageError,
    TooManyEntriesError,
    UnsafeEntryNameError,
    ZipLimits,
    iter_cfdi,
    open_package,
)

from .conftest import make_zip


def check(source: bytes | Path, limits: ZipLimits | None = None) -> None:
    with open_package(source, limits=limits):
        pass


def read_entry(source: bytes, name: str) -> bytes:
    with open_package(source) as package:
        return package.read(name)


@pytest.mark.parametrize(
    "name",
    ["../evil.xml", "a/../../evil.xml", "/etc/passwd", "C:evil.xml", "c:/x.xml", "a\\b.xml"],
)
def test_traversal_names_are_refused(name: str) -> None:
    data = make_zip({"ok.xml": b"<a/>", name: b"<a/>"})
    with pytest.raises(UnsafeEntryNameError, match="refused entry") as caught:
        check(data)
    assert caught.value.entry == name
    assert isinstance(caught.value, SatError)


def test_bomb_is_refused_and_limit_is_configurable() -> None:
    data = make_zip({"bomb.xml": b"\0" * (4 << 20)})
    with pytest.raises(CompressionBombError, match="ZIP bomb"):
        check(data)
    with open_package(data, limits=ZipLimits(max_ratio=1e9)) as package:
        assert package.read("bomb.xml") == b"\0" * (4 << 20)


def test_small_entries_compress_freely() -> None:
    with open_package(make_zip({"a.xml": b"\0" * 100_000})) as package:
        assert package.entries()[0].size == 100_000


def test_oversize_entry_is_refused() -> None:
    data = make_zip({"big.xml": bytes(range(256)) * 4096})
    with pytest.raises(EntryTooLargeError, match="max_entry_size"):
        check(data, limits=ZipLimits(max_entry_size=1 << 19))


def test_too_many_entries_are_refused() -> None:
    data = make_zip({f"{index}.xml": b"<a/>" for index in range(11)})
    with pytest.raises(TooManyEntriesError, match="11 entries"):
        check(data, limits=ZipLimits(max_entries=10))


@pytest.mark.parametrize("data", [b"", b"not a zip at all", make_zip({"a.xml": b"<a/>"})[:40]])
def test_corrupt_zip_says_damaged_and_redownload_once(data: bytes) -> None:
    with pytest.raises(CorruptPackageError, match="damaged") as caught:
        list(iter_cfdi(data))
    assert "at most once" in str(caught.value)


def test_crc_error_is_corrupt() -> None:
    data = bytearray(make_zip({"a.xml": b"<a>" + b"x" * 500 + b"</a>"}))
    name_length, extra_length = struct.unpack("<HH", data[26:30])
    data[30 + name_length + extra_length + 3] ^= 0xFF  # inside the deflated data
    with pytest.raises(CorruptPackageError, match=r"'a\.xml'"):
        read_entry(bytes(data), "a.xml")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackageContentError, match="no such file"):
        check(tmp_path / "missing.zip")


def test_sources_path_bytes_and_stream(cfdi_package: Path) -> None:
    data = cfdi_package.read_bytes()
    names = []
    for source in (cfdi_package, str(cfdi_package), data, io.BytesIO(data)):
        with open_package(source) as package:
            names.append([entry.name for entry in package.entries()])
    assert names[0] == names[1] == names[2] == names[3]
    with cfdi_package.open("rb") as handle:
        with open_package(handle):
            pass
        assert not handle.closed  # a caller's stream is the caller's to close


def test_extract_all_stays_inside(tmp_path: Path) -> None:
    data = make_zip({"dir/": None, "dir/a.xml": b"<a/>", "b.txt": b"x"})
    with open_package(data) as package:
        written = package.extract_all(tmp_path / "out")
    assert sorted(path.relative_to(tmp_path / "out").as_posix() for path in written) == [
        "b.txt",
        "dir/a.xml",
    ]


def test_errors_pickle_with_attributes() -> None:
    error = CorruptPackageError("boom", source="x.zip", entry="a.xml")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, PackageError)
    assert (str(copy), copy.source, copy.entry) == ("boom", "x.zip", "a.xml")


def test_encrypted_flag_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("a.xml")
        archive.writestr(info, b"<a/>")
    data = bytearray(buffer.getvalue())
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(PackageContentError, match="encrypted"):
        check(bytes(data))
