"""The rebuild's reading of folder names, and its refusals (no SAT involved)."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from sat_zeep.errors import StateOwnerError, SyncStateError
from sat_zeep.sync.identity import StateOwner
from sat_zeep.sync.plan import Period
from sat_zeep.sync.rebuild import parse_label, rebuild_state
from sat_zeep.sync.store import FILE_NAME, SyncStore

OWNER = StateOwner("SZP200101AB1", "cfdi")


@pytest.mark.parametrize(
    ("label", "period"),
    [
        (
            "2026-10-01_2026-10-31",
            Period(datetime(2026, 10, 1), datetime(2026, 10, 31, 23, 59, 59)),
        ),
        (
            "2026-10-01T000000_2026-10-16T115959",
            Period(datetime(2026, 10, 1), datetime(2026, 10, 16, 11, 59, 59)),
        ),
        ("2026-13-01_2026-13-31", None),
        ("2026-10-31_2026-10-01", None),
        ("2026-10-01T000000_2026-10-16T99", None),
        ("notes", None),
    ],
)
def test_folder_names_give_the_period(label: str, period: Period | None) -> None:
    assert parse_label(label) == period


def _package(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("A.xml", "<a/>")
    return path


def test_what_is_not_a_package_of_this_service_is_left_alone(tmp_path: Path) -> None:
    good = _package(tmp_path / "cfdi/emitidos/cfdi/2026-10-01_2026-10-31/ABC-1_01.zip")
    others = [
        _package(tmp_path / "retenciones/emitidos/cfdi/2026-10-01_2026-10-31/R-1_01.zip"),
        _package(tmp_path / "cfdi/otros/cfdi/2026-10-01_2026-10-31/X-1_01.zip"),
        _package(tmp_path / "cfdi/emitidos/cfdi/notes/X-2_01.zip"),
        _package(tmp_path / "cfdi/emitidos/cfdi/2026-10-01_2026-10-31/no id.zip"),
    ]
    report = rebuild_state(tmp_path, OWNER)
    assert (report.requests, report.packages, report.documents) == (1, 1, {"CFDI": 1})
    assert sorted(report.ignored) == sorted(others)
    assert all(path.exists() for path in [good, *others])


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(SyncStateError, match="is not a folder"):
        rebuild_state(tmp_path / "none", OWNER)
    with pytest.raises(SyncStateError, match="no readable backup"):
        rebuild_state(tmp_path, OWNER, from_backup=True)
    store = SyncStore(tmp_path)
    now = datetime(2026, 10, 1)
    store.add_request(
        {"key": "k", "direction": "emitidos", "kind": "CFDI", "period_start": now,
         "period_end": now},
        now,
    )  # fmt: skip
    store.close()  # a backup, with no owner recorded
    (tmp_path / FILE_NAME).unlink()
    with pytest.raises(SyncStateError, match="does not say whose it is"):
        rebuild_state(tmp_path, None, from_backup=True)
    backup = tmp_path / f"{FILE_NAME}.bak"
    db = sqlite3.connect(backup)
    with db:
        db.execute("INSERT INTO meta VALUES ('rfc', 'OTR010101AB1'), ('service', 'cfdi')")
    db.close()
    with pytest.raises(StateOwnerError, match="is the state of RFC OTR010101AB1"):
        rebuild_state(tmp_path, OWNER, from_backup=True)
    shutil.copy(backup, tmp_path / f"{FILE_NAME}.bak.1")
    backup.write_bytes(b"not a database")  # the newest is unreadable: the older one serves
    report = rebuild_state(tmp_path, None, from_backup=True)
    assert report.restored_from == tmp_path / f"{FILE_NAME}.bak.1"
    assert report.owner == StateOwner("OTR010101AB1", "cfdi")
