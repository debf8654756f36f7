"""``sat-zeep fake-sat serve`` and ``issue-fiel``, run as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from cryptography import x509

from sat_zeep.cli import main
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import SatError
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.testing.certificates import verify_issued_by
from sat_zeep.testing.fake_sat.ledger import LedgerConfig

CLI = [sys.executable, "-m", "sat_zeep.cli"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    state = tmp_path / "state"
    command = [*CLI, "fake-sat", "serve", "--port", "0", "--state-dir", str(state), "--admin"]
    with (
        (tmp_path / "stderr.txt").open("w") as errors,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True) as process,
    ):
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        try:
            assert first.startswith("listening on http://127.0.0.1:"), (
                tmp_path / "stderr.txt"
            ).read_text()
            yield first.removeprefix("listening on "), state
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0


def test_serve_prints_its_url_first_and_keeps_the_ca(served: tuple[str, Path]) -> None:
    url, state = served
    assert (state / "ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    stats = requests.get(f"{url}/_admin/stats", timeout=10).json()
    assert stats["tokens_issued"] == 0


def test_issue_fiel_then_a_full_call(served: tuple[str, Path], tmp_path: Path) -> None:
    url, state = served
    out = tmp_path / "efirma"
    result = subprocess.run(
        [
            *CLI,
            "fake-sat",
            "issue-fiel",
            "--state-dir",
            str(state),
            "--rfc",
            "aaa010101aaa",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    written = sorted(path.name for path in out.iterdir())
    assert written == ["AAA010101AAA-password.txt", "AAA010101AAA.cer", "AAA010101AAA.key"]
    names = ("AAA010101AAA.cer", "AAA010101AAA.key", "AAA010101AAA-password.txt")
    assert result.stdout.split() == [str(out / name) for name in names]
    password = (out / "AAA010101AAA-password.txt").read_text().strip()
    assert password not in result.stdout + result.stderr
    assert (out / "AAA010101AAA-password.txt").stat().st_mode & 0o777 == 0o600
    fiel = Fiel.from_files(out / "AAA010101AAA.cer", out / "AAA010101AAA.key", password)
    ca = x509.load_pem_x509_certificate((state / "ca.pem").read_bytes())
    assert verify_issued_by(fiel.certificate_der, ca)
    with SatClient(fiel, Endpoints.from_base_url(url)) as client:
        assert client.autentica().value
    stats = requests.get(f"{url}/_admin/stats", timeout=10).json()
    assert stats["tokens_issued"] == 1


def test_admin_clock_moves_the_servers_time(served: tuple[str, Path]) -> None:
    url, _ = served
    before = requests.get(f"{url}/_admin/stats", timeout=10).json()["now"]
    moved = requests.post(
        f"{url}/_admin/clock", data=json.dumps({"advance_seconds": 3600}), timeout=10
    )
    assert moved.status_code == 200
    assert (
        datetime.fromisoformat(moved.json()["now"]) - datetime.fromisoformat(before)
    ).total_seconds() >= 3600
    bad = requests.post(f"{url}/_admin/clock", data=b"[1]", timeout=10)
    assert bad.status_code == 400


def test_issue_fiel_csd_and_expired(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    assert (
        main(
            [
                "fake-sat",
                "issue-fiel",
                "--state-dir",
                str(state),
                "--rfc",
                "BBB010101BB1",
                "--out",
                str(out),
                "--csd",
                "--expired",
            ]
        )
        == 0
    )
    password = (out / "BBB010101BB1-password.txt").read_text().strip()
    fiel = Fiel.from_files(out / "BBB010101BB1.cer", out / "BBB010101BB1.key", password)
    assert not fiel.is_fiel()
    assert fiel.not_valid_after < datetime.now(timezone.utc)
    capsys.readouterr()


def test_bad_arguments_give_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "fake-sat",
            "issue-fiel",
            "--state-dir",
            str(tmp_path),
            "--rfc",
            "nope",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "'NOPE' is not an RFC" in err
    issue = ["fake-sat", "issue-fiel", "--state-dir", str(tmp_path), "--out", str(tmp_path)]
    code = main([*issue, "--rfc", "AXT940727FPZ"])
    assert code == 2
    err = capsys.readouterr().err
    assert "check digit" in err and "characters" not in err
    assert "Traceback" not in err
    code = main(["fake-sat", "serve", "--state-dir", str(tmp_path), "--host", "0.0.0.0", "--admin"])
    assert code == 2
    assert "loopback" in capsys.readouterr().err


def test_the_installed_command_exists() -> None:
    command = shutil.which(
        "sat-zeep", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    )
    assert command is not None
    result = subprocess.run(
        [command, "fake-sat", "--help"], capture_output=True, text=True, check=True
    )
    assert "serve" in result.stdout and "issue-fiel" in result.stdout


def test_serve_passes_package_sizing_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--padding, --max-per-request, --max-per-package and --threads reach FakeSat."""
    seen: dict[str, object] = {}

    class Recorder:
        def __init__(self, state_dir: Path, **options: object) -> None:
            seen.update(options)
            raise SatError("recorded")  # stop before serving

    # The module, not the ``fake_sat`` command that ``sat_zeep.cli`` exports under that name.
    monkeypatch.setattr(sys.modules["sat_zeep.cli.fake_sat"], "FakeSat", Recorder)
    state = str(tmp_path / "state")
    options = ["--padding", "4096", "--max-per-request", "7", "--max-per-package", "3"]
    code = main(["fake-sat", "serve", "--state-dir", state, *options, "--threads", "2"])
    assert code == 1
    assert seen["padding"] == 4096 and seen["threads"] == 2
    config = seen["config"]
    assert isinstance(config, LedgerConfig)
    assert (config.max_xml_per_request, config.max_xml_per_package) == (7, 3)


def test_serve_passes_seconds_until_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    class Recorder:
        def __init__(self, state_dir: Path, **options: object) -> None:
            seen.update(options)
            raise SatError("recorded")

    monkeypatch.setattr(sys.modules["sat_zeep.cli.fake_sat"], "FakeSat", Recorder)
    state = str(tmp_path / "state")
    assert main(["fake-sat", "serve", "--state-dir", state, "--seconds-until-ready", "20"]) == 1
    config = seen["config"]
    assert isinstance(config, LedgerConfig) and config.seconds_until_ready == 20.0
    assert main(["fake-sat", "serve", "--state-dir", state, "--seconds-until-ready", "-1"]) == 2
