"""Check a ZIP while it downloads: every entry's CRC-32 and sizes, on threads of their own.

    check = ZipStreamCheck()
    for chunk in chunks:            # the package's bytes, in order, as they arrive
        check.feed(chunk)
    sha256 = check.finish(path)     # the same bytes, written to ``path``; BadZipFile if damaged

``feed`` walks the local headers (``zipwalk``) and hands each chunk's entry data to two to four
inflating threads, one batch per thread; consecutive entries go to different threads, since
entries are independent. Another thread computes the package's SHA-256. zlib and hashlib
release the GIL, so all of this runs beside the download. ``finish`` waits for the threads and
checks that the central directory lists exactly the entries walked (``zipdirectory``): memory
stays the same whatever the size or the number of entries. What the walk cannot follow
(encryption, ZIP64 sizes, stored data with a data descriptor) is checked instead by reading the
finished file with ``zipfile.testzip``.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import threading
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from .directory import UnsupportedDirectory, check_layout, read_listing
from .walk import EntryWalk, Segment, Unsupported

#: Bytes read at a time by ``check_zip_file`` (as much as a download hands over at once).
_FILE_CHUNK = 1 << 18
#: Batches (downloaded chunks) waiting per thread before ``feed`` blocks.
_BACKLOG = 8

_Item = TypeVar("_Item")


def default_inflaters() -> int:
    """Inflating threads: one per core, two to four."""
    return min(4, max(2, os.cpu_count() or 1))


class ZipStreamCheck:
    """Feed it the ZIP's bytes in order, then ``finish(path)``; also computes the SHA-256."""

    def __init__(self, inflaters: int | None = None) -> None:
        if inflaters is not None and inflaters < 1:
            raise ValueError(f"inflaters must be at least 1, not {inflaters}")
        self.sha256 = hashlib.sha256()
        self._hasher = _Worker[bytes](self.sha256.update, "zip-sha256")
        lanes = inflaters or default_inflaters()
        self._inflaters = [
            _Worker[list[Segment]](self._check_segments, f"zip-inflate-{lane}")
            for lane in range(lanes)
        ]
        self._threads = (self._hasher.thread, *(worker.thread for worker in self._inflaters))
        self._walk = EntryWalk(lanes)
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
        except Unsupported:
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

    def finish(self, path: Path | bytes) -> str:
        """Wait for the check; raise ``zipfile.BadZipFile`` if the ZIP is damaged; the SHA-256.

        ``path`` holds the same bytes: the file they were written to, or the bytes themselves.
        A name listed twice or overlapping entries are damage too.
        """
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
            listed = read_listing(path if isinstance(path, Path) else io.BytesIO(path))
        except UnsupportedDirectory:
            return self._finish_with_zipfile(path)
        except OSError as error:
            raise zipfile.BadZipFile(f"the central directory cannot be read: {error}") from None
        if not listed.same_as(self._walk.listing):
            raise zipfile.BadZipFile("the central directory does not match the entries")
        return self.sha256.hexdigest()

    def _finish_with_zipfile(self, path: Path | bytes) -> str:
        try:
            with zipfile.ZipFile(path if isinstance(path, Path) else io.BytesIO(path)) as package:
                check_layout(package.infolist())
                bad = package.testzip()
        except (zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
            # RuntimeError: zipfile's word for an encrypted entry (SAT never encrypts).
            raise zipfile.BadZipFile(f"an entry cannot be read: {error}") from None
        if bad is not None:
            raise zipfile.BadZipFile(f"entry {bad!r} fails its CRC check")
        return self.sha256.hexdigest()

    def _check_segments(self, segments: list[Segment]) -> None:
        for entry, piece, last in segments:
            entry.check(piece, last)
            if last and entry.problem is not None:
                self._problems[entry.number] = entry.problem


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path`` (hex), read 1 MiB at a time; no ZIP check."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_zip_file(path: Path) -> str:
    """The SHA-256 of the ZIP at ``path``, after the checks a download gets; ``BadZipFile`` if not.

    One read of the file: for a package already on disk (a run that died before recording it).
    """
    check = ZipStreamCheck()
    try:
        with path.open("rb") as package:
            while chunk := package.read(_FILE_CHUNK):
                check.feed(chunk)
    except BaseException:
        check.close()
        raise
    return check.finish(path)


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
