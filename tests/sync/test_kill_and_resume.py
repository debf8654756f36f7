"""kill -9 at any point, run again: the documents of an uninterrupted sync, SAT's limits kept.

Each case kills a sync (SIGKILL, in a process of its own) at a named point of its work, either
through ``SAT_ZEEP_CRASH_AT`` or after a random delay, then runs the same sync again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import trust_fixture_ca
from .conftest import MakeSat, documents_filed, requests_by_criteria

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


def run_child(
    sat: FakeSat, output: Path, crash_at: str | None = None, kill_after: float | None = None
) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SAT_ZEEP_CRASH_AT", None)
    if crash_at:
        env["SAT_ZEEP_CRASH_AT"] = crash_at
    with subprocess.Popen(
        [sys.executable, str(CHILD), sat.base_url, str(output)], env=env
    ) as child:
        if kill_after is not None:
            try:
                return child.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
        return child.wait(timeout=120)


@pytest.fixture(scope="module")
def baseline(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], set[str]]:
    state = trust_fixture_ca(tmp_path_factory.mktemp("baseline-state"))
    output = tmp_path_factory.mktemp("baseline-out")
    with FakeSat(state) as sat:
        assert run_child(sat, output) == 0
    return documents_filed(output)


def check_resumed(sat: FakeSat, output: Path, baseline: dict[tuple[str, str], set[str]]) -> None:
    assert run_child(sat, output) == 0, "the resumed sync did not complete"
    assert documents_filed(output) == baseline
    assert max(requests_by_criteria(sat).values()) == 1, "a request was submitted twice"
    assert max(sat.stats()["downloads"].values()) <= 2
    leftovers = [p for p in output.rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


@pytest.mark.parametrize("crash_at", KILL_POINTS)
def test_killed_at_a_named_point_then_resumed(
    make_sat: MakeSat,
    tmp_path: Path,
    baseline: dict[tuple[str, str], set[str]],
    crash_at: str,
) -> None:
    sat = make_sat()
    output = tmp_path / "out"
    assert run_child(sat, output, crash_at) == -signal.SIGKILL, f"{crash_at} was never reached"
    check_resumed(sat, output, baseline)


@pytest.mark.parametrize("seed", range(3))
def test_killed_at_a_random_moment_then_resumed(
    make_sat: MakeSat, tmp_path: Path, baseline: dict[tuple[str, str], set[str]], seed: int
) -> None:
    sat = make_sat()
    output = tmp_path / "out"
    delay = random.Random(seed).uniform(0.6, 1.6)
    started = time.monotonic()
    code = run_child(sat, output, kill_after=delay)
    assert code in (0, -signal.SIGKILL), time.monotonic() - started
    check_resumed(sat, output, baseline)
