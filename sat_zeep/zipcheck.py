"""Check a ZIP while it downloads: every entry's CRC-32 and sizes, on threads of their own.

A ZIP is a run of entries, each a local header followed by its data, then a central directory::

    PK\\x03\\x04 <30-byte header: method, CRC-32, sizes> <name> <extra> <compressed data>
    PK\\x03\\x04 …
    PK\\x01\\x02 … (the central directory: one record per entry)   PK\\x05\\x06 (its end)

``ZipStreamCheck.feed`` walks the local headers as the bytes arrive (it only slices, never
copies) and hands each downloaded chunk's entry data to the inflating threads, one batch per
thread. Entries are independent, so consecutive entries go to different threads and inflate at
the same time; each thread compares CRC-32 and sizes with the entry's header and never lets an
entry inflate past the size its header gives. Another thread computes the package's SHA-256.
zlib and hashlib release the GIL, so all of this runs beside the download. At the end, the
central directory must list exactly the entries walked (``zipdirectory``); memory stays the same
whatever the number of entries. What the walk cannot follow (encryption, ZIP64 sizes, sizes given
only after the data) is checked instead by reading the finished file with ``zipfile.testzip``.
"""

from __future__ import annotations

import hashlib
import os
import queue
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from .zipdirectory import Listing, UnsupportedDirectory, read_listing

_LOCAL = b"PK\x03\x04"
_ENDS = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_MAX_HEADER = _HEADER.size + 2 * 0xFFFF
_STORED, _DEFLATED = 0, 8
_ENCRYPTED, _DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800
_FULL = 0xFFFFFFFF  # a ZIP64 size: the real one is in an extra field
#: Most plain bytes one ``decompress`` call may produce: a bomb never inflates all at once.
_INFLATE_STEP = 1 << 20
#: Batches (downloaded chunks) waiting per thread before ``feed`` blocks.
_BACKLOG = 8

_Item = TypeVar("_Item")


class _Unsupported(Exception):
    """An entry the streaming check does not follow; the finished file is read instead."""


def default_inflaters() -> int:
    """Inflating threads: one per core, two to four."""
    return min(4, max(2, os.cpu_count() or 1))


class ZipStreamCheck:
    """Feed it the ZIP's bytes in order, then ``finish(path)``; also computes the SHA-256."""

    def __init__(self, inflaters: int | None = None) -> None:
        self.sha256 = hashlib.sha256()
        self._hasher = _Worker[bytes](self.sha256.update, "zip-sha256")
        if inflaters is not None and inflaters < 1:
            raise ValueError(f"inflaters must be at least 1, not {inflaters}")
        lanes = inflaters or default_inflaters()
        self._inflaters = [
            _Worker[list["_Segment"]](self._check_segments, f"zip-inflate-{lane}")
            for lane in range(lanes)
        ]
        self._threads = (self._hasher.thread, *(worker.thread for worker in self._inflaters))
        self._walk = _EntryWalk(lanes)
        self._problems: dict[int, str] = {}  # entry number -> what is wrong with it
        self._error: str | None = None
        self._fallback = False

    def feed(self, data: bytes) -> None:
        """The next bytes of the ZIP (blocks briefly when the checking threads are behind)."""
        self._hasher.put(data)
        if self._error is not None or self._fallback or self._walk.done:
            return
        try:
            lanes = self._walk.consume(data)
        except _Unsupported:
            self._fallback = True
            return
        except zipfile.BadZipFile as error:
            self._error = str(error)
            return
        for worker, segments in zip(self._inflaters, lanes, strict=True):
            if segments:
                worker.put(segments)

    def close(self) -> None:
        """Stop the threads without a verdict (the download failed, or ``finish`` is next)."""
        self._hasher.stop()
        for worker in self._inflaters:
            worker.stop()

    def finish(self, path: Path) -> str:
        """Wait for the check; raise ``zipfile.BadZipFile`` if the ZIP is damaged; the SHA-256."""
        self.close()
        failures = [worker.failure for worker in self._inflaters] + [self._hasher.failure]
        for failure in failures:
            if failure is not None:
                raise failure
        if self._error is not None:
            raise zipfile.BadZipFile(self._error)
        if self._fallback:
            return self._finish_with_zipfile(path)
        if self._problems:
            raise zipfile.BadZipFile(self._problems[min(self._problems)])
        if not self._walk.done:
            raise zipfile.BadZipFile("the ZIP ends before its central directory")
        try:
            listed = read_listing(path)
        except UnsupportedDirectory:
            return self._finish_with_zipfile(path)
        except OSError as error:
            raise zipfile.BadZipFile(f"the central directory cannot be read: {error}") from None
        if not listed.same_as(self._walk.listing):
            raise zipfile.BadZipFile("the central directory does not match the entries")
        return self.sha256.hexdigest()

    def _finish_with_zipfile(self, path: Path) -> str:
        try:
            with zipfile.ZipFile(path) as package:
                bad = package.testzip()
        except (zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise zipfile.BadZipFile(f"an entry cannot be read: {error}") from None
        if bad is not None:
            raise zipfile.BadZipFile(f"entry {bad!r} fails its CRC check")
        return self.sha256.hexdigest()

    def _check_segments(self, segments: list[_Segment]) -> None:
        for entry, piece, last in segments:
            entry.check(piece, last)
            if last and entry.problem is not None:
                self._problems[entry.number] = entry.problem


class _Worker(Generic[_Item]):
    """A thread that calls ``handle`` on each item put, in order, from a bounded queue."""

    def __init__(self, handle: Callable[[_Item], object], name: str) -> None:
        self._handle = handle
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=_BACKLOG)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def put(self, item: _Item) -> None:
        self._queue.put(item)

    def stop(self) -> None:
        """Finish what was put, then end the thread (idempotent)."""
        if self.thread.is_alive():
            self._queue.put(None)
            self.thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.failure is not None:
                continue  # keep taking items, so that ``put`` never waits forever
            try:
                self._handle(item)
            except BaseException as error:  # a bug, or MemoryError: ``finish`` raises it
                self.failure = error


