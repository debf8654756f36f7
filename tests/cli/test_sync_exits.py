"""``sat-zeep sync``: each way a run can end locally has its exit code and one line, no traceback.

Rows here: state of another RFC (13), folder in use (14), corrupted state (15), Ctrl-C (130),
bad periods (4), read-only ``--out`` (10), config errors (2), ``--config`` beside per-taxpayer
options, one bad taxpayer among several, ``--concurrency`` out of range, ``--help``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sat_zeep.client.sat_client import MEXICO_TIME
from sat_zeep.sync.lock import FolderLock
from sat_zeep.sync.store import FILE_NAME
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import FIXTURE_RFC, MakeSat
from .conftest import END, START, Run, Runner
from .test_sync_cli import FAST

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--kind", "metadata", "--direction", "emitidos"]


def _one_line(result: Run, code: int) -> str:
    assert result.code == code, (result.code, result.err, result.out)
    lines = [line for line in result.err.splitlines() if line]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def _sync(sat_args: list[str], out: Path, *extra: str | Path) -> list[str | Path]:
    return ["sync", *sat_args, *FAST, *SMALL, "--start", START, "--end", END, "--out", out, *extra]


def test_state_of_another_rfc_exits_13(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(*_sync(sat_args, out)).code == 0
    other = sat.issue_fiel("OTR010101AB1")
    cer, key, password = other.write(tmp_path / "otro")
    args = ["--cer", cer, "--key", key, "--password-file", password, "--base-url", sat.base_url]
    calls = dict(sat.stats()["calls"])
    line = _one_line(run(*_sync(args, out)), 13)  # type: ignore[arg-type]
    assert f"holds the state of RFC {FIXTURE_RFC} (cfdi), not of RFC OTR010101AB1" in line
    assert "use another --out" in line
    assert sat.stats()["calls"] == calls


def test_folder_in_use_exits_14(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    held = FolderLock.acquire(out)
    try:
        line = _one_line(run(*_sync(sat_args, out)), 14)
    finally:
        held.release()
    assert f"in use by another sync (process {os.getpid()} on " in line
    assert sat.stats()["calls"] == {}


@pytest.mark.parametrize("damage", [b"", b"\x00garbage" * 999])
def test_corrupted_state_exits_15(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path, damage: bytes
) -> None:
    out = tmp_path / "out"
    assert run(*_sync(sat_args, out)).code == 0
    calls = dict(sat.stats()["calls"])
    (out / FILE_NAME).write_bytes(damage)
    line = _one_line(run(*_sync(sat_args, out)), 15)
    assert f"sat-zeep state rebuild --out {out}" in line
    assert sat.stats()["calls"] == calls


def _mexico_today() -> date:
    return datetime.now(MEXICO_TIME).date()


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("2026-10-31", "2026-10-01", "ends (2026-10-01) before it starts (2026-10-31)"),
        ("tomorrow", None, "is in the future"),
        ("seven years ago", None, "older than SAT serves"),
    ],
)
def test_bad_periods_exit_4_before_anything_is_recorded(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path, start: str, end: str | None,
    says: str,
) -> None:  # fmt: skip
    today = _mexico_today()
    first = {
        "tomorrow": today + timedelta(days=1),
        "seven years ago": today.replace(year=today.year - 7),
    }.get(start)
    args = ["sync", *sat_args, *FAST, "--start", str(first or start), "--out", tmp_path / "out"]
    line = _one_line(run(*args, *(["--end", end] if end else [])), 4)
    assert says in line and "nothing was sent to SAT" in line
    assert not (tmp_path / "out" / FILE_NAME).exists()
    assert sat.stats()["calls"] == {}


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder no one may write in (root too: the immutable attribute)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_read_only_out_exits_10(
    run: Runner, sat: FakeSat, sat_args: list[str], read_only: Path
) -> None:
    line = _one_line(run(*_sync(sat_args, read_only)), 10)
    assert str(read_only) in line
    assert sat.stats()["calls"] == {}


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "despacho.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[taxpayer]\nname = 'x'\n", "is not valid TOML"),
        ("taxpayer = 'x'\n", "[[taxpayer]] must be a list of tables"),
        ("[defaults]\nstart = '2026-10-01'\n[[taxpayer]]\nname = 'x'\n", "start must be a date"),
        ("[[taxpayer]]\nname = 3\n", "name must be a string"),
        ("[[taxpayer]]\nname = 'x'\nservice = 'nomina'\n", "service must be one of"),
        ("[[taxpayer]]\nname = 'a'\nout = 'o'\n[[taxpayer]]\nname = 'a'\nout = 'p'\n", "twice"),
        (
            "[[taxpayer]]\nname = 'a'\nout = 'o'\n[[taxpayer]]\nname = 'b'\nout = './o'\n",
            "share the folder",
        ),
        (
            "[[taxpayer]]\nname = 'a'\nout = 'o'\n[[taxpayer]]\nname = 'b'\nout = 'o/b'\n",
            "inside the folder of",
        ),
    ],
)
def test_config_errors_exit_2(run: Runner, tmp_path: Path, text: str, says: str) -> None:
    line = _one_line(run("sync", "--config", _config(tmp_path, text)), 2)
    assert says in line, line


def _two_taxpayers(tmp_path: Path, sat: FakeSat, fixture_dir: Path, expired: bool) -> Path:
    good = tmp_path / "efirmas" / "uno"
    good.mkdir(parents=True)
    for name in ("fiel.cer", "fiel.key", "password.txt"):
        shutil.copy(fixture_dir / "efirma" / name, good / name)
    other = sat.issue_fiel("OTR010101AB1", expired=expired)
    other.write(tmp_path / "efirmas" / "otro")
    return _config(
        tmp_path,
        f"""
