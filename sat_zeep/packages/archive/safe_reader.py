"""Open a package ZIP defensively and read its entries as streams, never extracting to disk.

``open_package`` checks the whole central directory before anything is read:

* entry names must be relative and stay inside the package: ``../x``, ``/x``, ``C:x``, ``a\\b`` and
  names with NUL are refused (``UnsafeEntryNameError``);
* an entry over ``max_entry_size`` uncompressed is refused (``EntryTooLargeError``);
* an entry over ``ratio_threshold`` bytes that inflates more than ``max_ratio`` times its
  compressed size is refused (``CompressionBombError``);
* more than ``max_entries`` entries are refused (``TooManyEntriesError``);
* a name listed twice (``zipfile`` would silently read the last) and entries whose bytes overlap
  (the trick of "overlap" ZIP bombs) are refused (``ZipLayoutError``).

Reads are bounded by the declared sizes (``zipfile`` stops there and checks the CRC), so a lying
header cannot make an entry grow. A damaged ZIP raises ``CorruptPackageError``.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Union, cast

from ..errors import (
    REDOWNLOAD_HINT,
    CompressionBombError,
    CorruptPackageError,
    EntryTooLargeError,
    PackageContentError,
    TooManyEntriesError,
    UnsafeEntryNameError,
    ZipLayoutError,
)
from .directory import DuplicateEntry, OverlappingEntries, check_layout
from .inflate import crc32, inflate_exact

__all__ = [
    "PackageEntry",
    "PackageSource",
    "SafeZip",
    "ZipLimits",
    "is_macos_leftover",
    "open_package",
]

#: A package: a path, raw ZIP bytes, or a binary file object open for reading (seekable).
PackageSource = Union[str, "os.PathLike[str]", bytes, BinaryIO]

_MB = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_PLAIN = re.compile(r"[0-9A-Za-z_-][0-9A-Za-z_.-]*")
#: What reading a damaged entry can raise (turned into ``CorruptPackageError``).
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)
_READ_ERRORS = READ_ERRORS
_DIRECT = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_LOCAL_HEADER = 30
_LENGTHS = struct.Struct("<HH")


@dataclass(frozen=True)
class ZipLimits:
    """What ``open_package`` accepts; raise a limit for unusual but trusted packages.

    ``max_ratio`` applies only to entries larger than ``ratio_threshold`` bytes uncompressed: small
    XML compresses very well and is harmless.
    """

    max_entry_size: int = 256 * _MB
    max_ratio: float = 200.0
    ratio_threshold: int = 1 * _MB
    max_entries: int = 2_000_000


@dataclass(frozen=True, slots=True)
class PackageEntry:
    """One member of a package as its central directory declares it."""

    name: str
    size: int
    compressed_size: int
    is_dir: bool


def source_name(source: PackageSource) -> str:
    """A human name for ``source``: its path, or ``<bytes>`` / ``<stream>``."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, bytes):
        return "<bytes>"
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


def is_macos_leftover(name: str) -> bool:
    """Whether ``name`` is what macOS adds when a user re-zips a package: anything under
    ``__MACOSX/``, or an AppleDouble ``._<name>`` file (resource fork, not a SAT entry)."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith("._")


def check_entry_name(name: str) -> str | None:
    """Why ``name`` is unsafe as a relative path, or ``None`` if it is fine."""
    if _PLAIN.fullmatch(name):
        return None  # the usual "<UUID>.xml": one component, no separator, not "." or ".."
    if not name:
        return "it is empty"
    if "\x00" in name:
        return "it contains a NUL character"
    if "\\" in name:
        return "it contains a backslash (a Windows path separator)"
    if name.startswith("/"):
        return "it is an absolute path"
    if _DRIVE.match(name):
        return "it starts with a drive letter"
    if ".." in name.split("/"):
        return "it contains a '..' component"
    return None


class _Entry:
    """Builds a ``PackageEntry`` with plain slot stores, then becomes one (see ``_ScannedSummary``
    in ``summary``): a frozen dataclass's own ``__init__`` is several times slower."""

    __slots__ = PackageEntry.__slots__
    name: str
    size: int
    compressed_size: int
    is_dir: bool

    def __init__(self, name: str, size: int, compressed_size: int, is_dir: bool) -> None:
        self.name = name
        self.size = size
        self.compressed_size = compressed_size
        self.is_dir = is_dir
        self.__class__ = PackageEntry  # type: ignore[assignment]


def _entry(name: str, size: int, compressed_size: int, is_dir: bool) -> PackageEntry:
    return cast(PackageEntry, _Entry(name, size, compressed_size, is_dir))


def _plainly_laid_out(infos: list[zipfile.ZipInfo]) -> bool:
    """Whether the entries have distinct ASCII names and follow each other without overlapping,
    in offset order: what every SAT package is, checked in one cheap pass. ``False`` sends the
    directory through ``check_layout``, which says what is wrong, if anything is."""
    names = {info.orig_filename for info in infos}
    if len(names) != len(infos) or not all(map(str.isascii, names)):
        return False  # a name listed twice, or non-ASCII names (raw bytes depend on a flag)
    end = 0
    for info in infos:
        offset = info.header_offset
        if offset < end:
            return False  # overlapping, or not in offset order
        end = offset + _LOCAL_HEADER + len(info.orig_filename) + info.compress_size
    return True


