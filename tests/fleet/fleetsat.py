"""Helpers of the fleet tests: many taxpayers' e.firmas, their registration, the checks."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import requests

from sat_zeep.packages.archive.stream_check import file_sha256
from sat_zeep.sync.fleet import FleetStore
from sat_zeep.testing.certificates import TestCertificateAuthority

from ..conftest import trust_fixture_ca

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def rfc_for(index: int) -> str:
    """A distinct company RFC for each index below 17,576."""
    letters = "".join(_LETTERS[(index // 26**p) % 26] for p in (2, 1, 0))
    return f"{letters}200101F{_LETTERS[index // 10 % 26]}{index % 10}"


@dataclass(frozen=True)
class Efirma:
    rfc: str
    certificate: Path
    private_key: Path
    password_file: Path


def issue_efirmas(ca: TestCertificateAuthority, folder: Path, count: int) -> list[Efirma]:
    """``count`` e.firmas (small keys: the tests issue hundreds) written under ``folder``."""
    issued = []
    for index in range(count):
        credential = ca.issue_fiel(rfc_for(index), key_size=1024)
        cer, key, password = credential.write(folder)
        issued.append(Efirma(credential.rfc, cer, key, password))
    return issued


def add_taxpayers(
    store: FleetStore,
    efirmas: list[Efirma],
    start: date,
    end: date,
    directions: str = "emitidos,recibidos",
    kinds: str = "Metadata,CFDI",
) -> None:
    now = datetime.now(timezone.utc)
    for efirma in efirmas:
        store.add_taxpayer(
            now,
            rfc=efirma.rfc,
            service="cfdi",
            certificate=str(efirma.certificate),
            private_key=str(efirma.private_key),
            password_env=None,
            password_file=str(efirma.password_file),
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            since_days=None,
            directions=directions,
            kinds=kinds,
        )


def ledger_of(state_dir: Path) -> tuple[list[tuple[str, str, int, int]], dict[str, int]]:
    """The fake SAT's ledger on disk: (rfc, parameters, code, count) and downloads per package."""
    path = state_dir / "packages" / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        submissions = [
            (str(r), str(p), int(c), int(n))
            for r, p, c, n in db.execute("SELECT rfc, parameters, code, count FROM submissions")
        ]
        downloads = {
            str(key): int(json.loads(data).get("downloads", 0))
            for key, data in db.execute("SELECT id_paquete, data FROM packages")
        }
    return submissions, downloads


def assert_fleet_done(
    store: FleetStore, out: Path, state_dir: Path, rfcs: list[str], exhausted: float = 0.0
) -> None:
    """Every period finished or empty, each file matches its SHA-256, SAT's ledger is clean.

    ``exhausted``: the share of packages allowed to have failed because both of their downloads
    met a fault (SAT serves a package twice only; with random faults, some lose both).
    """
    for rfc in rfcs:
        statuses = Counter(p.status for p in store.periods(rfc))
        assert set(statuses) <= {"finished", "empty", "split"}, (rfc, statuses)
        assert statuses["finished"] + statuses["empty"] > 0, (rfc, statuses)
    packages = store.packages()
    assert packages, "no package at all"
    lost = [p for p in packages if p.status == "failed" and p.downloads_used == 2]
    assert len(lost) <= exhausted * len(packages), lost
    for package in packages:
        if package in lost:
            continue
        assert package.status == "downloaded", package
        assert file_sha256(out / package.path) == package.sha256, package.path
    submissions, downloads = ledger_of(state_dir)
    per_parameter_set = Counter(
        (rfc, parameters) for rfc, parameters, _, n in submissions for _ in range(n)
    )
    assert max(per_parameter_set.values()) == 1, per_parameter_set.most_common(3)
    codes = Counter(code for _, _, code, n in submissions for _ in range(n))
    assert not {5002, 5005} & set(codes), codes
    assert set(rfcs) <= {rfc for rfc, _, _, _ in submissions}
    assert max(downloads.values()) <= 2, downloads
    assert sum(downloads.values()) >= len(packages)


@dataclass(frozen=True)
class ServedSat:
    """A fake SAT in its own process (its own CPU, as SAT is to a fleet)."""

    base_url: str
    state_dir: Path
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, Any]:
        answer = requests.get(f"{self.base_url}/_admin/stats", timeout=30)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats


@contextmanager
def fake_sat_process(state_dir: Path, *options: str) -> Iterator[ServedSat]:
    """``sat-zeep fake-sat serve --admin`` on ``state_dir`` (trusting the test CA) until the end."""
    trust_fixture_ca(state_dir)
    command = [
        sys.executable,
        "-m",
        "sat_zeep.cli",
        "fake-sat",
        "serve",
        "--port",
        "0",
        "--state-dir",
        str(state_dir),
        "--admin",
        "--threads",
        "32",
        *options,
    ]
    log = state_dir / "stderr.txt"
    with (
        log.open("w") as errors,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True) as process,
    ):
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("listening on http://"), log.read_text()
        try:
            yield ServedSat(first.removeprefix("listening on "), state_dir, process)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
