"""kill -9 at any point, run again: the documents of an uninterrupted sync, SAT's limits kept.

Each case kills a sync (SIGKILL, in a process of its own) at a named point of its work, either
through ``SAT_ZEEP_CRASH_AT`` or once a randomly chosen call reached the fake SAT (``killing``),
then runs the same sync again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import trust_fixture_ca
from .conftest import MakeSat, documents_filed, requests_by_criteria
from .killing import KillAt, kill_after_calls

CHILD = Path(__file__).with_name("child_sync.py")
ROOT = Path(__file__).resolve().parents[2]

#: 2 months x 2 directions x 2 kinds: 8 requests, 24 verifications, 8 packages.
KILL_POINTS = [
    "plan:1",
    "submit:1",
    "submit:4",
    "submit:8",
    "submitted:1",
    "submitted:5",
    "submitted:8",
    "verify:1",
    "verify:9",
    "verified:2",
    "verified:17",
    "verified:24",
    "download:1",
    "download:5",
    "download:8",
    "mid-download:1",
    "mid-download:3",
    "downloaded:1",
    "downloaded:4",
    "downloaded:8",
]


class Baseline(NamedTuple):
    """What an uninterrupted sync filed, and the calls it made to SAT by SOAP action."""

    documents: dict[tuple[str, str], set[str]]
    calls: dict[str, int]


def start_child(sat: FakeSat, output: Path, crash_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SAT_ZEEP_CRASH_AT", None)
    if crash_at:
        env["SAT_ZEEP_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, str(CHILD), sat.base_url, str(output)], env=env)


def run_child(sat: FakeSat, output: Path, crash_at: str | None = None) -> int:
    with start_child(sat, output, crash_at) as child:
        return child.wait(timeout=120)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    state = trust_fixture_ca(tmp_path_factory.mktemp("baseline-state"))
    output = tmp_path_factory.mktemp("baseline-out")
    with FakeSat(state) as sat:
        assert run_child(sat, output) == 0
        calls = dict(sat.stats()["calls"])
    return Baseline(documents_filed(output), calls)


def check_resumed(sat: FakeSat, output: Path, baseline: Baseline) -> None:
    assert run_child(sat, output) == 0, "the resumed sync did not complete"
    assert documents_filed(output) == baseline.documents
    assert max(requests_by_criteria(sat).values()) == 1, "a request was submitted twice"
    assert max(sat.stats()["downloads"].values()) <= 2
    leftovers = [p for p in output.rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


@pytest.mark.parametrize("crash_at", KILL_POINTS)
def test_killed_at_a_named_point_then_resumed(
    make_sat: MakeSat, tmp_path: Path, baseline: Baseline, crash_at: str
) -> None:
    sat = make_sat()
    output = tmp_path / "out"
    assert run_child(sat, output, crash_at) == -signal.SIGKILL, f"{crash_at} was never reached"
    check_resumed(sat, output, baseline)


def random_kill(seed: int, calls: dict[str, int]) -> KillAt:
    """A call of an uninterrupted sync, never the last of its kind (the child must not finish)."""
    rng = random.Random(seed)
    action = rng.choice(sorted(calls))
    return KillAt(action, rng.randint(1, max(1, calls[action] - 1)))


@pytest.mark.parametrize("seed", range(3))
def test_killed_after_a_random_call_then_resumed(
    make_sat: MakeSat, tmp_path: Path, baseline: Baseline, seed: int
) -> None:
    sat = make_sat()
    output = tmp_path / "out"
    kill = random_kill(seed, baseline.calls)
    with start_child(sat, output) as child:
        seen = kill_after_calls(child, sat, kill.action, kill.calls)
    assert seen[kill.action] >= kill.calls, kill
    check_resumed(sat, output, baseline)


def test_a_child_that_exits_before_the_event_fails_the_kill(make_sat: MakeSat) -> None:
    sat = make_sat()
    with (
        subprocess.Popen([sys.executable, "-c", "pass"]) as child,
        pytest.raises(AssertionError, match=r"exited \(0\) before Descargar call 1"),
    ):
        kill_after_calls(child, sat, "Descargar", 1)