class SafeZip:
    """A checked ZIP: list ``entries()`` and ``open()``/``read()`` them as bounded streams."""

    def __init__(self, archive: zipfile.ZipFile, source: str, limits: ZipLimits) -> None:
        self._archive = archive
        self.source = source
        self.limits = limits
        infos = archive.infolist()
        self._entries = tuple(map(self._check, infos))
        try:
            if not _plainly_laid_out(infos):
                check_layout(infos)  # says exactly what is wrong, if anything is
        except (DuplicateEntry, OverlappingEntries) as error:
            raise ZipLayoutError(
                f"{source}: refused: {error}. Do not extract this ZIP; download the package again.",
                source=source,
            ) from None

    def _check(self, info: zipfile.ZipInfo) -> PackageEntry:
        name, limits = info.filename, self.limits
        problem = check_entry_name(name)
        if problem is not None:
            raise UnsafeEntryNameError(
                f"{self.source}: refused entry {name!r} because {problem}. A SAT package only "
                "holds plain file names; do not extract this ZIP.",
                source=self.source,
                entry=name,
            )
        if info.file_size > limits.max_entry_size:
            raise EntryTooLargeError(
                f"{self.source}: entry {name!r} declares {info.file_size:,} bytes uncompressed, "
                f"over the {limits.max_entry_size:,}-byte cap. If you trust this package, pass "
                "limits=ZipLimits(max_entry_size=...).",
                source=self.source,
                entry=name,
            )
        compressed = max(info.compress_size, 1)
        if info.file_size > limits.ratio_threshold and info.file_size / compressed > (
            limits.max_ratio
        ):
            raise CompressionBombError(
                f"{self.source}: entry {name!r} inflates {info.file_size / compressed:,.0f}:1 "
                f"({info.compress_size:,} -> {info.file_size:,} bytes), over the "
                f"{limits.max_ratio:,.0f}:1 limit: this looks like a ZIP bomb. If you trust "
                "this package, pass limits=ZipLimits(max_ratio=...).",
                source=self.source,
                entry=name,
            )
        if info.flag_bits & 0x1:
            raise PackageContentError(
                f"{self.source}: entry {name!r} is encrypted; SAT packages never are.",
                source=self.source,
                entry=name,
            )
        return _entry(name, info.file_size, info.compress_size, name[-1:] == "/")

    def entries(self) -> tuple[PackageEntry, ...]:
        """Every entry, in central-directory order (folders included)."""
        return self._entries

    def open(self, entry: PackageEntry | str) -> IO[bytes]:
        """A stream over one entry's uncompressed bytes (bounded by its declared size)."""
        name = entry if isinstance(entry, str) else entry.name
        try:
            return self._archive.open(name)
        except _READ_ERRORS as error:
            raise self.corrupt(name, error) from error

    def read(self, entry: PackageEntry | str) -> bytes:
        """One entry's uncompressed bytes, CRC-checked.

        Stored and deflated entries are read straight from the file at the central directory's
        offset and inflated at once (``archive.inflate``: libdeflate if installed, else zlib; no
        ``ZipExtFile``): the local header's signature and name are checked, at most the declared
        size is inflated, and the length and CRC-32 must match the central directory, as
        ``zipfile`` checks them.
        """
        name = entry if isinstance(entry, str) else entry.name
        info = self._archive.getinfo(name)  # KeyError for an unknown name, as zipfile's read()
        try:
            if info.compress_type in _DIRECT and self._archive.fp is not None:
                return self._read_direct(info)
            return self._archive.read(info)
        except _READ_ERRORS as error:
            raise self.corrupt(name, error) from error

    def read_each(self, entries: Iterable[PackageEntry]) -> Iterator[bytes]:
        """``read(entry)`` for each entry in turn, with the same checks, faster for many small
        entries: the file is memory-mapped once and each entry's bytes are sliced from it."""
        fp = self._archive.fp
        try:
            view = mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) if fp is not None else None
        except (OSError, ValueError, AttributeError):  # not a file on disk (bytes, a stream)
            view = None
        if view is None:
            for entry in entries:
                yield self.read(entry)
            return
        getinfo, total = self._archive.getinfo, len(view)
        try:
            for entry in entries:
                info = getinfo(entry.name)
                offset, packed, size = info.header_offset, info.compress_size, info.file_size
                method = info.compress_type
                if method not in _DIRECT or (
                    info.flag_bits & 0x800 == 0 and not info.orig_filename.isascii()
                ):
                    yield self.read(entry)
                    continue
                name = info.orig_filename.encode()
                try:
                    if view[offset : offset + 4] != b"PK\x03\x04" or offset + 30 > total:
                        raise zipfile.BadZipFile("bad magic number for file header")
                    name_length, extra_length = _LENGTHS.unpack_from(view, offset + 26)
                    start = offset + _LOCAL_HEADER + name_length + extra_length
                    if view[offset + _LOCAL_HEADER : offset + _LOCAL_HEADER + name_length] != name:
                        raise zipfile.BadZipFile(
                            f"file name in directory {info.orig_filename!r} and header differ"
                        )
                    if start + packed > total:
                        raise EOFError("the entry's data is truncated")
                    if method == zipfile.ZIP_DEFLATED:
                        data = inflate_exact(view[start : start + packed], size)
                    else:
                        data = view[start : start + packed]
                        if len(data) != size:
                            raise EOFError(
                                f"the entry holds {len(data):,} bytes, not the declared {size:,}"
                            )
                    if crc32(data) != info.CRC:
                        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
                except _READ_ERRORS as error:
                    raise self.corrupt(entry.name, error) from error
                yield data
        finally:
            view.close()

    def _read_direct(self, info: zipfile.ZipInfo) -> bytes:
        fp = self._archive.fp
        assert fp is not None
        size, packed = info.file_size, info.compress_size
        name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        guess = _LOCAL_HEADER + len(name) + len(info.extra)
        fp.seek(info.header_offset)
        block = fp.read(guess + packed)
        if len(block) < _LOCAL_HEADER or block[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad magic number for file header")
        name_length, extra_length = _LENGTHS.unpack_from(block, 26)
        start = _LOCAL_HEADER + name_length + extra_length
        if block[_LOCAL_HEADER : _LOCAL_HEADER + name_length] != name:
            raise zipfile.BadZipFile(
                f"file name in directory {info.orig_filename!r} and header differ"
            )
        if start == guess:
            data = block[start:]
        else:
            fp.seek(info.header_offset + start)
            data = fp.read(packed)
        if len(data) != packed:
            raise EOFError("the entry's data is truncated")
        if info.compress_type == zipfile.ZIP_DEFLATED:
            data = inflate_exact(data, size)  # never more than the declared size
        elif len(data) != size:
            raise EOFError(f"the entry holds {len(data):,} bytes, not the declared {size:,}")
        if crc32(data) != info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
        return data

    def corrupt(self, entry: str | None, error: BaseException) -> CorruptPackageError:
        """The error to raise when reading ``entry`` failed with ``error``."""
        where = f"entry {entry!r} of " if entry else ""
        return CorruptPackageError(
            f"{where}{self.source} is damaged ({error}). {REDOWNLOAD_HINT}",
            source=self.source,
            entry=entry,
        )

    def extract_all(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Write every file entry under ``directory`` (names were checked); return the paths."""
        root = Path(directory).resolve()
        written: list[Path] = []
        for entry in self._entries:
            target = (root / entry.name).resolve()
            if root not in target.parents:  # belt and braces: names were already checked
                raise UnsafeEntryNameError(
                    f"{self.source}: entry {entry.name!r} would leave {root}",
                    source=self.source,
                    entry=entry.name,
                )
            if entry.is_dir:
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with self.open(entry) as stream, target.open("wb") as out:
                try:
                    while chunk := stream.read(1 << 20):
                        out.write(chunk)
                except _READ_ERRORS as error:
                    raise self.corrupt(entry.name, error) from error
            written.append(target)
        return written


@contextmanager
def open_package(source: PackageSource, *, limits: ZipLimits | None = None) -> Iterator[SafeZip]:
    """Open ``source`` (path, bytes or binary file object) as a checked ``SafeZip``.

    >>> with open_package("4E80345D-917F-40BB-A98F-4A73939343C5_01.zip") as package:
    ...     names = [entry.name for entry in package.entries()]
    """
    limits = limits or ZipLimits()
    name = source_name(source)
    opened: BinaryIO | IO[bytes]
    if isinstance(source, bytes):
        opened = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            opened = open(source, "rb")  # noqa: SIM115 - closed in the finally below
        except FileNotFoundError as error:
            raise PackageContentError(
                f"{name}: no such file; check the path of the downloaded package.", source=name
            ) from error
    else:
        opened = source
        if not opened.seekable():
            raise PackageContentError(
                f"{name}: cannot read a ZIP from a stream that cannot seek; pass its path, its "
                "bytes or a file opened with open(path, 'rb').",
                source=name,
            )
    try:
        try:
            archive = zipfile.ZipFile(opened)
        except _READ_ERRORS as error:
            size = opened.seek(0, os.SEEK_END)
            what = "empty" if size == 0 else f"not a readable ZIP ({size:,} bytes)"
            raise CorruptPackageError(
                f"{name} is damaged: {what}: {error}. {REDOWNLOAD_HINT}", source=name
            ) from error
        with archive:
            count = len(archive.infolist())
            if count > limits.max_entries:
                raise TooManyEntriesError(
                    f"{name}: {count:,} entries, over the {limits.max_entries:,} limit. If you "
                    "trust this package, pass limits=ZipLimits(max_entries=...).",
                    source=name,
                )
            yield SafeZip(archive, name, limits)
    finally:
        if opened is not source:
            opened.close()