class _Entry:
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
        return self.raw_name.decode("utf-8" if self._flags & _UTF8 else "cp437", "replace")

    def check(self, piece: memoryview, last: bool) -> None:
        """The next piece of the entry's data; with the last, the verdict is in ``problem``."""
        if self.problem is None:
            try:
                if not self.deflated:
                    self._count(piece)
                elif last and self._inflate is None and self._size < _INFLATE_STEP:
                    # The usual entry: all its data in one piece, and a small size to inflate to.
                    self._count(zlib.decompressobj(-15).decompress(piece, self._size + 1))
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
        self._got = zlib.crc32(plain, self._got)
        self._written += len(plain)
        if self._written > self._size:
            self.problem = f"entry {self.name!r} inflates to more than its header says"


#: A piece of one entry's compressed data, and whether it is the entry's last piece.
_Segment = tuple[_Entry, memoryview, bool]


class _EntryWalk:
    """Walks the local headers of a ZIP arriving in chunks; hands out entry data as views."""

    def __init__(self, lanes: int) -> None:
        self.listing = Listing()
        self.done = False
        self._lanes: list[list[_Segment]] = [[] for _ in range(lanes)]
        self._head = bytearray()  # a header split between chunks, gathered so far
        self._entry: _Entry | None = None
        self._remaining = 0  # compressed bytes of ``_entry`` still to come

    def consume(self, data: bytes) -> list[list[_Segment]]:
        """Walk ``data``; each lane's segments (lane = entry number modulo lanes)."""
        lanes = self._lanes = [[] for _ in self._lanes]
        view = memoryview(data)
        position, end = 0, len(data)
        while position < end and not self.done:
            if self._entry is not None:  # the data of an entry begun in an earlier chunk
                position = self._data(view, position, end)
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
        if flags & (_ENCRYPTED | _DESCRIPTOR) or method not in (_STORED, _DEFLATED):
            raise _Unsupported
        if _FULL in (compressed, size):
            raise _Unsupported
        length: int = _HEADER.size + name_length + extra_length
        if stop - at < length:
            return 0
        raw_name = bytes(buffer[at + _HEADER.size : at + _HEADER.size + name_length])
        entry = _Entry(self.listing.count, raw_name, flags, method, crc, size)
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
