"""A missing, empty or corrupt state is never a silent fresh start; backups are kept."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sat_zeep.errors import StateDamagedError, StateWriteError
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync.store import FILE_NAME, SyncStore

from .conftest import MakeSat
from .test_state_identity import SMALL
from .test_sync import sync

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def synced(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> Path:
    """A folder with a complete sync of one month of emitidos metadata (2 packages)."""
    out = tmp_path / "out"
    assert sync(make_sat(), fiel, out, SMALL).complete
    return out


@pytest.mark.parametrize("damage", ["deleted", "emptied", "random bytes", "torn page"])
def test_a_damaged_state_beside_packages_is_refused(
    make_sat: MakeSat, fiel: Fiel, synced: Path, damage: str
) -> None:
    state = synced / FILE_NAME
    if damage == "deleted":
        state.unlink()
    elif damage == "emptied":
        state.write_bytes(b"")
    elif damage == "random bytes":
        state.write_bytes(os.urandom(8192))
    else:
        data = bytearray(state.read_bytes())
        data[4096:8192] = os.urandom(4096)  # the second page: a table's rows
        state.write_bytes(bytes(data))
    sat = make_sat()
    with pytest.raises(StateDamagedError) as raised:
        sync(sat, fiel, synced, SMALL)
    message = str(raised.value)
    assert "sat-zeep state rebuild --out" in message
    assert "nothing was sent to SAT" in message
    assert sat.stats()["calls"] == {}
    assert len(list(synced.glob("*/*/*/*/*.zip"))) == 2  # nothing was removed


def test_a_backup_alone_is_evidence_too(synced: Path) -> None:
    for package in synced.glob("*/*/*/*/*.zip"):
        package.unlink()
    (synced / FILE_NAME).unlink()
    with pytest.raises(StateDamagedError, match=r"holds the backup \.sat-zeep-sync\.sqlite3\.bak"):
        SyncStore(synced)


def test_an_empty_folder_starts_afresh(tmp_path: Path) -> None:
    SyncStore(tmp_path / "new").close()
    (tmp_path / "new" / FILE_NAME).write_bytes(b"")  # an empty state and nothing else
    SyncStore(tmp_path / "new").close()


def test_sqlite_backups_are_kept_and_rotated(make_sat: MakeSat, fiel: Fiel, synced: Path) -> None:
    latest, previous = synced / f"{FILE_NAME}.bak", synced / f"{FILE_NAME}.bak.1"
    assert latest.exists() and not previous.exists()  # the first run: its end only
    assert sync(make_sat(), fiel, synced, SMALL).complete
    assert latest.exists() and previous.exists()
    with sqlite3.connect(latest) as db:
        statuses = db.execute("SELECT status FROM packages").fetchall()
        owner = db.execute("SELECT value FROM meta WHERE name = 'rfc'").fetchone()
    assert statuses == [("downloaded",), ("downloaded",)]
    assert owner is not None
    assert not list(synced.glob("*.bak.2")) and not list(synced.glob("*.tmp"))


def test_a_full_disk_under_the_state_is_one_line(tmp_path: Path) -> None:
    """A tiny tmpfs (in a mount namespace of its own), filled: SQLite says "disk is full"."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sat_zeep.errors import StateWriteError\n"
        "from sat_zeep.sync.store import SyncStore\n"
        "out = Path(sys.argv[1]) / 'out'\n"
        "out.mkdir()\n"
        "with open(Path(sys.argv[1]) / 'filler', 'wb', buffering=0) as filler:\n"
        "    try:\n"
        "        while True:\n"
        "            filler.write(b'x' * 1024)\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        "    SyncStore(out)\n"
        "except StateWriteError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    mount = tmp_path / "small"
    mount.mkdir()
    shell = f'mount -t tmpfs -o size=256k tmpfs "$1" && exec "{sys.executable}" -c "$2" "$1"'
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", shell, "sh", mount, script],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{StateWriteError.__name__} no space left for the sync's state")
    assert "Traceback" not in done.stderr
