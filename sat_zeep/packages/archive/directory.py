"""A ZIP's list of entries, read from its central directory in constant memory.

The directory sits at the end of the file, after the entries' data::

    PK\\x01\\x02 <46-byte record: CRC-32, sizes, name length…> <name> <extra> <comment>  (× entries)
    [PK\\x06\\x06 <ZIP64 end record>  PK\\x06\\x07 <its locator>]
    PK\\x05\\x06 <22-byte end record: entries, directory size and offset> <comment>

``read_listing`` folds each record into a ``Listing`` (a count and a SHA-256) instead of keeping
it, so a package of 200,000 entries costs little memory. ``zipfile`` would build an object per
entry. The local headers, walked while the package downloads, fold into a ``Listing`` the same
way, and the two must be equal.

``EntryLayout`` refuses what ``zipfile`` lets through: a name listed twice (``zipfile`` silently
reads the last) and entries whose bytes overlap (the "overlap" ZIP bombs, where many records
share one deflated kernel). It keeps a 12-byte digest per name.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_FOLDED = struct.Struct("<3LH")
_FULL = 0xFFFFFFFF
#: An end record is 22 bytes and may carry a comment of up to 65,535 bytes.
_MAX_TAIL = _END.size + 0xFFFF
#: A local file header's fixed part, before the name and the extra field.
_LOCAL_HEADER = 30
#: Bytes of the central directory read at a time.
_BLOCK = 1 << 20


class UnsupportedDirectory(Exception):
    """A directory this reader does not follow (sizes only in ZIP64 extras, split archives)."""


class Listing:
    """Entries in order, each as (CRC-32, compressed size, size, raw name), folded into a hash."""

    def __init__(self) -> None:
        self.count = 0
        self._hash = hashlib.sha256()
        self._pending = bytearray()

    def add(self, crc: int, compressed: int, size: int, raw_name: bytes) -> None:
        self._pending += _FOLDED.pack(crc, compressed, size, len(raw_name))
        self._pending += raw_name
        self.count += 1
        if len(self._pending) > 1 << 16:
            self._hash.update(self._pending)
            self._pending.clear()

    def same_as(self, other: Listing) -> bool:
        return self.count == other.count and self._digest() == other._digest()

    def _digest(self) -> bytes:
        self._hash.update(self._pending)
        self._pending.clear()
        return self._hash.digest()


class DuplicateEntry(zipfile.BadZipFile):
    """The ZIP lists one entry name twice."""


class OverlappingEntries(zipfile.BadZipFile):
    """An entry's local header begins inside the bytes of the entry before it."""


class EntryLayout:
    """Entries fed in the order of their offsets: ``DuplicateEntry`` or ``OverlappingEntries``."""

    def __init__(self) -> None:
        self._names: set[bytes] = set()
        self._end = 0
        self._last = b""

    def add(self, raw_name: bytes, offset: int, compressed: int) -> None:
        """One entry: its raw name, local header offset and compressed size."""
        if offset < self._end:
            raise OverlappingEntries(
                f"entries {_shown(self._last)} and {_shown(raw_name)} overlap: one begins inside "
                "the other's bytes (a ZIP bomb's trick; SAT never writes this)"
            )
        digest = hashlib.blake2b(raw_name, digest_size=12).digest()
        if digest in self._names:
            raise DuplicateEntry(
                f"the ZIP lists entry {_shown(raw_name)} twice (which copy would be read depends "
                "on the reader; SAT never writes this)"
            )
        self._names.add(digest)
        self._end = offset + _LOCAL_HEADER + len(raw_name) + compressed
        self._last = raw_name


def check_layout(entries: Iterable[zipfile.ZipInfo]) -> None:
    """``EntryLayout`` over ``zipfile``'s entries, sorted by offset."""
    layout = EntryLayout()
    for info in sorted(entries, key=lambda info: info.header_offset):
        raw_name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        layout.add(raw_name, info.header_offset, info.compress_size)


def _shown(raw_name: bytes) -> str:
    return repr(raw_name[:120].decode("utf-8", "replace"))


def read_listing(source: Path | BinaryIO) -> Listing:
    """The central directory of the ZIP at ``source`` (a path or a seekable binary file).

    ``zipfile.BadZipFile`` if it is damaged, lists a name twice or has overlapping entries.
    """
    if isinstance(source, Path):
        with source.open("rb", buffering=1 << 20) as package:
            return _read_listing(package)
    return _read_listing(source)


def _read_listing(package: BinaryIO) -> Listing:
    """The directory read in blocks of ``_BLOCK`` bytes (constant memory), records cut from each
    block with ``unpack_from``: one read call per block, not two per record."""
    listing = Listing()
    layout = EntryLayout()
    count, start = _find_directory(package)
    package.seek(start)
    unpack, fixed = _CENTRAL.unpack_from, _CENTRAL.size
    block, at = b"", 0
    for _ in range(count):
        if len(block) - at < fixed:
            if at > len(block):  # the last record's extra field or comment ran past the block
                package.seek(at - len(block), 1)
                at = len(block)
            block, at = block[at:] + package.read(max(_BLOCK, fixed)), 0
            if len(block) < fixed:
                raise zipfile.BadZipFile("the central directory has a damaged record")
        fields = unpack(block, at)
        if fields[0] != b"PK\x01\x02":
            raise zipfile.BadZipFile("the central directory has a damaged record")
        crc, compressed, size, name_length, extra_length, comment_length = fields[7:13]
        offset = fields[-1]
        if _FULL in (compressed, size, offset):
            raise UnsupportedDirectory("an entry's sizes are in a ZIP64 extra field")
        name_end = at + fixed + name_length
        if name_end > len(block):
            block, at = block[at:] + package.read(max(_BLOCK, fixed + name_length)), 0
            name_end = fixed + name_length
            if name_end > len(block):
                raise zipfile.BadZipFile("the central directory is cut short")
        raw_name = block[name_end - name_length : name_end]
        at = name_end + extra_length + comment_length  # (past the block: the next read refills)
        layout.add(raw_name, offset, compressed)
        listing.add(crc, compressed, size, raw_name)
    return listing


def _find_directory(package: BinaryIO) -> tuple[int, int]:
    """(entries, offset of the first directory record), from the end records."""
    size = package.seek(0, 2)
    package.seek(size - min(size, _MAX_TAIL))
    tail = package.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END.size > len(tail):
        raise zipfile.BadZipFile("the ZIP has no end of central directory record")
    end_position = size - len(tail) + at
    _, disk, first_disk, _, count, directory_size, _, _ = _END.unpack_from(tail, at)
    if disk or first_disk:
        raise UnsupportedDirectory("the ZIP is split over several disks")
    locator = at - _END64_LOCATOR.size
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        # ZIP64: the real counts are in its end record, which comes just before the locator.
        end_position -= _END64_LOCATOR.size + _END64.size
        package.seek(max(0, end_position))
        record = package.read(_END64.size)
        if end_position < 0 or record[:4] != b"PK\x06\x06" or len(record) < _END64.size:
            raise zipfile.BadZipFile("the ZIP64 end of central directory record is damaged")
        count, directory_size = _END64.unpack(record)[7:9]
    # Counted back from the end record, as zipfile does: data prepended to the ZIP is allowed.
    start = end_position - directory_size
    if start < 0:
        raise zipfile.BadZipFile("the central directory's size is larger than the file")
    return count, start
