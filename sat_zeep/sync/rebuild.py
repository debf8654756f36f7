"""Rebuild a lost or damaged sync state from the packages on disk, without asking SAT anything.

The folders and file names say what each package is::

    <out>/cfdi/emitidos/metadata/2026-10-01_2026-10-31/4E80345D-…_01.zip
          service direction kind  period (request)     IdSolicitud_NN (IdPaquete)

Each package gets the download's ZIP check, its size and SHA-256, and is recorded as downloaded
under a finished request (its IdSolicitud is the IdPaquete without ``_NN``; its documents are
counted from the package). A package that fails the check is kept as ``.damaged`` and recorded
as pending, as is a number missing between two packages of a request (``_01`` and ``_03`` but
no ``_02``): the next sync downloads them while SAT still has them. Whatever state was there is
moved aside (``.sat-zeep-sync.sqlite3.damaged-<time>``), never deleted; the new state is written
to a temporary file and renamed into place, with the RFC and service given by the user.

What the packages cannot tell: requests that were still at SAT, periods SAT had nothing for,
and a request's last package when it is the one missing. The next sync asks SAT again for
periods it finds no record of (as new requests).
"""

from __future__ import annotations

import os
import re
import sqlite3
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import StateOwnerError, SyncStateError
from ..packages.archive.stream_check import check_zip_file
from ..packages.download import free_damaged_name
from ..packages.errors import PackageError
from ..packages.metadata import iter_raw_rows
from . import identity
from .identity import StateOwner
from .lock import FolderLock
from .plan import DIRECTIONS, Period
from .state import backup_paths, connect
from .store import _SCHEMA, FILE_NAME

_KINDS = {"metadata": "Metadata", "cfdi": "CFDI"}
_PACKAGE = re.compile(r"(?P<solicitud>[0-9A-Za-z-]+)_(?P<number>[0-9]{1,4})")
_LABEL = re.compile(r"(?P<start>[0-9T-]+)_(?P<end>[0-9T-]+)")


@dataclass
class RebuildReport:
    """What a rebuild found and recorded."""

    state: Path
    owner: StateOwner
    requests: int = 0
    packages: int = 0
    bytes: int = 0
    documents: dict[str, int] = field(default_factory=dict)
    #: Packages that failed the check: kept as ``.damaged``, to be downloaded again.
    damaged: list[Path] = field(default_factory=list)
    #: Packages missing between two of the same request, to be downloaded.
    missing: list[str] = field(default_factory=list)
    #: Files under the folder that are not packages of this service (left alone).
    ignored: list[Path] = field(default_factory=list)
    #: Where the previous state file was moved, if there was one.
    moved_aside: Path | None = None
    #: The backup the state was restored from (``from_backup``), if any.
    restored_from: Path | None = None


@dataclass
class _Request:
    key: str
    direction: str
    kind: str
    period: Period
    folder: Path
    id_solicitud: str
    documents: int = 0
    packages: dict[str, tuple[str, str | None, int | None, Path]] = field(default_factory=dict)


def request_key(service: str, direction: str, kind: str, period: Period) -> str:
    """The key the engine gives a request (``service|direction|kind|start|end``)."""
    return "|".join((service, direction, kind, period.start.isoformat(), period.end.isoformat()))


