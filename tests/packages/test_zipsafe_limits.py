"""The safe ZIP reader at each limit, and ZIPs whose headers lie (written byte by byte here).

Each limit is tried at the value it allows and one past it, so an off-by-one either way fails a
test; the hand-written ZIPs give the local header a name, an extra field or sizes that differ
from the central directory, which ``zipfile`` itself would never write.
"""

from __future__ import annotations

import io
import random
import struct
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest

from sat_zeep.packages import (
    CompressionBombError,
    CorruptPackageError,
    EntryTooLargeError,
    PackageContentError,
    TooManyEntriesError,
    UnsafeEntryNameError,
    ZipLayoutError,
    ZipLimits,
    open_package,
)
from sat_zeep.packages.archive import inflate
from sat_zeep.packages.archive import safe_reader as zipsafe
from sat_zeep.packages.archive.safe_reader import check_entry_name, is_macos_leftover, source_name
from sat_zeep.packages.errors import REDOWNLOAD_HINT

from .conftest import make_zip


def raw_zip(
    name: bytes,
    data: bytes,
    *,
    deflate: bool = True,
    local_name: bytes | None = None,
    local_extra: bytes = b"",
    central_extra: bytes = b"",
    declared_size: int | None = None,
    crc: int | None = None,
    flags: int = 0,
    magic: bytes = b"PK\x03\x04",
) -> bytes:
    """A one-entry ZIP whose local header and central directory say what they are told."""
    packed = zlib.compress(data, 9)[2:-4] if deflate else data
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    crc = zlib.crc32(data) if crc is None else crc
    size = len(data) if declared_size is None else declared_size
    local_name = name if local_name is None else local_name
    local = struct.pack(
        "<4sHHHHHIIIHH", magic, 20, flags, method, 0, 0x21, crc, len(packed), size,
        len(local_name), len(local_extra),
    )  # fmt: skip
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc, len(packed),
        size, len(name), len(central_extra), 0, 0, 0, 0, 0,
    )  # fmt: skip
    body = local + local_name + local_extra + packed
    directory = central + name + central_extra
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


def check(source: bytes | Path, limits: ZipLimits | None = None) -> None:
    with open_package(source, limits=limits):
        pass


def read(data: bytes, name: str = "a.xml") -> bytes:
    """The entry as ``read`` gives it, after checking ``read_each`` on the file gives the same."""
    with open_package(data) as package:
        whole = package.read(name)
    assert from_disk(data, name) == whole
    return whole


