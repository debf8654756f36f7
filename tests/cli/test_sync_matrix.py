"""``sat-zeep sync``: each way a run ends has its code, a true ``next:``, and a rerun doing it.

One test per row: network down (7), SAT failing (6), Autentica 503 (6), 5002 and 5005 (a wider
period), 5003 (halves), 5004 (empty), a package exhausted (asked again) and exhausted for good
(12), an unwritable packages folder (10), ``--min-free`` (10), a full disk (10). The local rows
(another RFC's state 13, folder in use 14, damaged state 15, Ctrl-C 130, read-only ``--out``
10) are in ``test_sync_exits.py``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import pytest

from sat_zeep.client.codes import EstadoComprobante, TipoSolicitud
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync.store import FILE_NAME
from sat_zeep.testing.fake_sat.faults import FaultPlan
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from ..sync.conftest import documents_filed
from .conftest import END, START, Run, Runner

FAST = ["--poll", "0s", "--max-wait", "60s", "--retry-wait", "0s"]
ROOT = Path(__file__).resolve().parents[2]
EFIRMA = ROOT / "tests" / "fixtures" / "efirma"


def _sync(base_url: str, out: Path, *extra: str | Path, kind: str = "metadata") -> list[str | Path]:
    efirma: list[str | Path] = ["--cer", EFIRMA / "fiel.cer", "--key", EFIRMA / "fiel.key"]
    period: list[str | Path] = ["--start", START, "--end", END, "--out", out]
    small: list[str | Path] = ["--kind", kind, "--direction", "emitidos"]
    return ["sync", *efirma, "--base-url", base_url, *FAST, *small, *period, *extra]


def _next(result: Run) -> str:
    (line,) = [line for line in result.out.splitlines() if line.startswith("next: ")]
    return line


def _requests(out: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(out / FILE_NAME) as db:
        return list(db.execute("SELECT status, variant FROM requests ORDER BY key"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _quiet(sat: FakeSat) -> None:
    """No more injected faults."""
    sat.app.faults = FaultPlan()


def test_network_down_exits_7_and_leaves_nothing_unconfirmed(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    down = run(*_sync(f"http://127.0.0.1:{_closed_port()}", out))
    assert down.code == 7, (down.err, down.out)
    assert "SAT could not be reached" in _next(down) and "nothing was sent" in _next(down)
    assert _requests(out) == [("planned", 0)], "a request that never left is not unconfirmed"
    again = run(*_sync(sat.base_url, out))
    assert again.code == 0, again.err
    assert _requests(out) == [("finished", 0)]
    assert sat.stats()["max_sends_of_a_parameter_set"] == 1


def test_autentica_503_exits_6_and_spends_nothing(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sat.faults.add("Autentica", "http503", times=1000)
    failing = run(*_sync(sat.base_url, out))
    assert failing.code == 6, (failing.err, failing.out)
    assert "SAT answered every call with an error" in _next(failing)
    assert set(sat.stats()["calls"]) == {"Autentica"}
    assert _requests(out) == [("planned", 0)]
    _quiet(sat)
    again = run(*_sync(sat.base_url, out))
    assert again.code == 0, again.err
    assert "next: Everything is downloaded" in again.out


def test_sat_faults_on_solicitud_exit_6_then_a_wider_period_is_asked(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sat.faults.add("SolicitaDescargaEmitidos", "http503", times=3)
    failing = run(*_sync(sat.base_url, out))
    assert failing.code == 6, (failing.err, failing.out)
    assert "will be retried" in _next(failing) and "HTTP 503" in _next(failing)
    ((status, _),) = _requests(out)
    assert status == "unconfirmed"  # the request reached SAT: it may hold it
    again = run(*_sync(sat.base_url, out))
    assert again.code == 0, again.err
    assert sat.stats()["requests_accepted"] == 1


def test_a_transient_download_fault_is_retried_within_the_run(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sat.faults.add("Descargar", "reset")
    result = run(*_sync(sat.base_url, out))
    assert result.code == 0, result.err
    assert "next: Everything is downloaded" in result.out
    assert max(sat.stats()["package_downloads"].values()) == 2


def _preseed(sat: FakeSat, fiel: Fiel, *, finish: bool) -> None:
    """Send the sync's own CFDI request for the period first (and let SAT finish it)."""
    first, last = (datetime.fromisoformat(day) for day in (START, END))
    start, end = datetime.combine(first, time.min), datetime.combine(last, time(23, 59, 59))
    with sat.client(fiel) as client:
        accepted = client.solicita_descarga_emitidos(
            start, end, TipoSolicitud.CFDI, estado_comprobante=EstadoComprobante.TODOS
        ).raise_for_status()
        while finish and client.verifica_solicitud_descarga(accepted.id_solicitud or "").is_pending:
            pass


@pytest.mark.parametrize(("code", "per_period"), [("5005", 2), ("5002", 1)])
def test_5005_and_5002_ask_for_a_period_one_second_wider(
    run: Runner,
    make_sat: MakeSat,
    fiel: Fiel,
    password: str,
    tmp_path: Path,
    code: str,
    per_period: int,
) -> None:
    """5005: SAT holds an active identical request; 5002: the period's CFDI requests are used."""
    sat = make_sat(config=LedgerConfig(cfdi_requests_per_period=per_period))
    _preseed(sat, fiel, finish=code == "5002")
    out = tmp_path / "out"
    result = run(*_sync(sat.base_url, out, kind="cfdi"))
    assert result.code == 0, (result.err, result.out)
    assert f"SAT answered {code}" in result.err
    assert _requests(out) == [("finished", 1)]
    assert "next: Everything is downloaded" in result.out