def parse_label(label: str) -> Period | None:
    """The period of a folder name (``2025-01-01_2025-01-31`` or with ``T%H%M%S``), or None."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return None
    try:
        if "T" in label:
            start = datetime.strptime(match["start"], "%Y-%m-%dT%H%M%S")
            end = datetime.strptime(match["end"], "%Y-%m-%dT%H%M%S")
        else:
            start = datetime.strptime(match["start"], "%Y-%m-%d")
            end = datetime.strptime(match["end"], "%Y-%m-%d").replace(hour=23, minute=59, second=59)
    except ValueError:
        return None
    period = Period(start, end)
    return period if period.label == label and start <= end else None


def rebuild_state(
    folder: Path,
    owner: StateOwner | None,
    *,
    force: bool = False,
    from_backup: bool = False,
) -> RebuildReport:
    """Write a new state for ``folder`` from its packages; nothing is sent to SAT.

    With ``from_backup`` the newest readable backup (``.bak``, ``.bak.1``) is the starting
    point, so requests still at SAT keep their IdSolicitud, and the packages on disk are merged
    into it; ``owner`` may then be None (the backup's own).
    """
    if not folder.is_dir():
        raise SyncStateError(f"{folder} is not a folder: nothing to rebuild", path=str(folder))
    lock = FolderLock.acquire(folder)
    try:
        state = folder / FILE_NAME
        _refuse_healthy(state, force)
        partial = state.with_name(state.name + ".rebuild")
        partial.unlink(missing_ok=True)
        restored = _restore(state, partial, owner, folder) if from_backup else None
        owner = restored[1] if restored else owner
        if owner is None:
            raise SyncStateError("say whose packages they are (an RFC)", path=str(folder))
        report = RebuildReport(state, owner, restored_from=restored[0] if restored else None)
        requests = _scan(folder, owner, report)
        _write(partial, owner, requests)
        report.moved_aside = _move_aside(state)
        os.replace(partial, state)
        return report
    finally:
        lock.release()


def _restore(
    state: Path, partial: Path, owner: StateOwner | None, folder: Path
) -> tuple[Path, StateOwner]:
    """Copy the newest readable backup to ``partial``; its path and owner."""
    for backup in backup_paths(state):
        if not backup.exists():
            continue
        try:
            source = sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)
            try:
                if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    continue
                recorded = identity.read_owner(source)
                target = sqlite3.connect(partial)
                try:
                    source.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
        except sqlite3.Error:
            continue
        chosen = recorded or owner
        if chosen is None:
            raise SyncStateError(
                f"the backup {backup} does not say whose it is: pass --rfc", path=str(backup)
            )
        if owner is not None and recorded is not None and recorded != owner:
            raise StateOwnerError(
                f"the backup {backup} is the state of {recorded.describe()}, not of "
                f"{owner.describe()}; use the right --rfc, or rebuild without --from-backup",
                path=str(backup),
                rfc=recorded.rfc,
                service=recorded.service,
            )
        return backup, chosen
    raise SyncStateError(
        f"no readable backup of the state in {folder} (.bak, .bak.1); rebuild from the "
        "packages alone (without --from-backup)",
        path=str(folder),
    )


def _refuse_healthy(state: Path, force: bool) -> None:
    """A readable state with work in it is not replaced unless ``force``."""
    if force or not state.exists() or state.stat().st_size == 0:
        return
    try:
        db = sqlite3.connect(f"{state.as_uri()}?mode=ro", uri=True)
        try:
            ok = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            ok = ok and db.execute("SELECT count(*) FROM requests").fetchone()[0] > 0
        finally:
            db.close()
    except sqlite3.Error:
        return
    if ok:
        raise SyncStateError(
            f"the sync's state {state} is readable and holds requests: there is nothing to "
            "rebuild; pass --force to move it aside and rebuild it from the packages anyway",
            path=str(state),
        )


def _scan(folder: Path, owner: StateOwner, report: RebuildReport) -> dict[str, _Request]:
    requests: dict[str, _Request] = {}
    for path in sorted(folder.glob("*/*/*/*/*.zip")):
        service, direction, kind, label = path.parts[-5:-1]
        period = parse_label(label)
        match = _PACKAGE.fullmatch(path.stem)
        known = service == owner.service and direction in DIRECTIONS and kind in _KINDS
        if not known or period is None or match is None:
            report.ignored.append(path)
            continue
        key = request_key(owner.service, direction, _KINDS[kind], period)
        request = requests.setdefault(
            key,
            _Request(key, direction, _KINDS[kind], period, path.parent, match["solicitud"]),
        )
        _add_package(request, path, report)
    for request in requests.values():
        _note_gaps(request, report)
    report.requests = len(requests)
    return requests


def _add_package(request: _Request, path: Path, report: RebuildReport) -> None:
    try:
        sha256 = check_zip_file(path)
        size = path.stat().st_size
    except (zipfile.BadZipFile, OSError):
        kept = free_damaged_name(path)
        path.replace(kept)
        report.damaged.append(kept)
        request.packages[path.stem] = ("pending", None, None, path)
        return
    request.packages[path.stem] = ("downloaded", sha256, size, path)
    count = _documents(path, request.kind)
    request.documents += count
    report.packages += 1
    report.bytes += size
    report.documents[request.kind] = report.documents.get(request.kind, 0) + count


def _documents(path: Path, kind: str) -> int:
    """How many documents a checked package holds (XML entries, or metadata rows)."""
    if kind == "CFDI":
        with zipfile.ZipFile(path) as package:
            return sum(1 for name in package.namelist() if name.lower().endswith(".xml"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return sum(1 for _ in iter_raw_rows(path))
        except PackageError:
            return 0


def _note_gaps(request: _Request, report: RebuildReport) -> None:
    numbers = {}
    for id_paquete in request.packages:
        match = _PACKAGE.fullmatch(id_paquete)
        if match is not None and match["solicitud"] == request.id_solicitud:
            numbers[int(match["number"])] = len(match["number"])
    if not numbers:
        return
    width = max(numbers.values())
    for number in range(1, max(numbers)):
        if number not in numbers:
            id_paquete = f"{request.id_solicitud}_{number:0{width}d}"
            path = request.folder / f"{id_paquete}.zip"
            request.packages[id_paquete] = ("pending", None, None, path)
            report.missing.append(id_paquete)


def _move_aside(state: Path) -> Path | None:
    """Move the old state (and its WAL files) aside under a dated name; return where."""
    if not state.exists():
        for suffix in ("-wal", "-shm"):
            state.with_name(state.name + suffix).unlink(missing_ok=True)
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    aside = state.with_name(f"{state.name}.damaged-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = state.with_name(f"{state.name}.damaged-{stamp}.{number}")
    os.replace(state, aside)
    for suffix in ("-wal", "-shm"):
        companion = state.with_name(state.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def _write(partial: Path, owner: StateOwner, requests: dict[str, _Request]) -> None:
    """Record the scanned requests and packages in ``partial`` (merged into what it holds)."""
    now = datetime.now(timezone.utc).isoformat()
    db = connect(partial)
    try:
        db.executescript(_SCHEMA)
        identity.write_owner(db, owner)
        db.execute("BEGIN IMMEDIATE")
        for request in requests.values():
            _record(db, request, now)
        db.execute("COMMIT")
    finally:
        db.close()


def _record(db: sqlite3.Connection, request: _Request, now: str) -> None:
    """One request as finished, and its packages; what a restored backup knows is kept."""
    db.execute(
        "INSERT INTO requests (key, direction, kind, period_start, period_end, status,"
        " id_solicitud, codigo, numero_cfdis, error, updated)"
        " VALUES (?, ?, ?, ?, ?, 'finished', ?, 5000, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET status = 'finished', codigo = 5000,"
        " id_solicitud = COALESCE(requests.id_solicitud, excluded.id_solicitud),"
        " numero_cfdis = MAX(requests.numero_cfdis, excluded.numero_cfdis),"
        " error = NULL, updated = excluded.updated"
        " WHERE requests.status != 'finished'",
        (
            request.key,
            request.direction,
            request.kind,
            request.period.start.isoformat(),
            request.period.end.isoformat(),
            request.id_solicitud,
            request.documents,
            "rebuilt from the packages on disk",
            now,
        ),
    )
    for id_paquete, (status, sha256, size, path) in sorted(request.packages.items()):
        error = None if status == "downloaded" else "rebuilt: to download again"
        values = (id_paquete, request.key, status, str(path), size, sha256, error, now)
        columns = "(id_paquete, request_key, status, downloads_used, path, size, sha256, error,"
        insert = f"INSERT INTO packages {columns} updated) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)"
        if status == "downloaded":  # checked on disk: that is the truth
            db.execute(
                insert + " ON CONFLICT (id_paquete) DO UPDATE SET status = 'downloaded',"
                " size = excluded.size, sha256 = excluded.sha256, path = excluded.path,"
                " downloads_used = MAX(packages.downloads_used, 1), error = NULL,"
                " updated = excluded.updated",
                values,
            )
        else:  # a backup's record of it (its downloads counted) is better than a guess
            db.execute(insert + " ON CONFLICT (id_paquete) DO NOTHING", values)
