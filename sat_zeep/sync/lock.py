"""One sync per output folder: an OS lock on ``<out>/.sat-zeep-sync.lock``.

The lock is ``flock(LOCK_EX | LOCK_NB)`` on the file, held for the whole run. The operating
system drops it when the process ends, however it ends (``kill -9`` included), so a lock left by
a dead process never blocks the next run. What the file holds is only for the message a second
run prints::

    pid 41233
    host oficina-2
    since 2026-10-02T09:14:03+00:00
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..errors import FolderInUseError

LOCK_NAME = ".sat-zeep-sync.lock"


class FolderLock:
    """The lock of one output folder; ``release()`` (or the process's end) frees it."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self._descriptor: int | None = descriptor

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock:
        """Take the folder's lock, or raise ``FolderInUseError`` naming who holds it."""
        path = folder / LOCK_NAME
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(descriptor):
                raise _in_use(folder, path)
            _describe_holder(descriptor)
        except BaseException:
            os.close(descriptor)
            raise
        return cls(path, descriptor)

    def release(self) -> None:
        """Free the folder (idempotent)."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)  # closing the file drops the lock


def _describe_holder(descriptor: int) -> None:
    """Write who holds the lock (for the message of a second run); a full disk skips it."""
    moment = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    text = f"pid {os.getpid()}\nhost {socket.gethostname()}\nsince {moment}\n"
    try:
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, text.encode())
    except OSError:
        pass  # the lock holds all the same; the message will say "another process"


def _in_use(folder: Path, path: Path) -> FolderInUseError:
    holder = _holder(path)
    pid_text = holder.get("pid", "")
    pid = int(pid_text) if pid_text.isdigit() else None
    host = holder.get("host", "?")
    since = holder.get("since", "?")
    who = f"process {pid} on {host}" if pid is not None else "another process"
    return FolderInUseError(
        f"{folder} is in use by another sync ({who}, since {since}); wait for it to end or "
        "use another --out; nothing was sent to SAT",
        path=str(folder),
        pid=pid,
        host=host,
        since=since,
    )


def _holder(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    fields = (line.partition(" ") for line in text.splitlines())
    return {name: value.strip() for name, _, value in fields if name}


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(descriptor: int) -> bool:
        os.lseek(descriptor, 0, os.SEEK_SET)
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
