"""Walk a ZIP's local headers as its bytes arrive, and check each entry's data.

    PK\\x03\\x04 <30-byte header: flags, method, CRC-32, sizes> <name> <extra> <compressed data>
    PK\\x03\\x04 …
    PK\\x01\\x02 …  (the central directory: the walk ends here)

``EntryWalk.consume`` takes the bytes in order and returns, for each inflating thread ("lane"),
the pieces of entry data that arrived (views, never copies); entry *n* always goes to lane
*n* modulo the lanes, so each entry's pieces reach one thread in order. ``Entry.check`` runs on
that thread: it inflates (in bounded steps, never past the header's size) and compares CRC-32
and size. A deflated entry whose sizes come after its data (a data descriptor) is inflated by the
walk itself (``InlineEntry``): only the end of its deflate stream shows where the entry ends.
What the walk cannot follow raises ``Unsupported``.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Any

from .directory import Listing
from .inflate import crc32, inflate_exact

_LOCAL = b"PK\x03\x04"
_ENDS = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_MAX_HEADER = _HEADER.size + 2 * 0xFFFF
_STORED, _DEFLATED = 0, 8
_ENCRYPTED, _DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800
_FULL = 0xFFFFFFFF  # a ZIP64 size: the real one is in an extra field
#: Most plain bytes one ``decompress`` call may produce: a bomb never inflates all at once.
_INFLATE_STEP = 1 << 20
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_DESCRIPTOR_MAX = 16  # gathered before deciding between the 12- and the 16-byte form


class Unsupported(Exception):
    """An entry the streaming check does not follow; the finished file is read instead."""


class Entry:
    """One entry: what its local header promises, and what its data turns out to be."""

    __slots__ = (
        "_crc", "_flags", "_got", "_inflate", "_size", "_written",
        "deflated", "number", "problem", "raw_name",
    )  # fmt: skip

    def __init__(
        self, number: int, raw_name: bytes, flags: int, method: int, crc: int, size: int
    ) -> None:
        self.number, self.raw_name, self._flags = number, raw_name, flags
        self.deflated = method == _DEFLATED
        self._crc, self._size = crc, size
        self._inflate: Any = None  # made by the checking thread when the data comes (~40 KiB)
        self._got = 0  # CRC-32 of the plain bytes so far
        self._written = 0
        self.problem: str | None = None

    @property
    def name(self) -> str:
        return _decoded(self.raw_name, self._flags)

    def check(self, piece: memoryview, last: bool) -> None:
        """The next piece of the entry's data; with the last, the verdict is in ``problem``."""
        if self.problem is None:
            try:
                if not self.deflated:
                    self._count(piece)
                elif last and self._inflate is None and self._size < _INFLATE_STEP:
                    # The usual entry: all its data in one piece, and a small size to inflate to
                    # (libdeflate, when installed, inflates it at once about twice as fast).
                    self._count(inflate_exact(piece, self._size))
                else:
                    self._inflate_piece(piece, last)
            except zlib.error as error:
                self.problem = f"entry {self.name!r} cannot be inflated: {error}"
        if last:
            self._inflate = None  # let its window go now
            if self.problem is None and (self._got != self._crc or self._written != self._size):
                self.problem = f"entry {self.name!r} fails its CRC check"

    def _inflate_piece(self, piece: memoryview, last: bool) -> None:
        inflate = self._inflate
        if inflate is None:
            inflate = self._inflate = zlib.decompressobj(-15)
        pending: Any = piece
        while pending and self.problem is None:
            self._count(inflate.decompress(pending, _INFLATE_STEP))
            pending = inflate.unconsumed_tail
        while last and self.problem is None and not inflate.eof:
            plain = inflate.decompress(b"", _INFLATE_STEP)  # what a bounded step held back
            if not plain:
                break
            self._count(plain)

    def _count(self, plain: bytes | memoryview) -> None:
        self._got = crc32(plain, self._got)
        self._written += len(plain)
        if self._written > self._size:
            self.problem = f"entry {self.name!r} inflates to more than its header says"


class InlineEntry:
    """A deflated entry whose CRC and sizes follow its data in a data descriptor::

    PK\\x03\\x04 <header, flag 0x8, zeros> <name> <extra> <deflate stream>
    [PK\\x07\\x08] <CRC-32> <compressed size> <size>      (12 bytes, or 16 with the signature)
    """

    def __init__(self, raw_name: bytes, flags: int) -> None:
        self.raw_name, self._flags = raw_name, flags
        self._inflate = zlib.decompressobj(-15)
        self.crc = self.size = self.compressed = 0
        self.ended = False
        self.tail = bytearray()  # the descriptor's bytes (and up to 4 more), gathered

    def feed(self, piece: memoryview) -> int:
        """Inflate ``piece``; how many of its bytes belong to the deflate stream."""
        inflate = self._inflate
        pending: Any = piece
        try:
            while pending and not inflate.eof:
                plain = inflate.decompress(pending, _INFLATE_STEP)
                self.crc = zlib.crc32(plain, self.crc)
                self.size += len(plain)
                pending = inflate.unconsumed_tail
        except zlib.error as error:
            raise zipfile.BadZipFile(
                f"entry {self._name()!r} cannot be inflated: {error}"
            ) from None
        used = len(piece) - len(inflate.unused_data) if inflate.eof else len(piece)
        self.compressed += used
        self.ended = inflate.eof
        return used

    def descriptor_length(self) -> int:
        """12 or 16 (with the optional signature), once its values match what was inflated."""
        tail, crc = bytes(self.tail), struct.pack("<I", self.crc)
        if tail[:4] == _DESCRIPTOR_SIGNATURE and tail[4:8] == crc:
            length, sizes = 16, tail[8:16]
        elif tail[:4] == crc:
            length, sizes = 12, tail[4:12]
        else:
            raise zipfile.BadZipFile(f"entry {self._name()!r} fails its CRC check")
        if struct.unpack("<2I", sizes) != (self.compressed, self.size):
            raise zipfile.BadZipFile(
                f"entry {self._name()!r}: its data descriptor's sizes are wrong"
            )
        return length

    def _name(self) -> str:
        return _decoded(self.raw_name, self._flags)