[defaults]
start = {START}
end = {END}
out = "salida"

[[taxpayer]]
name = "otro"
cer = "efirmas/otro/OTR010101AB1.cer"
key = "efirmas/otro/OTR010101AB1.key"
password_file = "efirmas/otro/OTR010101AB1-password.txt"

[[taxpayer]]
name = "uno"
efirma = "efirmas/uno"
password_file = "efirmas/uno/password.txt"
""",
    )


def test_one_bad_taxpayer_is_reported_under_its_name_and_the_others_go_on(
    run: Runner, sat: FakeSat, fixture_dir: Path, tmp_path: Path
) -> None:
    config = _two_taxpayers(tmp_path, sat, fixture_dir, expired=True)
    result = run("sync", "--config", config, "--base-url", sat.base_url, *FAST, *SMALL)
    assert result.code == 3, result.err
    assert "[otro] error: the e.firma of OTR010101AB1 expired on" in result.err
    assert "[uno] packages: 1 downloaded" in result.out
    assert "Traceback" not in result.err


def test_config_beside_per_taxpayer_options(
    run: Runner, sat: FakeSat, fixture_dir: Path, tmp_path: Path
) -> None:
    config = _two_taxpayers(tmp_path, sat, fixture_dir, expired=False)
    base = ["sync", "--config", config, "--base-url", sat.base_url, *FAST, *SMALL]
    refused = _one_line(run(*base, "--out", tmp_path / "x"), 2)
    assert "--out cannot be used with --config" in refused
    cer = fixture_dir / "efirma" / "fiel.cer"
    assert "--cer cannot be used with --config" in _one_line(run(*base, "--cer", cer), 2)
    applied = run(*base, "--start", "2026-10-15")
    assert applied.code == 0, applied.err
    assert "--start 2026-10-15 applies to every taxpayer" in applied.err
    assert "emitidos metadata 2026-10-15_2026-10-31" in applied.err


@pytest.mark.parametrize("value", ["0", "-3"])
def test_concurrency_below_one_is_refused(
    run: Runner, sat_args: list[str], tmp_path: Path, value: str
) -> None:
    line = _one_line(run(*_sync(sat_args, tmp_path / "o"), "--concurrency", value), 2)
    assert "--concurrency" in line


def test_help_shows_what_is_required_and_the_exit_codes(run: Runner) -> None:
    text = " ".join(run("sync", "--help").out.split())
    assert "--start DATE First day (YYYY-MM-DD); required unless --config" in text
    assert "--out DIR Output folder; required unless --config" in text
    for row in ("0 complete", "6 SAT answered", "7 SAT could not be reached", "11 not done yet",
                "13 ", "14 ", "15 ", "130 "):  # fmt: skip
        assert row in text, row


def _sync_process(sat: FakeSat, out: Path) -> list[str]:
    efirma = ROOT / "tests" / "fixtures" / "efirma"
    return [
        sys.executable, "-m", "sat_zeep.cli", "sync", "--cer", str(efirma / "fiel.cer"),
        "--key", str(efirma / "fiel.key"), "--password-file", str(efirma / "password.txt"),
        "--base-url", sat.base_url, "--start", START, "--end", END, "--out", str(out),
        *FAST, *SMALL,
    ]  # fmt: skip


def test_ctrl_c_exits_130_and_says_the_same_command_resumes(
    make_sat: MakeSat, tmp_path: Path
) -> None:
    sat = make_sat()
    sat.ledger.config = replace(sat.ledger.config, verifications_until_ready=10_000)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        _sync_process(sat, out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    ) as child:  # fmt: skip
        assert child.stderr is not None
        assert child.stderr.readline().startswith("accepted:")
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        "interrupted; run the same command again to resume (what was done is kept, "
        "nothing is asked for twice)"
    )
    sat.ledger.config = replace(sat.ledger.config, verifications_until_ready=0)
    again = subprocess.run(_sync_process(sat, out), env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "packages: 1 downloaded" in again.stdout
    assert sum(sat.stats()["calls"].get(f"SolicitaDescarga{d}", 0) for d in ("Emitidos",)) == 1


def test_full_disk_under_the_state_exits_10(sat: FakeSat, tmp_path: Path) -> None:
    """A tiny tmpfs in a mount namespace of its own, filled before the run: SQLite cannot write."""
    mount = tmp_path / "small"
    mount.mkdir()
    fill = (
        'mount -t tmpfs -o size=256k tmpfs "$1" && mkdir "$1/out" && '
        '(cat /dev/zero > "$1/filler" 2>/dev/null; true) && shift && exec "$@"'
    )
    namespace = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", fill, "sh"]
    done = subprocess.run(
        [*namespace, str(mount), *_sync_process(sat, mount / "out")],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 10, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert lines[0].startswith("error: no space left for the sync's state")
    assert sat.stats()["calls"] == {}


def test_config_errors_per_taxpayer_in_json(
    run: Runner, sat: FakeSat, fixture_dir: Path, tmp_path: Path
) -> None:
    """A taxpayer with no folder is a usage error under its name; --json gets JSON lines."""
    config = _two_taxpayers(tmp_path, sat, fixture_dir, expired=False)
    text = config.read_text(encoding="utf-8").replace('out = "salida"\n', "")
    config.write_text(text.replace('name = "uno"', 'name = "uno"\nout = "uno"'), encoding="utf-8")
    result = run(
        "sync", "--config", config, "--base-url", sat.base_url, *FAST, *SMALL,
        "--end", "2026-10-20", "--json",
    )  # fmt: skip
    assert result.code == 2, result.err
    records = result.records()
    assert {"event": "note", "note": f"--end 2026-10-20 applies to every taxpayer of {config}"
            " (over the file's)"} in records  # fmt: skip
    (error,) = [record for record in records if record["event"] == "error"]
    assert error["taxpayer"] == "otro" and error["exit_code"] == 2
    assert "needs a start and an out" in error["error"]
    (summary,) = [record for record in records if record["event"] == "summary"]
    assert summary["output"] == str(tmp_path / "uno") and summary["complete"] is True


def test_sync_needs_start_and_out(run: Runner, sat_args: list[str]) -> None:
    assert "--start and --out are needed" in _one_line(run("sync", *sat_args), 2)
