"""Fixtures for the command-line tests: a fake SAT and a runner of ``main`` in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sat_zeep.cli import main
from sat_zeep.testing.fake_sat.server import FakeSat

from ..dates import month_ago

START, END = (day.isoformat() for day in month_ago(2))
PASSWORD_ENV = "SAT_ZEEP_PASSWORD"


@dataclass(frozen=True)
class Run:
    """What one ``main([...])`` did."""

    code: int
    out: str
    err: str

    def records(self) -> list[dict[str, Any]]:
        """Each stdout line parsed as a JSON object."""
        lines = self.out.splitlines()
        assert lines, self.err
        records = [json.loads(line) for line in lines]
        assert all(isinstance(record, dict) for record in records)
        return records


Runner = Callable[..., Run]


@pytest.fixture
def password(fixture_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fixture e.firma password, exported in ``SAT_ZEEP_PASSWORD``."""
    value = (fixture_dir / "efirma" / "password.txt").read_text(encoding="utf-8").strip()
    monkeypatch.setenv(PASSWORD_ENV, value)
    return value


@pytest.fixture
def sat_args(sat: FakeSat, fixture_dir: Path, password: str) -> list[str]:
    """The shared options for the fixture e.firma against ``sat`` (the password is in env)."""
    efirma = fixture_dir / "efirma"
    return [
        "--cer",
        str(efirma / "fiel.cer"),
        "--key",
        str(efirma / "fiel.key"),
        "--base-url",
        sat.base_url,
    ]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``sat-zeep`` in-process; returns the exit code and what it printed."""

    def runner(*args: str | Path) -> Run:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return runner