def from_disk(data: bytes, name: str) -> bytes | str:
    """``read_each`` (the memory-mapped reader of files on disk): the entry, or why it is damaged
    (with ``<bytes>`` for the file's path, so it reads as ``read``'s message)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "package.zip"
        path.write_bytes(data)
        with open_package(path) as package:
            (entry,) = [e for e in package.entries() if e.name == name]
            try:
                (whole,) = package.read_each([entry])
            except CorruptPackageError as error:
                assert error.entry == name
                return str(error).replace(str(path), "<bytes>")
    return whole


def corrupt(data: bytes, name: str = "a.xml") -> str:
    """Why ``read`` refuses the entry, after checking ``read_each`` refuses it alike."""
    with pytest.raises(CorruptPackageError) as caught:
        read(data, name)
    assert caught.value.entry == name
    message = str(caught.value)
    assert message.startswith(f"entry {name!r} of <bytes> is damaged (")
    assert message.endswith(f"). {REDOWNLOAD_HINT}")
    assert from_disk(data, name) == message
    return message


DOCUMENT = b"<cfdi:Comprobante>" + b"x" * 3000 + b"</cfdi:Comprobante>"


# -- limits ------------------------------------------------------------------------------------


def test_max_entries_is_allowed_and_one_more_is_refused() -> None:
    data = make_zip({f"{index}.xml": b"<a/>" for index in range(10)})
    with open_package(data, limits=ZipLimits(max_entries=10)) as package:
        assert len(package.entries()) == 10
    with pytest.raises(TooManyEntriesError) as caught:
        check(data, ZipLimits(max_entries=9))
    assert str(caught.value) == (
        "<bytes>: 10 entries, over the 9 limit. If you trust this package, pass "
        "limits=ZipLimits(max_entries=...)."
    )


def test_max_entry_size_is_allowed_and_one_byte_more_is_refused() -> None:
    data = make_zip({"a.xml": DOCUMENT})
    with open_package(data, limits=ZipLimits(max_entry_size=len(DOCUMENT))) as package:
        assert package.read("a.xml") == DOCUMENT
    with pytest.raises(EntryTooLargeError) as caught:
        check(data, ZipLimits(max_entry_size=len(DOCUMENT) - 1))
    assert caught.value.entry == "a.xml"
    assert str(caught.value) == (
        f"<bytes>: entry 'a.xml' declares {len(DOCUMENT):,} bytes uncompressed, over the "
        f"{len(DOCUMENT) - 1:,}-byte cap. If you trust this package, pass "
        "limits=ZipLimits(max_entry_size=...)."
    )


def _ratio(data: bytes) -> tuple[int, float]:
    with open_package(data, limits=ZipLimits(max_ratio=1e12)) as package:
        (entry,) = package.entries()
    return entry.size, entry.size / entry.compressed_size


def test_the_ratio_limit_is_allowed_and_just_over_it_is_refused() -> None:
    data = make_zip({"bomb.xml": b"\0" * (2 << 20)})
    size, ratio = _ratio(data)
    assert ratio > 200  # a real bomb-like entry
    with open_package(data, limits=ZipLimits(max_ratio=ratio)) as package:
        assert package.entries()[0].size == size
    with pytest.raises(CompressionBombError) as caught:
        check(data, ZipLimits(max_ratio=ratio * 0.999))
    assert caught.value.entry == "bomb.xml"
    (entry,) = _infos(data)
    assert str(caught.value) == (
        f"<bytes>: entry 'bomb.xml' inflates {ratio:,.0f}:1 ({entry.compress_size:,} -> "
        f"{size:,} bytes), over the {ratio * 0.999:,.0f}:1 limit: this looks like a ZIP bomb. "
        "If you trust this package, pass limits=ZipLimits(max_ratio=...)."
    )


def _infos(data: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.infolist()


def test_an_entry_that_claims_megabytes_from_no_bytes_is_a_bomb() -> None:
    data = raw_zip(b"a.xml", b"", deflate=False, declared_size=2 << 20)
    with pytest.raises(CompressionBombError) as caught:
        check(data)
    assert str(caught.value).startswith(
        "<bytes>: entry 'a.xml' inflates 2,097,152:1 (0 -> 2,097,152 bytes), over the 200:1 limit"
    )


def test_the_ratio_applies_only_above_the_threshold() -> None:
    data = make_zip({"bomb.xml": b"\0" * (2 << 20)})
    size, _ = _ratio(data)
    with open_package(data, limits=ZipLimits(ratio_threshold=size)) as package:
        assert package.entries()[0].size == size  # not over the threshold: any ratio
    with pytest.raises(CompressionBombError):
        check(data, ZipLimits(ratio_threshold=size - 1))


def test_the_default_limits_are_the_documented_ones() -> None:
    """256 MiB per entry, 200:1 above 1 MiB, two million entries (README, ZipLimits)."""
    assert ZipLimits() == ZipLimits(
        max_entry_size=256 << 20, max_ratio=200.0, ratio_threshold=1 << 20, max_entries=2_000_000
    )


# -- headers that lie --------------------------------------------------------------------------


def test_a_well_formed_hand_written_zip_reads_stored_and_deflated() -> None:
    assert read(raw_zip(b"a.xml", DOCUMENT)) == DOCUMENT
    assert read(raw_zip(b"a.xml", DOCUMENT, deflate=False)) == DOCUMENT


def test_a_local_header_naming_another_file_is_refused() -> None:
    """A ZIP whose local header says ``b.xml`` where the directory says ``a.xml`` is two files
    to two readers: refused."""
    message = corrupt(raw_zip(b"a.xml", DOCUMENT, local_name=b"b.xml"))
    assert "file name in directory 'a.xml' and header differ" in message


def test_a_local_header_with_a_different_extra_field_is_read_at_its_own_offset() -> None:
    extra = struct.pack("<HH", 0xCAFE, 4) + b"1234"
    assert read(raw_zip(b"a.xml", DOCUMENT, local_extra=extra)) == DOCUMENT
    assert read(raw_zip(b"a.xml", DOCUMENT, central_extra=extra)) == DOCUMENT
    assert read(raw_zip(b"a.xml", DOCUMENT, deflate=False, local_extra=extra)) == DOCUMENT


def test_a_local_header_without_its_signature_is_refused() -> None:
    message = corrupt(raw_zip(b"a.xml", DOCUMENT, magic=b"PK\x07\x08"))
    assert "bad magic number for file header" in message


#: The two inflaters the reader may use, and how each says an entry is not its declared size.
INFLATERS = {
    "zlib": (
        inflate._inflate_zlib,
        "the entry inflates to more than its declared 100 bytes",
        "the entry inflates to {} bytes",
    ),
    "libdeflate": (
        inflate._inflate_libdeflate,
        "the entry does not inflate to its declared 100 bytes",
        "the entry inflates to {} bytes",
    ),
}


@pytest.fixture(params=list(INFLATERS))
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Read with zlib, then with libdeflate (the ``fast`` extra, in the test extra too)."""
    function, larger, smaller = INFLATERS[request.param]
    if request.param == "libdeflate":
        assert inflate._deflate is not None, "install the deflate package (the test extra has it)"
    monkeypatch.setattr(zipsafe, "inflate_exact", function)
    return larger, smaller


