"""``fleet import-state``: a folder's sync state (``.sat-zeep-sync.sqlite3``) into the fleet store.

Nothing is sent to SAT. Every Solicitud the sync may have sent is recorded as an attempt, so the
fleet never sends it again; accepted requests keep their IdSolicitud and checks; packages keep
their download counts; downloaded packages are linked (or copied) into the fleet's folder
(``OUT/<RFC>/…``) after their SHA-256 is checked against the sync's record.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...client.sat_client import MEXICO_TIME
from ...packages.archive.stream_check import file_sha256
from ..plan import Period
from ..store import FILE_NAME
from .errors import FleetError
from .rows import PeriodRow
from .steps import package_path
from .store import FleetStore
from .times import stamp
from .windows import new_period, parameters_of, sent_period

__all__ = ["ImportResult", "import_state"]


@dataclass
class ImportResult:
    rfc: str
    periods: int = 0
    attempts: int = 0
    packages: int = 0
    files: int = 0


def import_state(
    store: FleetStore, sync_out: Path, fleet_out: Path, worker: str, now: datetime
) -> ImportResult:
    """Import the sync state of ``sync_out`` for its (already registered) taxpayer."""
    requests, packages, meta = _read(sync_out / FILE_NAME)
    rfc, service = meta.get("rfc"), meta.get("service", "cfdi")
    if not rfc:
        raise FleetError(f"{sync_out / FILE_NAME} names no RFC (a state from before owners)")
    taxpayer = store.taxpayer(rfc)
    if taxpayer is None:
        raise FleetError(
            f"{rfc} is not in the fleet yet: register it first (sat-zeep fleet add --efirma …); "
            "nothing was imported"
        )
    result = ImportResult(rfc)
    keys = {row["key"]: _fleet_key(rfc, service, row) for row in requests}
    by_key = {row["key"]: row for row in requests}
    files = _place_files(packages, by_key, keys, taxpayer, sync_out, fleet_out)
    result.files = len(files)
    today = now.astimezone(MEXICO_TIME).date()
    fence = store.claim(rfc, worker, now)
    at = stamp(now)
    with store.fenced(fence):
        db, fenced = store.db, fence.params()
        for row in requests:
            period = _period_row(rfc, keys[row["key"]], row, keys.get(row["parent"]))
            db.execute(
                "import_period",
                **fenced,
                key=period.key,
                direction=period.direction,
                kind=period.kind,
                period_start=period.period_start,
                period_end=period.period_end,
                parent=period.parent,
                status=_status(row["status"]),
                variant=period.variant,
                id_solicitud=row["id_solicitud"],
                codigo=row["codigo"],
                numero_cfdis=row["numero_cfdis"],
                last_error=row["error"],
                now=at,
            )
            result.periods += 1
            sent = range(period.variant if row["status"] == "planned" else period.variant + 1)
            attempt_id = None
            for variant in sent:
                start, end = sent_period(period, variant, today)
                rows = db.all(
                    "insert_attempt",
                    **fenced,
                    parameters=parameters_of(period, service),
                    variant=variant,
                    period_key=period.key,
                    sent_start=start.isoformat(),
                    sent_end=end.isoformat(),
                    worker=f"import {sync_out}",
                    now=at,
                )
                if rows:
                    attempt_id = int(rows[0]["id"])
                    result.attempts += 1
            if row["id_solicitud"] and attempt_id is not None:
                db.execute(
                    "record_request",
                    id_solicitud=row["id_solicitud"],
                    attempt_id=attempt_id,
                    rfc=rfc,
                    period_key=period.key,
                    next_check=row["next_check"],
                    now=at,
                )
                db.execute(
                    "import_request",
                    **fenced,
                    id_solicitud=row["id_solicitud"],
                    status="accepted" if row["status"] == "accepted" else row["status"],
                    checks=row["checks"],
                    next_check=_utc(row["next_check"]),
                    numero_cfdis=row["numero_cfdis"],
                    now=at,
                )
        for package in packages:
            request = by_key.get(package["request_key"])
            if request is None or not request["id_solicitud"]:
                continue
            placed = files.get(package["id_paquete"])
            status = package["status"]
            if status == "downloaded" and placed is None:
                status = "pending"  # the file is gone: download it again, if a download is left
            elif status == "downloading":
                status = "pending"
            db.execute(
                "import_package",
                **fenced,
                id_paquete=package["id_paquete"],
                period_key=keys[package["request_key"]],
                id_solicitud=request["id_solicitud"],
                status=status,
                downloads_used=min(2, package["downloads_used"]),
                path=package_path(taxpayer, _row_period(rfc, keys, request), package["id_paquete"]),
                size=package["size"] if placed else None,
                sha256=package["sha256"] if placed else None,
                last_error=package["error"],
                now=at,
            )
            result.packages += 1
    store.end_step(fence, now, None)
    return result


def _read(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    if not path.is_file():
        raise FleetError(f"{path} does not exist: is this the --out folder of a sync?")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        requests = [dict(r) for r in db.execute("SELECT * FROM requests ORDER BY period_start")]
        packages = [dict(r) for r in db.execute("SELECT * FROM packages ORDER BY id_paquete")]
        meta = {str(n): str(v) for n, v in db.execute("SELECT name, value FROM meta")}
    except sqlite3.Error as error:
        raise FleetError(f"{path} cannot be read as a sync state: {error}") from None
    finally:
        db.close()
    return requests, packages, meta


def _fleet_key(rfc: str, service: str, row: dict[str, Any]) -> str:
    period = Period(
        datetime.fromisoformat(row["period_start"]), datetime.fromisoformat(row["period_end"])
    )
    return new_period(rfc, service, row["direction"], row["kind"], period).key


def _period_row(rfc: str, key: str, row: dict[str, Any], parent: str | None) -> PeriodRow:
    return PeriodRow(
        key=key,
        rfc=rfc,
        direction=row["direction"],
        kind=row["kind"],
        period_start=datetime.fromisoformat(row["period_start"]).isoformat(),
        period_end=datetime.fromisoformat(row["period_end"]).isoformat(),
        parent=parent,
        status=row["status"],
        variant=int(row["variant"]),
        attempts=0,
        not_before=None,
        last_error=row["error"],
        id_solicitud=row["id_solicitud"],
        codigo=row["codigo"],
        numero_cfdis=int(row["numero_cfdis"]),
    )


def _row_period(rfc: str, keys: dict[str, str], row: dict[str, Any]) -> PeriodRow:
    return _period_row(rfc, keys[row["key"]], row, None)


def _status(status: str) -> str:
    """The sync's ``submitting`` (maybe sent) is the fleet's ``unconfirmed``."""
    return "unconfirmed" if status == "submitting" else status


def _utc(text: str | None) -> str | None:
    return stamp(datetime.fromisoformat(text)) if text else None


def _place_files(
    packages: list[dict[str, Any]],
    requests: dict[str, dict[str, Any]],
    keys: dict[str, str],
    taxpayer: Any,
    sync_out: Path,
    fleet_out: Path,
) -> dict[str, Path]:
    """Link (or copy) each downloaded package whose SHA-256 checks into the fleet's folder."""
    placed = {}
    for package in packages:
        request = requests.get(package["request_key"])
        source = Path(package["path"])
        if not source.is_absolute():
            source = sync_out / source
        if request is None or package["status"] != "downloaded" or not source.is_file():
            continue
        if file_sha256(source) != package["sha256"]:
            continue
        rfc = taxpayer.rfc
        target = fleet_out / package_path(
            taxpayer, _row_period(rfc, keys, request), package["id_paquete"]
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
        placed[package["id_paquete"]] = target
    return placed