def _decoded(raw_name: bytes, flags: int) -> str:
    """An entry name as ``zipfile`` reads it: UTF-8 when flag 0x800 says so, else CP437."""
    return raw_name.decode("utf-8" if flags & _UTF8 else "cp437", "replace")


def _has_zip64_extra(extra: bytes) -> bool:
    """Whether a header's extra field holds a ZIP64 block (id 0x0001)."""
    at = 0
    while at + 4 <= len(extra):
        block, size = struct.unpack_from("<2H", extra, at)
        if block == 1:
            return True
        at += 4 + size
    return False


#: A piece of one entry's compressed data, and whether it is the entry's last piece.
Segment = tuple[Entry, memoryview, bool]


class EntryWalk:
    """Walks the local headers of a ZIP arriving in chunks; hands out entry data as views."""

    def __init__(self, lanes: int) -> None:
        self.listing = Listing()
        self.done = False
        self._lanes: list[list[Segment]] = [[] for _ in range(lanes)]
        self._head = bytearray()  # a header split between chunks, gathered so far
        self._entry: Entry | None = None
        self._remaining = 0  # compressed bytes of ``_entry`` still to come
        self._inline: InlineEntry | None = None  # an entry whose sizes follow its data

    def consume(self, data: bytes) -> list[list[Segment]]:
        """Walk ``data``; each lane's segments (lane = entry number modulo lanes)."""
        lanes = self._lanes = [[] for _ in self._lanes]
        view = memoryview(data)
        position, end = 0, len(data)
        while position < end and not self.done:
            if self._entry is not None:  # the data of an entry begun in an earlier chunk
                position = self._data(view, position, end)
            elif self._inline is not None:
                position = self._inline_data(view, position, end)
            elif self._head:  # a header begun in an earlier chunk
                gathered = len(self._head)
                self._head += view[position : position + min(end - position, _MAX_HEADER)]
                length = self._header(self._head, 0, len(self._head))
                if length:
                    self._head.clear()
                position = position + length - gathered if length else end
            else:
                length = self._header(data, position, end)
                if not length:
                    self._head += view[position:end]
                    position = end
                else:
                    position = self._data(view, position + length, end)
        return lanes

    def _data(self, view: memoryview, position: int, end: int) -> int:
        """Hand out the current entry's data found in ``view[position:end]``; where it stops."""
        entry = self._entry
        if entry is None:
            return position
        take = min(self._remaining, end - position)
        self._remaining -= take
        last = not self._remaining
        self._lanes[entry.number % len(self._lanes)].append(
            (entry, view[position : position + take], last)
        )
        if last:
            self._entry = None
        return position + take

    def _inline_data(self, view: memoryview, position: int, end: int) -> int:
        """Inflate the data-descriptor entry here, then read its descriptor; where it stops."""
        entry = self._inline
        assert entry is not None
        if not entry.ended:
            return position + entry.feed(view[position:end])
        take = min(_DESCRIPTOR_MAX - len(entry.tail), end - position)
        entry.tail += view[position : position + take]
        if len(entry.tail) == _DESCRIPTOR_MAX:
            length = entry.descriptor_length()
            self._head += entry.tail[length:]  # the start of the next header
            self.listing.add(entry.crc, entry.compressed, entry.size, entry.raw_name)
            self._inline = None
        return position + take

    def _header(self, buffer: bytes | bytearray, at: int, stop: int) -> int:
        """Read the header at ``buffer[at:stop]``: its length, or 0 if it needs more bytes."""
        if stop - at < _HEADER.size:
            if stop - at >= 4 and buffer[at : at + 4] != _LOCAL:
                return self._not_an_entry(bytes(buffer[at : at + 4]))
            return 0
        fields = _HEADER.unpack_from(buffer, at)
        signature, _, flags, method, _, _, crc, compressed, size, name_length, extra_length = fields
        if signature != _LOCAL:
            return self._not_an_entry(signature)
        if flags & _ENCRYPTED or method not in (_STORED, _DEFLATED):
            raise Unsupported
        length: int = _HEADER.size + name_length + extra_length
        if stop - at < length:
            return 0
        raw_name = bytes(buffer[at + _HEADER.size : at + _HEADER.size + name_length])
        if flags & _DESCRIPTOR:
            # Sizes and CRC come after the data: only the end of its deflate stream shows where
            # the data ends, so the walk inflates it here. Stored data, or ZIP64 sizes, can only
            # be followed with the central directory: the finished file is read instead.
            extra = bytes(buffer[at + _HEADER.size + name_length : at + length])
            if method == _STORED or _has_zip64_extra(extra):
                raise Unsupported
            self._inline = InlineEntry(raw_name, flags)
            return length
        if _FULL in (compressed, size):
            raise Unsupported
        entry = Entry(self.listing.count, raw_name, flags, method, crc, size)
        self.listing.add(crc, compressed, size, raw_name)
        if compressed:
            self._entry, self._remaining = entry, compressed
        else:
            self._lanes[entry.number % len(self._lanes)].append((entry, memoryview(b""), True))
        return length

    def _not_an_entry(self, signature: bytes) -> int:
        if signature in _ENDS:  # the central directory: the walk is over
            self.done = True
            return 4
        raise zipfile.BadZipFile("bytes that are not a ZIP entry where one should begin")