def test_an_entry_larger_than_declared_is_not_inflated_past_its_size(
    inflater: tuple[str, str],
) -> None:
    message = corrupt(raw_zip(b"a.xml", DOCUMENT, declared_size=100))
    assert inflater[0] in message


def test_an_entry_smaller_than_declared_is_refused(inflater: tuple[str, str]) -> None:
    message = corrupt(raw_zip(b"a.xml", DOCUMENT, declared_size=len(DOCUMENT) + 1))
    smaller = inflater[1].format(f"{len(DOCUMENT):,}")
    assert f"{smaller}, not the declared {len(DOCUMENT) + 1:,}" in message


def test_a_wrong_crc_is_refused_stored_or_deflated() -> None:
    for deflate in (True, False):
        message = corrupt(raw_zip(b"a.xml", DOCUMENT, deflate=deflate, crc=zlib.crc32(b"x")))
        assert "Bad CRC-32 for file 'a.xml'" in message


def test_truncated_entry_data_is_refused() -> None:
    whole = raw_zip(b"a.xml", DOCUMENT, deflate=False)
    start = 30 + len(b"a.xml")
    cut = whole[: start + 10]
    directory = whole[start + len(DOCUMENT) :]
    # The directory still claims the whole entry; only 10 of its bytes are there.
    data = cut + directory.replace(
        struct.pack("<I", start + len(DOCUMENT)), struct.pack("<I", start + 10)
    )
    message = corrupt(data)
    assert "truncated" in message


def test_names_are_read_as_utf8_when_flagged_and_cp437_otherwise() -> None:
    utf8 = "factura-ñ.xml"
    assert read(raw_zip(utf8.encode(), DOCUMENT, flags=0x800), utf8) == DOCUMENT
    cp437 = "factura-é.xml"
    assert read(raw_zip(cp437.encode("cp437"), DOCUMENT), cp437) == DOCUMENT


def test_other_compression_methods_are_read_through_zipfile() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("a.xml", DOCUMENT)
    assert read(buffer.getvalue()) == DOCUMENT


def test_an_unknown_entry_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        read(make_zip({"a.xml": DOCUMENT}), "b.xml")


