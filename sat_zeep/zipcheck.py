"""Check a ZIP while it downloads: every entry's CRC-32 and sizes, in a thread of its own.

A ZIP is a run of entries, each a local header followed by its data, then a central directory::

    PK\\x03\\x04 <30-byte header: method, CRC-32, sizes> <name> <extra> <compressed data>
    PK\\x03\\x04 …
    PK\\x01\\x02 … (the central directory: one record per entry)   PK\\x05\\x06 (its end)

``ZipStreamCheck`` inflates each entry as its bytes arrive and compares the CRC-32 and sizes with
its header; at the end, the central directory (read from the file, cheap) must list exactly the
entries seen. zlib and hashlib release the GIL, so the check runs alongside the download on a
second core. What it cannot follow (encryption, ZIP64, sizes given only after the data) is
checked instead by reading the finished file with ``zipfile`` (``testzip``).
"""

from __future__ import annotations

import hashlib
import queue
import struct
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any

_LOCAL = b"PK\x03\x04"
_ENDS = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_STORED, _DEFLATED = 0, 8
_ENCRYPTED, _DESCRIPTOR = 0x1, 0x8


class _Unsupported(Exception):
    """An entry the streaming check does not follow; the finished file is read instead."""


class ZipStreamCheck:
    """Feed it the ZIP's bytes in order, then ``finish(path)``; also computes the SHA-256."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._hashing: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._entries: list[tuple[str, int, int, int]] = []
        self._error: str | None = None
        self._fallback = False
        # Two threads: the CRC check and the SHA-256 both run without the GIL most of the time.
        self._threads = (
            threading.Thread(target=self._run, name="zip-check", daemon=True),
            threading.Thread(target=self._hash, name="zip-sha256", daemon=True),
        )
        for thread in self._threads:
            thread.start()

    def feed(self, data: bytes) -> None:
        """The next bytes of the ZIP (blocks briefly when the checkers are behind)."""
        self._chunks.put(data)
        self._hashing.put(data)

    def close(self) -> None:
        """Stop the threads without a verdict (the download failed)."""
        self._chunks.put(None)
        self._hashing.put(None)
        for thread in self._threads:
            thread.join()

    def finish(self, path: Path) -> str:
        """Wait for the check; raise ``zipfile.BadZipFile`` if the ZIP is damaged; the SHA-256."""
        self.close()
        if self._error is not None:
            raise zipfile.BadZipFile(self._error)
        try:
            with zipfile.ZipFile(path) as package:
                listed = [
                    (i.filename, i.CRC, i.compress_size, i.file_size) for i in package.infolist()
                ]
                bad = package.testzip() if self._fallback else None
        except (zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise zipfile.BadZipFile(f"an entry cannot be read: {error}") from None
        if bad is not None:
            raise zipfile.BadZipFile(f"entry {bad!r} fails its CRC check")
        if not self._fallback and listed != self._entries:
            raise zipfile.BadZipFile("the central directory does not match the entries")
        return self.sha256.hexdigest()

    # -- the checking thread ----------------------------------------------------------------

    def _hash(self) -> None:
        while (data := self._hashing.get()) is not None:
            self.sha256.update(data)

    def _run(self) -> None:
        parser = _EntryParser(self._entries)
        while (data := self._chunks.get()) is not None:
            if self._error is not None or self._fallback or parser.done:
                continue
            try:
                parser.consume(data)
            except _Unsupported:
                self._fallback = True
            except zipfile.BadZipFile as error:
                self._error = str(error)


class _EntryParser:
    """Walks local headers and entry data without copying the data (memoryviews)."""

    def __init__(self, entries: list[tuple[str, int, int, int]]) -> None:
        self.entries = entries
        self.done = False
        self._head = bytearray()  # header bytes gathered so far
        self._need = 4  # header bytes wanted before the next decision
        self._fields: tuple[int, ...] | None = None
        self._remaining = 0  # entry data bytes still to come
        self._inflate: Any = None
        self._crc = 0
        self._written = 0
        self._name = ""

    def consume(self, data: bytes) -> None:
        view = memoryview(data)
        position, end = 0, len(view)
        while position < end and not self.done:
            if self._remaining:
                take = min(self._remaining, end - position)
                self._data(view[position : position + take])
                position += take
                self._remaining -= take
                if not self._remaining:
                    self._close_entry()
                continue
            take = min(self._need - len(self._head), end - position)
            self._head += view[position : position + take]
            position += take
            if len(self._head) == self._need:
                self._header()

    def _header(self) -> None:
        if len(self._head) == 4:
            signature = bytes(self._head)
            if signature in _ENDS:
                self.done = True
                return
            if signature != _LOCAL:
                raise zipfile.BadZipFile("bytes that are not a ZIP entry where one should begin")
            self._need = _HEADER.size
            return
        if self._fields is None:
            fields = _HEADER.unpack(bytes(self._head))
            _, _, flags, method, _, _, _, compressed, size, name_length, extra_length = fields
            if flags & (_ENCRYPTED | _DESCRIPTOR) or method not in (_STORED, _DEFLATED):
                raise _Unsupported
            if 0xFFFFFFFF in (compressed, size):
                raise _Unsupported
            self._fields = fields
            self._need = _HEADER.size + name_length + extra_length
            if self._need > _HEADER.size:
                return
        fields = self._fields
        _, _, flags, method, _, _, _, compressed, _, name_length, _ = fields
        raw_name = bytes(self._head[_HEADER.size : _HEADER.size + name_length])
        self._name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        self._inflate = zlib.decompressobj(-15) if method == _DEFLATED else None
        self._crc, self._written = 0, 0
        self._remaining = compressed
        if not compressed:
            self._close_entry()

    def _data(self, piece: memoryview) -> None:
        try:
            plain = self._inflate.decompress(piece) if self._inflate else piece
        except zlib.error as error:
            problem = f"entry {self._name!r} cannot be inflated: {error}"
            raise zipfile.BadZipFile(problem) from None
        self._crc = zlib.crc32(plain, self._crc)
        self._written += len(plain)

    def _close_entry(self) -> None:
        assert self._fields is not None
        _, _, _, _, _, _, crc, compressed, size, _, _ = self._fields
        if self._inflate is not None:
            plain = self._inflate.flush()
            self._crc = zlib.crc32(plain, self._crc)
            self._written += len(plain)
        if self._crc != crc or self._written != size:
            raise zipfile.BadZipFile(f"entry {self._name!r} fails its CRC check")
        self.entries.append((self._name, crc, compressed, size))
        self._head.clear()
        self._need = 4
        self._fields = None
