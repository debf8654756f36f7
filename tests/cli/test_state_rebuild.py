"""``sat-zeep state rebuild``: the state restored from the packages on disk, zero requests sent."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from sat_zeep.sync.store import FILE_NAME
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import FIXTURE_RFC, MakeSat
from ..sync.conftest import documents_filed, requests_by_criteria
from .conftest import END, START, Runner
from .test_sync_cli import FAST


def _sync(sat: FakeSat, sat_args: list[str], out: Path) -> list[str | Path]:
    args = [*sat_args[:-1], sat.base_url]
    return ["sync", *args, *FAST, "--start", START, "--end", END, "--out", out, "--json"]


def _summary(records: list[dict[str, object]]) -> dict[str, object]:
    (summary,) = [record for record in records if record["event"] == "summary"]
    return summary


def test_a_deleted_state_is_rebuilt_from_the_packages_without_asking_sat(
    run: Runner, sat: FakeSat, sat_args: list[str], fixture_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run(*_sync(sat, sat_args, out))
    assert first.code == 0, first.err
    before = _summary(first.records())
    (out / FILE_NAME).unlink()
    assert run(*_sync(sat, sat_args, out)).code == 15  # refused, not a fresh start
    calls = dict(sat.stats()["calls"])

    cer = fixture_dir / "efirma" / "fiel.cer"
    rebuilt = run("state", "rebuild", "--out", out, "--cer", cer)
    assert rebuilt.code == 0, rebuilt.err
    assert f"for RFC {FIXTURE_RFC} (cfdi) from the packages on disk; nothing was sent" in (
        rebuilt.out
    )
    assert "requests: 4 finished; packages: 4 checked" in rebuilt.out
    assert sat.stats()["calls"] == calls  # the rebuild sent nothing

    again = run(*_sync(sat, sat_args, out))
    assert again.code == 0, again.err
    after = _summary(again.records())
    assert after["complete"] is True
    assert after["documents"] == before["documents"]
    assert after["packages"] == {"downloaded": 4}
    assert sat.stats()["calls"] == {**calls, "Autentica": sat.stats()["calls"]["Autentica"]}


def test_a_corrupt_state_is_moved_aside_and_rebuilt(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(*_sync(sat, sat_args, out)).code == 0
    garbage = os.urandom(5000)
    (out / FILE_NAME).write_bytes(garbage)
    rebuilt = run("state", "rebuild", "--out", out, "--rfc", FIXTURE_RFC.lower(), "--json")
    assert rebuilt.code == 0, rebuilt.err
    (record,) = rebuilt.records()
    assert Path(record["moved_aside"]).read_bytes() == garbage  # kept, never deleted
    assert record["packages"] == 4 and record["rfc"] == FIXTURE_RFC
    downloads = sum(sat.stats()["downloads"].values())
    assert run(*_sync(sat, sat_args, out)).code == 0
    assert sum(sat.stats()["downloads"].values()) == downloads


def test_damaged_and_missing_packages_are_downloaded_by_the_next_sync(
    run: Runner, make_sat: MakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    sat = make_sat(config=LedgerConfig(max_xml_per_package=100))
    out = tmp_path / "out"
    assert run(*_sync(sat, sat_args, out)).code == 0
    whole = documents_filed(out)
    xml = sorted(out.glob("cfdi/emitidos/cfdi/*/*.zip"))
    assert len(xml) >= 3, xml
    xml[1].unlink()  # a gap: _01 and _03 are there, _02 is not
    xml[2].write_bytes(xml[2].read_bytes()[:100])  # damaged
    (out / FILE_NAME).unlink()
    rebuilt = run("state", "rebuild", "--out", out, "--rfc", FIXTURE_RFC)
    assert rebuilt.code == 0, rebuilt.err
    assert f"missing: {xml[1].stem}; the next sync downloads it" in rebuilt.out
    assert f"damaged: {xml[2]}.damaged (kept)" in rebuilt.out
    again = run(*_sync(sat, sat_args, out))
    assert again.code == 0, again.err
    assert documents_filed(out) == whole
    assert sat.stats()["downloads"][xml[1].stem] == 2
    assert sat.stats()["downloads"][xml[2].stem] == 2


def test_a_healthy_state_is_not_replaced_without_force(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(*_sync(sat, sat_args, out)).code == 0
    refused = run("state", "rebuild", "--out", out, "--rfc", FIXTURE_RFC)
    assert refused.code == 1 and "pass --force" in refused.err
    forced = run("state", "rebuild", "--out", out, "--rfc", FIXTURE_RFC, "--force", "--json")
    assert forced.code == 0, forced.err
    assert json.loads(forced.out)["moved_aside"]
    with sqlite3.connect(out / FILE_NAME) as db:
        assert db.execute("SELECT count(*) FROM packages").fetchone() == (4,)


def test_rebuild_needs_to_know_whose_packages(run: Runner, tmp_path: Path) -> None:
    assert run("state", "rebuild", "--out", tmp_path).code == 2
    assert run("state", "rebuild", "--out", tmp_path, "--rfc", "XYZ").code == 2


def test_from_the_backup_requests_still_at_sat_keep_their_ids(
    run: Runner, make_sat: MakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    """Restored from ``.bak``: the accepted requests are verified again, never submitted again."""
    sat = make_sat(config=LedgerConfig(verifications_until_ready=10_000))
    out = tmp_path / "out"
    waiting = [*_sync(sat, sat_args, out)[:-1], "--max-wait", "0.5s"]
    assert run(*waiting).code == 11
    submitted = sum(sat.stats()["calls"].get(f"SolicitaDescarga{d}", 0) for d in ("Emitidos",))
    (out / FILE_NAME).unlink()
    refused = run(*_sync(sat, sat_args, out))
    assert refused.code == 15 and f"--out {out} --from-backup" in refused.err
    restored = run("state", "rebuild", "--out", out, "--from-backup")
    assert restored.code == 0, restored.err
    assert f"restored from the backup {out / FILE_NAME}.bak" in restored.out
    assert f"for RFC {FIXTURE_RFC} (cfdi)" in restored.out  # the backup's own owner
    sat.ledger.config = LedgerConfig(verifications_until_ready=0)
    again = run(*_sync(sat, sat_args, out))
    assert again.code == 0, again.err
    assert _summary(again.records())["packages"] == {"downloaded": 4}
    calls = sat.stats()["calls"]
    assert calls.get("SolicitaDescargaEmitidos", 0) == submitted  # nothing asked for again
    assert max(requests_by_criteria(sat).values()) == 1


def test_the_rfc_from_an_efirma_folder_and_files_left_alone(
    run: Runner, fixture_dir: Path, tmp_path: Path
) -> None:
    efirma = tmp_path / "efirma"
    efirma.mkdir()
    shutil.copy(fixture_dir / "efirma" / "fiel.cer", efirma / "fiel.cer")
    out = tmp_path / "out"
    stray = out / "cfdi" / "emitidos" / "cfdi" / "notes" / "x.zip"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not ours")
    rebuilt = run("state", "rebuild", "--out", out, "--efirma", efirma)
    assert rebuilt.code == 0, rebuilt.err
    assert f"for RFC {FIXTURE_RFC} (cfdi)" in rebuilt.out
    assert "ignored: 1 file not laid out as cfdi packages (left alone)" in rebuilt.out
    assert stray.read_bytes() == b"not ours"
    several = run("state", "rebuild", "--out", out, "--efirma", fixture_dir / "efirma")
    assert several.code == 2 and "exactly one .cer" in several.err