def test_a_damaged_entry_fails_when_streamed_or_extracted(tmp_path: Path) -> None:
    data = raw_zip(b"a.xml", DOCUMENT, local_name=b"b.xml")
    with open_package(data) as package:
        with pytest.raises(CorruptPackageError) as opened:
            package.open("a.xml")
        with pytest.raises(CorruptPackageError) as extracted:
            package.extract_all(tmp_path / "out")
    assert opened.value.entry == extracted.value.entry == "a.xml"
    crc = raw_zip(b"a.xml", DOCUMENT, crc=1)
    with open_package(crc) as package, pytest.raises(CorruptPackageError, match="Bad CRC-32"):
        package.extract_all(tmp_path / "crc")


def test_an_encrypted_entry_names_itself() -> None:
    with pytest.raises(PackageContentError) as caught:
        read(raw_zip(b"a.xml", DOCUMENT, flags=0x1))
    assert str(caught.value) == "<bytes>: entry 'a.xml' is encrypted; SAT packages never are."
    assert caught.value.entry == "a.xml"


# -- names and sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "it is empty"),
        ("a\x00.xml", "it contains a NUL character"),
        ("dir\\a.xml", "it contains a backslash (a Windows path separator)"),
        ("/a.xml", "it is an absolute path"),
        ("C:a.xml", "it starts with a drive letter"),
        ("dir/../../a.xml", "it contains a '..' component"),
        ("..", "it contains a '..' component"),
    ],
)
def test_each_unsafe_name_says_why(name: str, problem: str) -> None:
    assert check_entry_name(name) == problem


@pytest.mark.parametrize("name", ["a.xml", "dir/", "dir/a.xml", ".hidden", "a..b.xml", "ñ.xml"])
def test_safe_names_pass(name: str) -> None:
    assert check_entry_name(name) is None


@pytest.mark.parametrize(
    "name", ["__MACOSX/", "__MACOSX/._A.xml", "__MACOSX/dir/A.xml", "._A.xml", "dir/._A.xml"]
)
def test_what_macos_adds_when_re_zipping_is_a_leftover(name: str) -> None:
    assert is_macos_leftover(name)


@pytest.mark.parametrize(
    "name", ["A.xml", "_A.xml", ".A.xml", "dir/__MACOSX", "MACOSX/A.xml", "._dir/A.xml", "a._b.xml"]
)
def test_a_sat_entry_is_not_a_macos_leftover(name: str) -> None:
    assert not is_macos_leftover(name)


def test_a_name_listed_twice_is_refused_with_advice() -> None:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is told to write
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("a.xml", b"<a/>")
            archive.writestr("a.xml", b"<b/>")
    with pytest.raises(ZipLayoutError) as caught:
        check(buffer.getvalue())
    assert str(caught.value) == (
        "<bytes>: refused: the ZIP lists entry 'a.xml' twice (which copy would be read depends "
        "on the reader; SAT never writes this). Do not extract this ZIP; download the package "
        "again."
    )


def test_an_unsafe_name_is_refused_with_advice() -> None:
    with pytest.raises(UnsafeEntryNameError) as caught:
        read(raw_zip(b"../a.xml", DOCUMENT), "../a.xml")
    assert str(caught.value) == (
        "<bytes>: refused entry '../a.xml' because it contains a '..' component. A SAT package "
        "only holds plain file names; do not extract this ZIP."
    )


def test_sources_are_named_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    assert source_name(path) == str(path) and source_name(str(path)) == str(path)
    assert source_name(b"PK") == "<bytes>"
    assert source_name(io.BytesIO(b"PK")) == "<stream>"
    path.write_bytes(b"")
    with path.open("rb") as handle:
        assert source_name(handle) == str(path)


