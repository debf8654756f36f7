"""The fault soak: 30% of SAT's answers fail, syncs are killed -9 at random moments, and run
again until done. Every document ends on disk exactly once, no package is asked for a third
time, and every request SAT accepted is accounted for in the state.

``SAT_ZEEP_SOAK_SEEDS`` sets how many seeds run (default 2, about a minute on two cores);
each seed runs one uninterrupted series and one killed series, against a fresh fake SAT.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sat_zeep.sync.store import FILE_NAME
from sat_zeep.testing.fake_sat.faults import FaultPlan
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import trust_fixture_ca
from .conftest import MakeSat, documents_counted

CHILD = Path(__file__).with_name("child_sync.py")
ROOT = Path(__file__).resolve().parents[2]
SEEDS = int(os.environ.get("SAT_ZEEP_SOAK_SEEDS", "2"))
#: Runs of one series before the soak gives up (a sync that never completes fails it).
MAX_RUNS = 25
ACTIONS = ("Autentica", "SolicitaDescargaEmitidos", "VerificaSolicitudDescarga", "Descargar")


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> Counter[tuple[str, str, str]]:
    """The documents of the period: a sync without faults, each exactly once."""
    state = trust_fixture_ca(tmp_path_factory.mktemp("soak-baseline-state"))
    output = tmp_path_factory.mktemp("soak-baseline-out")
    with FakeSat(state) as sat:
        assert _run(sat, output) == 0
    counted = documents_counted(output)
    assert counted and set(counted.values()) == {1}
    return counted


def _start(sat: FakeSat, output: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SAT_ZEEP_CRASH_AT", None)
    command = [sys.executable, str(CHILD), sat.base_url, str(output), "0.05"]
    return subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)


def _run(sat: FakeSat, output: Path) -> int:
    with _start(sat, output) as child:
        return child.wait(timeout=300)


def _run_killed(sat: FakeSat, output: Path, rng: random.Random) -> int | None:
    """One run, killed -9 once a random call reached SAT; None if killed, else its exit code."""
    seen = dict(sat.stats()["calls"])
    action = rng.choice(ACTIONS)
    target = seen.get(action, 0) + rng.randint(1, 4)
    with _start(sat, output) as child:
        deadline = time.monotonic() + 300
        while child.poll() is None and time.monotonic() < deadline:
            if sat.stats()["calls"].get(action, 0) >= target:
                child.send_signal(signal.SIGKILL)
                child.wait()
                return None
            time.sleep(0.002)
        if child.poll() is None:
            child.kill()
        return child.wait()


def _series(sat: FakeSat, output: Path, kills: random.Random | None) -> tuple[int, int]:
    """Run until a run completes; (runs, kills)."""
    killed = 0
    for runs in range(1, MAX_RUNS + 1):
        if kills is not None and killed < 6:
            code = _run_killed(sat, output, kills)
            if code is None:
                killed += 1
                continue
        else:
            code = _run(sat, output)
        if code == 0:
            return runs, killed
    raise AssertionError(f"the sync did not complete in {MAX_RUNS} runs ({killed} killed)")


def _check(sat: FakeSat, output: Path, expected: Counter[tuple[str, str, str]]) -> None:
    counted = documents_counted(output)
    twice = {doc: n for doc, n in counted.items() if n > 1}
    assert not twice, f"documents on disk more than once: {list(twice.items())[:5]}"
    missing = set(expected) - set(counted)
    assert not missing, f"{len(missing)} documents never reached the disk"
    stats = sat.stats()
    assert stats["max_downloads_of_a_package"] <= 2
    assert "5008" not in stats["rejections"], "a package was asked for a third time"
    with sqlite3.connect(output / FILE_NAME) as db:
        known = {row[0] for row in db.execute("SELECT id_solicitud FROM requests") if row[0]}
        sends = db.execute("SELECT SUM(attempts) FROM requests").fetchone()[0]
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM packages GROUP BY status"))
    accepted = {record["id_solicitud"] for record in stats["requests"]}
    assert known <= accepted
    unknown = accepted - known
    # A request SAT accepted but the state does not name is one whose answer was lost: each
    # was recorded as a send that may have reached SAT, without an answer.
    assert len(unknown) <= sends - len(known), (len(unknown), sends, len(known))
    assert set(statuses) <= {"downloaded", "exhausted", "superseded"}, statuses
    assert not list(output.glob("**/.*.part")), "a temporary download was left behind"


@pytest.mark.parametrize("killed", [False, True], ids=["uninterrupted", "killed"])
@pytest.mark.parametrize("seed", range(SEEDS))
def test_fault_soak(
    make_sat: MakeSat,
    tmp_path: Path,
    expected: Counter[tuple[str, str, str]],
    seed: int,
    killed: bool,
) -> None:
    sat = make_sat(faults=FaultPlan(rate=0.3, seed=seed, delay=0.1))
    output = tmp_path / "out"
    _runs, kills = _series(sat, output, random.Random(seed) if killed else None)
    assert not killed or kills, "no run was killed"
    _check(sat, output, expected)
    assert sat.faults.injected, "no fault was injected"
