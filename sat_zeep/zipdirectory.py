"""A ZIP's list of entries, read from its central directory in constant memory.

The directory sits at the end of the file, after the entries' data::

    PK\\x01\\x02 <46-byte record: CRC-32, sizes, name length…> <name> <extra> <comment>  (× entries)
    [PK\\x06\\x06 <ZIP64 end record>  PK\\x06\\x07 <its locator>]
    PK\\x05\\x06 <22-byte end record: entries, directory size and offset> <comment>

``read_listing`` folds each record into a ``Listing`` (a count and a SHA-256) instead of keeping
it, so a package of 200,000 entries costs no more memory than one of ten. ``zipfile`` would build
an object per entry. The local headers, walked while the package downloads, fold into a
``Listing`` the same way, and the two must be equal.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
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


def read_listing(path: Path) -> Listing:
    """The central directory of the ZIP at ``path``; ``zipfile.BadZipFile`` if it is damaged."""
    listing = Listing()
    with path.open("rb", buffering=1 << 20) as package:
        count, start = _find_directory(package)
        package.seek(start)
        for _ in range(count):
            record = package.read(_CENTRAL.size)
            if len(record) < _CENTRAL.size or record[:4] != b"PK\x01\x02":
                raise zipfile.BadZipFile("the central directory has a damaged record")
            fields = _CENTRAL.unpack(record)
            crc, compressed, size, name_length, extra_length, comment_length = fields[7:13]
            if _FULL in (compressed, size):
                raise UnsupportedDirectory("an entry's sizes are in a ZIP64 extra field")
            raw_name = package.read(name_length)
            if len(raw_name) < name_length:
                raise zipfile.BadZipFile("the central directory is cut short")
            package.seek(extra_length + comment_length, 1)
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