def test_unreadable_packages_say_how_big_they_were(tmp_path: Path) -> None:
    with pytest.raises(CorruptPackageError) as empty:
        check(b"")
    assert str(empty.value).startswith("<bytes> is damaged: empty: ")
    with pytest.raises(CorruptPackageError) as junk:
        check(b"x" * 1234)
    assert str(junk.value).startswith("<bytes> is damaged: not a readable ZIP (1,234 bytes): ")
    assert str(junk.value).endswith(REDOWNLOAD_HINT)
    missing = tmp_path / "missing.zip"
    with pytest.raises(PackageContentError) as absent:
        check(missing)
    assert (
        str(absent.value) == f"{missing}: no such file; check the path of the downloaded package."
    )


# -- the memory-mapped reader (read_each on a file on disk) and the streaming reader agree ------


def tail_zip(
    local: bytes,
    name: bytes = b"a.xml",
    *,
    packed: int,
    size: int,
    crc: int = 0,
    deflate: bool = False,
) -> bytes:
    """A one-entry ZIP whose central directory comes first and whose entry (``local``: its local
    header and what follows) is the end of the file, inside the end record's comment. This is
    the only way an entry can reach the last byte of a ZIP."""
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    directory_size = 46 + len(name)
    offset = directory_size + 22
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, packed, size,
        len(name), 0, 0, 0, 0, 0, offset,
    )  # fmt: skip
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, directory_size, 0, len(local))
    return central + name + end + local


def local_header(name: bytes, packed: bytes, size: int, *, deflate: bool, crc: int) -> bytes:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    return struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(packed), size,
        len(name), 0,
    )  # fmt: skip


@pytest.mark.parametrize("deflate", [False, True])
def test_an_entry_that_ends_on_the_last_byte_of_the_file_reads(deflate: bool) -> None:
    packed = zlib.compress(DOCUMENT, 9)[2:-4] if deflate else DOCUMENT
    crc = zlib.crc32(DOCUMENT)
    header = local_header(b"a.xml", packed, len(DOCUMENT), deflate=deflate, crc=crc)
    data = tail_zip(
        header + b"a.xml" + packed, packed=len(packed), size=len(DOCUMENT), crc=crc,
        deflate=deflate,
    )  # fmt: skip
    assert read(data) == DOCUMENT


def test_a_local_header_cut_at_the_end_of_the_file_is_refused_alike() -> None:
    """30 bytes is a whole local header without its name; 29 bytes is not even a header."""
    header = local_header(b"a.xml", DOCUMENT, len(DOCUMENT), deflate=False, crc=0)
    whole = corrupt(tail_zip(header, packed=len(DOCUMENT), size=len(DOCUMENT)))
    assert "file name in directory 'a.xml' and header differ" in whole
    cut = corrupt(tail_zip(header[:29], packed=len(DOCUMENT), size=len(DOCUMENT)))
    assert "bad magic number for file header" in cut


def test_a_stored_entry_shorter_or_longer_than_declared_is_refused_alike() -> None:
    for declared in (len(DOCUMENT) - 1, len(DOCUMENT) + 1):
        message = corrupt(raw_zip(b"a.xml", DOCUMENT, deflate=False, declared_size=declared))
        assert f"the entry holds {len(DOCUMENT):,} bytes, not the declared {declared:,}" in message


def test_empty_and_tiny_entries_read_whatever_the_extra_fields() -> None:
    extra = struct.pack("<HH", 0xCAFE, 4) + b"1234"
    for data in (b"", b"ab"):
        for deflate in (False, True):
            assert read(raw_zip(b"a.xml", data, deflate=deflate)) == data
            assert read(raw_zip(b"a.xml", data, deflate=deflate, central_extra=extra)) == data
            assert read(raw_zip(b"a.xml", data, deflate=deflate, local_extra=extra)) == data