def test_5003_halves_the_period_and_completes(
    run: Runner, make_sat: MakeSat, password: str, tmp_path: Path
) -> None:
    sat = make_sat(config=LedgerConfig(max_metadata_per_request=300))
    result = run(*_sync(sat.base_url, tmp_path / "out"))
    assert result.code == 0, result.err
    assert "split" in result.out and "next: Everything is downloaded" in result.out


def test_5004_an_empty_period_is_complete(
    run: Runner, make_sat: MakeSat, password: str, tmp_path: Path
) -> None:
    sat = make_sat(documents_per_day=0)
    result = run(*_sync(sat.base_url, tmp_path / "out"))
    assert result.code == 0, result.err
    assert "next: Everything is downloaded" in result.out


def test_an_exhausted_package_is_asked_for_again_and_reported(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run(*_sync(sat.base_url, tmp_path / "reference"))
    assert first.code == 0, first.err
    sat.faults.add("Descargar", "corrupt", times=2)
    result = run(*_sync(sat.base_url, out))
    assert result.code == 0, result.err
    assert "asked again: emitidos metadata" in result.out
    assert "both of the package's downloads were used" in result.out
    assert documents_filed(out) == documents_filed(tmp_path / "reference")
    assert len(list(out.glob("*/*/*/*/*.zip"))) == 1
    assert max(sat.stats()["package_downloads"].values()) == 2


def test_a_package_failing_for_good_exits_12_and_the_rerun_sends_nothing(
    run: Runner, make_sat: MakeSat, password: str, tmp_path: Path
) -> None:
    sat = make_sat(faults=FaultPlan(rate=1.0, kinds=("corrupt",), operations=("Descargar",)))
    out = tmp_path / "out"
    result = run(*_sync(sat.base_url, out))
    assert result.code == 12, result.err
    assert "failed for good" in _next(result) and "will not retry" in _next(result)
    calls = dict(sat.stats()["calls"])
    assert max(sat.stats()["package_downloads"].values()) == 2
    again = run(*_sync(sat.base_url, out))
    assert again.code == 12 and _next(again) == _next(result)
    assert sat.stats()["calls"].get("Descargar") == calls["Descargar"]


@pytest.fixture
def immutable_packages(tmp_path: Path) -> Iterator[Path]:
    """``out/cfdi`` that no one may write in (root too: the immutable attribute)."""
    folder = tmp_path / "out" / "cfdi"
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    root = os.geteuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    yield folder
    if root:
        subprocess.run(["chattr", "-i", str(folder)], check=False)
    folder.chmod(0o755)


def test_an_unwritable_packages_folder_exits_10_before_any_download(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path, immutable_packages: Path
) -> None:
    out = tmp_path / "out"
    blocked = run(*_sync(sat.base_url, out))
    assert blocked.code == 10, (blocked.err, blocked.out)
    assert "Downloads stopped" in _next(blocked) and "cannot be written" in _next(blocked)
    assert "no download was used" in _next(blocked)
    assert "Descargar" not in sat.stats()["calls"]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(immutable_packages)], check=True)
    immutable_packages.chmod(0o755)
    again = run(*_sync(sat.base_url, out))
    assert again.code == 0, again.err
    assert sat.stats()["calls"]["Descargar"] == 1


def test_min_free_refuses_before_asking_sat(
    run: Runner, sat: FakeSat, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    refused = run(*_sync(sat.base_url, out, "--min-free", "1000T"))
    assert refused.code == 10, refused.err
    (line,) = refused.err.splitlines()
    assert "free in" in line and "(--min-free 1048576000.0 MiB)" in line
    assert "nothing was sent to SAT" in line
    assert sat.stats()["calls"] == {}
    assert run(*_sync(sat.base_url, out)).code == 0


def test_a_full_packages_disk_exits_10_and_the_next_run_recovers(
    sat: FakeSat, tmp_path: Path
) -> None:
    """A small tmpfs (a mount namespace of its own), nearly filled: the sync spends nothing."""
    mount = tmp_path / "small"
    mount.mkdir()
    command = [
        sys.executable, "-m", "sat_zeep.cli", *map(str, _sync(sat.base_url, mount / "out")),
        "--password-file", str(EFIRMA / "password.txt"), "--min-free", "2M",
    ]  # fmt: skip
    script = (
        'mount -t tmpfs -o size=4m tmpfs "$1" && head -c 3M /dev/zero > "$1/filler" && '
        'shift && "$@"; echo "first=$?"; rm "$0/filler"; "$@"; echo "second=$?"'
    )
    namespace = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script]
    done = subprocess.run(
        [*namespace, str(mount), str(mount), *command],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "first=10" in done.stdout, (done.stdout, done.stderr)
    assert "error: only" in done.stderr and "nothing was sent to SAT" in done.stderr
    assert "second=0" in done.stdout, (done.stdout, done.stderr)
    assert sat.stats()["calls"]["Descargar"] == 1
