"""Write a file whole or not at all: a temporary beside it, fsynced, then renamed over it.

    with atomic_write(path, "w", encoding="utf-8") as stream:
        stream.write(text)            # an error here leaves ``path`` as it was

The temporary (``.<name>.<random>.tmp``) is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``: never
through a link planted at its name, never an existing file. ``private=True`` creates it 0600
(the token file); otherwise the umask applies, as for any new file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write"]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0)
_ATTEMPTS = 100


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    private: bool = False,
    **open_options: Any,
) -> Iterator[IO[Any]]:
    """A stream whose bytes replace ``path`` when the block ends without an error."""
    target = Path(path)
    descriptor, temporary = _create(target, 0o600 if private else 0o666)
    try:
        with os.fdopen(descriptor, mode, **open_options) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _create(target: Path, permissions: int) -> tuple[int, Path]:
    for _ in range(_ATTEMPTS):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, _FLAGS, permissions), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every system opens folders)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
