"""Every run checks the packages it recorded as downloaded: size always, SHA-256 always."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync import SyncEvent
from sat_zeep.sync.store import FILE_NAME

from .conftest import MakeSat, documents_filed
from .test_state_identity import SMALL
from .test_sync import JOB, sync


def test_deleted_and_damaged_packages_are_reported_and_downloaded_again(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    assert sync(sat, fiel, out).complete
    whole = documents_filed(out)
    deleted, flipped, truncated = sorted(out.glob("*/*/*/*/*.zip"))[:3]
    deleted.unlink()
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes: only the SHA-256 sees it
    flipped.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:-10])
    events: list[SyncEvent] = []
    again = sync(sat, fiel, out, on_event=events.append)
    said = {e.id_paquete: e.message for e in events if e.kind == "retrying" and e.id_paquete}
    assert "is missing" in said[deleted.stem]
    assert "SHA-256 differs" in said[flipped.stem]
    assert "size differs" in said[truncated.stem]
    assert all("downloaded again (1 download left)" in text for text in said.values())
    assert again.complete, again
    assert documents_filed(out) == whole
    downloads = sat.stats()["downloads"]
    assert {downloads[p.stem] for p in (deleted, flipped, truncated)} == {2}
    moved_aside = [e.message for e in events if e.id_paquete == flipped.stem]
    assert any(".damaged" in text for text in moved_aside), moved_aside
    assert not list(out.glob("**/*.damaged*"))  # retired once whole copies landed


def test_a_lost_package_with_no_download_left_is_not_hidden(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    assert sync(sat, fiel, out, SMALL).complete
    before = documents_filed(out)
    lost = sorted(out.glob("*/*/*/*/*.zip"))[0]
    with sqlite3.connect(out / FILE_NAME) as db:  # as if it had been downloaded twice
        db.execute("UPDATE packages SET downloads_used = 2 WHERE id_paquete = ?", (lost.stem,))
    lost.unlink()
    events: list[SyncEvent] = []
    again = sync(sat, fiel, out, SMALL, on_event=events.append)
    (failed,) = [e for e in events if e.kind == "failed" and e.id_paquete == lost.stem]
    assert "is missing" in failed.message and "no download of it is left" in failed.message
    assert "its period will be asked for again" in failed.message
    assert sat.stats()["downloads"][lost.stem] == 1  # not asked for a third time
    assert again.complete, again  # the period was asked for again and downloaded
    assert again.requests.get("replaced") == 1 and len(again.asked_again) == 1, again
    assert documents_filed(out) == before


def test_healthy_packages_are_left_alone(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    assert sync(sat, fiel, out, JOB).complete
    events: list[SyncEvent] = []
    assert sync(sat, fiel, out, JOB, on_event=events.append).complete
    assert not [e for e in events if e.kind in ("retrying", "failed")]
    assert max(sat.stats()["downloads"].values()) == 1