def test_read_each_reads_every_entry_of_any_method_from_any_source(tmp_path: Path) -> None:
    """Entries the mapping cannot slice (bzip2 here) are read in turn, and the ones after them
    too; bytes and streams (no file to map) give the same entries."""
    buffer = io.BytesIO()
    contents = {f"{n}.xml": DOCUMENT + str(n).encode() for n in range(4)}
    with zipfile.ZipFile(buffer, "w") as archive:
        for n, (name, content) in enumerate(contents.items()):
            method = [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_STORED][n % 3]
            archive.writestr(name, content, compress_type=method)
    data = buffer.getvalue()
    path = tmp_path / "package.zip"
    path.write_bytes(data)
    for source in (path, data, io.BytesIO(data)):
        with open_package(source) as package:
            assert list(package.read_each(package.entries())) == list(contents.values())


def test_a_stream_that_cannot_seek_is_refused_with_what_to_pass() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            return 0

    with pytest.raises(PackageContentError) as caught:
        check(Pipe())  # type: ignore[arg-type]
    assert str(caught.value) == (
        "<stream>: cannot read a ZIP from a stream that cannot seek; pass its path, its bytes "
        "or a file opened with open(path, 'rb')."
    )


def test_a_damaged_package_without_an_entry_names_only_its_source() -> None:
    with open_package(make_zip({"a.xml": DOCUMENT})) as package:
        error = package.corrupt(None, zlib.error("bad"))
        named = package.corrupt("a.xml", zlib.error("bad"))
    assert str(error) == f"<bytes> is damaged (bad). {REDOWNLOAD_HINT}"
    assert (error.source, error.entry) == ("<bytes>", None)
    assert str(named) == f"entry 'a.xml' of <bytes> is damaged (bad). {REDOWNLOAD_HINT}"


def test_limits_and_entries_are_values(tmp_path: Path) -> None:
    """Hashable and read-only: a limit cannot change under a package being read."""
    with open_package(make_zip({"a.xml": DOCUMENT})) as package:
        (entry,) = package.entries()
        with pytest.raises(AttributeError):
            package.limits.max_entries = 1  # type: ignore[misc]
        with pytest.raises(AttributeError):
            entry.size = 1  # type: ignore[misc]
    assert {ZipLimits(), ZipLimits()} == {ZipLimits()}
    assert (
        len({entry, zipsafe.PackageEntry("a.xml", entry.size, entry.compressed_size, False)}) == 1
    )


# -- extraction --------------------------------------------------------------------------------


def test_extraction_writes_nested_folders_and_the_bytes_and_may_be_repeated(
    tmp_path: Path,
) -> None:
    big = random.Random(0).randbytes(1_300_000)  # over one read chunk, barely compressible
    entries: dict[str, bytes | None] = {
        "a/b/c.xml": b"<c/>",
        "a/b/d.xml": big,
        "e/": None,
        "e/f/": None,
        "e/f/g.xml": b"<g/>",
    }
    out = tmp_path / "out"
    for _ in range(2):  # a second extraction into the same folder overwrites, not refuses
        with open_package(make_zip(entries)) as package:
            written = package.extract_all(out)
        assert {p.relative_to(out).as_posix(): p.read_bytes() for p in written} == {
            "a/b/c.xml": b"<c/>",
            "a/b/d.xml": big,
            "e/f/g.xml": b"<g/>",
        }
        assert (out / "e" / "f").is_dir()


def test_extraction_through_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "link").symlink_to(elsewhere, target_is_directory=True)
    package_bytes = make_zip({"link/a.xml": b"<a/>"})
    with open_package(package_bytes) as package, pytest.raises(UnsafeEntryNameError) as caught:
        package.extract_all(out)
    assert str(caught.value) == f"<bytes>: entry 'link/a.xml' would leave {out.resolve()}"
    assert caught.value.entry == "link/a.xml"
    assert list(elsewhere.iterdir()) == []


def test_a_directory_listed_out_of_offset_order_is_still_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", b"<a/>")
        archive.writestr("b.xml", b"<b/>")
        archive.filelist.reverse()  # the central directory lists b.xml first
    with open_package(buffer.getvalue()) as package:
        assert [entry.name for entry in package.entries()] == ["b.xml", "a.xml"]
        assert package.read("a.xml") == b"<a/>"
        assert list(package.read_each(package.entries())) == [b"<b/>", b"<a/>"]
