"""Opening the sync's state safely: never a silent fresh start, never a traceback.

A state file that is missing or empty is a fresh start only in a folder that shows no earlier
work. Where packages (``<service>/<direction>/<kind>/<period>/<IdPaquete>.zip``), a state backup
or a write-ahead log are found, it is refused with the command that rebuilds it::

    sat-zeep state rebuild --out facturas --rfc SZP200101AB1

A state SQLite cannot read (random bytes, a torn page) is refused the same way, and errors of
the disk under it (full, read-only, I/O) become ``StateWriteError``. Each run keeps SQLite's own
copies of a healthy state: ``.sat-zeep-sync.sqlite3.bak`` (the latest) and ``….bak.1``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from pathlib import Path

from ..errors import StateDamagedError, StateWriteError, SyncStateError
from .identity import SCHEMA_VERSION

logger = logging.getLogger("sat_zeep.sync")

#: How many backups of the state are kept (``.bak``, ``.bak.1``).
BACKUPS = 2
_WRITE_ERRORS = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")


def rebuild_command(folder: Path) -> str:
    """The command that rebuilds the state of ``folder`` from its packages."""
    return f"sat-zeep state rebuild --out {folder} --rfc RFC"


def backup_paths(state: Path) -> list[Path]:
    """``….bak``, ``….bak.1``: newest first."""
    first = state.with_name(state.name + ".bak")
    return [first, *(first.with_name(f"{first.name}.{n}") for n in range(1, BACKUPS))]


def package_files(folder: Path) -> list[Path]:
    """The packages filed under ``folder`` (``<service>/<direction>/<kind>/<period>/*.zip``)."""
    return sorted(folder.glob("*/*/*/*/*.zip"))


def refuse_fresh_start(folder: Path, state: Path) -> None:
    """Refuse to start afresh where earlier work shows (the state is missing or empty)."""
    if state.exists() and state.stat().st_size > 0:
        return
    evidence = []
    packages = package_files(folder)
    if packages:
        evidence.append(f"{len(packages)} package{'s' if len(packages) != 1 else ''}")
    backups = [path.name for path in backup_paths(state) if path.exists()]
    if backups:
        evidence.append(f"the backup {backups[0]}")
    if state.with_name(state.name + "-wal").exists():
        evidence.append("its write-ahead log")
    if not evidence:
        return
    what = "is missing" if not state.exists() else "is empty"
    how = (
        f"restore it with 'sat-zeep state rebuild --out {folder} --from-backup'"
        if backups
        else f"rebuild the state from the packages with '{rebuild_command(folder)}'"
    )
    raise StateDamagedError(
        f"the sync's state {state} {what}, but the folder holds {' and '.join(evidence)}: "
        f"starting afresh would ask SAT for everything again; {how}; nothing was sent to SAT",
        path=str(state),
    )


def connect(state: Path) -> sqlite3.Connection:
    """The state database, opened in autocommit mode (transactions are explicit)."""
    db = sqlite3.connect(state, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    return db


def check_readable(db: sqlite3.Connection, state: Path) -> None:
    """SQLite's own quick check of every page, and a schema this version knows."""
    rows = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
    if rows != ["ok"]:
        raise _damaged(state, "; ".join(str(row) for row in rows[:3]))
    row = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        raise SyncStateError(
            f"the sync's state {state} was written by a newer sat_zeep (schema {row[0]}); "
            "upgrade sat_zeep",
            path=str(state),
        )


def failure(error: sqlite3.Error, state: Path) -> SyncStateError:
    """The ``SyncStateError`` for an error SQLite raised on the state (one line, with advice)."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name == "SQLITE_FULL" or "disk is full" in text:
        return StateWriteError(
            f"no space left for the sync's state {state} ({text}): free some space and run the "
            "same command again (what was recorded is kept)",
            path=str(state),
        )
    if name.startswith(_WRITE_ERRORS) or any(
        word in text for word in ("readonly", "unable to open", "disk I/O")
    ):
        return StateWriteError(
            f"the sync's state {state} cannot be written ({text}): check the folder's "
            "permissions and free space, then run the same command again",
            path=str(state),
        )
    return _damaged(state, text)


def _damaged(state: Path, detail: str) -> StateDamagedError:
    folder = state.parent
    how = f"rebuild it from the packages with '{rebuild_command(folder)}'"
    if any(path.exists() for path in backup_paths(state)):
        how = (
            f"rebuild it from its backup and the packages with 'sat-zeep state rebuild --out "
            f"{folder} --from-backup', or {how}"
        )
    return StateDamagedError(
        f"the sync's state {state} is damaged ({detail}); {how} (the damaged file is moved "
        "aside); nothing was sent to SAT",
        path=str(state),
    )


def back_up(db: sqlite3.Connection, state: Path) -> None:
    """Copy the state with SQLite's backup API to ``.bak``, keeping the previous as ``.bak.1``.

    A state with no request yet is not copied. A failed backup is logged, never fatal: the
    state itself is intact.
    """
    paths = backup_paths(state)
    partial = state.with_name(state.name + ".bak.tmp")
    try:
        if db.execute("SELECT 1 FROM requests LIMIT 1").fetchone() is None:
            return  # nothing worth keeping yet
        target = sqlite3.connect(partial)
        try:
            db.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        for older, newer in zip(reversed(paths[1:]), reversed(paths[:-1]), strict=True):
            if newer.exists():
                os.replace(newer, older)
        os.replace(partial, paths[0])
    except (sqlite3.Error, OSError) as error:
        logger.warning("could not back up the sync's state %s: %s", state, error)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
