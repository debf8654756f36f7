"""One sync per folder: a second one refuses before sending anything; a dead one blocks nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sat_zeep.errors import FolderInUseError
from sat_zeep.sync.lock import LOCK_NAME, FolderLock
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import MakeSat, documents_filed, requests_by_criteria

ROOT = Path(__file__).resolve().parents[2]
EFIRMA = ROOT / "tests" / "fixtures" / "efirma"


def test_a_held_folder_is_refused_naming_the_holder(tmp_path: Path) -> None:
    held = FolderLock.acquire(tmp_path)
    try:
        with pytest.raises(FolderInUseError) as raised:
            FolderLock.acquire(tmp_path)
    finally:
        held.release()
    error = raised.value
    assert error.pid == os.getpid()
    assert error.host == socket.gethostname()
    assert f"process {os.getpid()} on {socket.gethostname()}, since 20" in str(error)
    FolderLock.acquire(tmp_path).release()  # released: free again


def sync_command(sat: FakeSat, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "sat_zeep.cli", "sync",
        "--cer", str(EFIRMA / "fiel.cer"), "--key", str(EFIRMA / "fiel.key"),
        "--password-file", str(EFIRMA / "password.txt"), "--base-url", sat.base_url,
        "--start", "2026-10-01", "--end", "2026-10-31", "--out", str(out),
        "--poll", "0s", "--max-wait", "120s",
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _stable_stats(sat: FakeSat) -> dict[str, object]:
    """The server's counters once no request is in flight (two equal reads in a row)."""
    previous = sat.stats()
    for _ in range(50):
        time.sleep(0.1)
        current = sat.stats()
        if current["calls"] == previous["calls"]:
            return current
        previous = current
    raise AssertionError("the server never went quiet")


def test_two_concurrent_syncs_on_one_folder(make_sat: MakeSat, tmp_path: Path) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    with subprocess.Popen(
        sync_command(sat, out), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    ) as first:  # fmt: skip
        assert first.stderr is not None
        line = first.stderr.readline()  # "accepted: …": it holds the folder and talks to SAT
        assert line.startswith("accepted:"), line
        first.send_signal(signal.SIGSTOP)
        try:
            before = _stable_stats(sat)
            second = subprocess.run(
                sync_command(sat, out), env=_env(), capture_output=True, text=True, timeout=120
            )
            after = sat.stats()
        finally:
            first.send_signal(signal.SIGCONT)
        out_first, err_first = first.communicate(timeout=120)
    assert second.returncode == 14, second.stderr
    lines = second.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in second.stderr
    assert f"process {first.pid} on {socket.gethostname()}" in lines[0]
    assert "in use by another sync" in lines[0]
    assert after["calls"] == before["calls"]  # the second sent nothing
    assert after["tokens_issued"] == before["tokens_issued"]
    assert first.returncode == 0, err_first
    assert "packages: 4 downloaded" in out_first
    assert len(documents_filed(out)) == 4
    assert max(requests_by_criteria(sat).values()) == 1
    assert max(sat.stats()["downloads"].values()) == 1


def test_a_lock_left_by_a_killed_sync_does_not_block(make_sat: MakeSat, tmp_path: Path) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    with subprocess.Popen(
        sync_command(sat, out), env=_env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True,
    ) as killed:  # fmt: skip
        assert killed.stderr is not None
        assert killed.stderr.readline().startswith("accepted:")
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=60)
    assert f"pid {killed.pid}" in (out / LOCK_NAME).read_text(encoding="utf-8")
    again = subprocess.run(
        sync_command(sat, out), env=_env(), capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "packages: 4 downloaded" in again.stdout
