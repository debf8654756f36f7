"""Each family of failure: one line on stderr, its own exit code, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sat_zeep.cli import EXIT_CODES
from sat_zeep.cli.exit_codes import describe, exit_code_of
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import (
    CredentialError,
    PackageTransferError,
    RequestValidationError,
    SatError,
    SatResponseError,
    SatSoapFault,
    SatTimeout,
    status_error,
)
from sat_zeep.packages.errors import CorruptPackageError
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from .conftest import END, PASSWORD_ENV, START, Run, Runner


def _one_line(result: Run, code: int) -> str:
    assert result.code == code, (result.code, result.err)
    lines = [line for line in result.err.splitlines() if line]  # click echoes "\n" on ^C
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def _emitidos(*extra: str) -> list[str]:
    return ["request", "emitidos", "--start", START, "--end", END, "--type", "metadata", *extra]


def test_exit_codes_are_distinct_and_documented() -> None:
    codes = [entry.code for entry in EXIT_CODES]
    assert len(codes) == len(set(codes))
    import sat_zeep.cli

    doc = sat_zeep.cli.__doc__ or ""
    for entry in EXIT_CODES:
        assert f"{entry.code} {entry.family}" in " ".join(doc.split())


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CredentialError("x"), 3),
        (RequestValidationError("Op", ["a", "b"]), 4),
        (status_error(5004, "No se encontró"), 5),
        (SatSoapFault("a:InvalidSecurity", "no", status_code=500), 6),
        (SatTimeout("slow"), 7),
        (PackageTransferError("cut", id_paquete="X"), 8),
        (CorruptPackageError("bad zip"), 9),
        (FileNotFoundError(2, "No such file or directory", "/x"), 10),
        (SatResponseError("odd"), 1),
    ],
)
def test_every_family_maps_to_its_code(error: BaseException, code: int) -> None:
    assert exit_code_of(error) == code
    assert "\n" not in describe(error)


def test_usage_errors(run: Runner, sat_args: list[str]) -> None:
    assert "--cer" in _one_line(run("auth", "--base-url", "http://127.0.0.1:1"), 2)
    assert "No such option" in _one_line(run("auth", *sat_args, "--password", "secret"), 2)
    assert _one_line(run(*_emitidos("--start", "2026-13-01"), *sat_args), 2)


def test_wrong_password_names_its_source(
    run: Runner, sat_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    line = _one_line(run("auth", *sat_args), 3)
    assert line.startswith("error: the password does not open the private key")
    assert PASSWORD_ENV in line and "not-the-password" not in line


def test_missing_password(
    run: Runner, sat_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    assert "no e.firma password" in _one_line(run("auth", *sat_args), 3)


def test_csd_is_refused(run: Runner, sat: FakeSat, fixture_dir: Path, password: str) -> None:
    efirma = fixture_dir / "efirma"
    csd = ["--cer", efirma / "csd.cer", "--key", efirma / "csd.key", "--base-url", sat.base_url]
    assert "CSD" in _one_line(run("auth", *csd), 3)


def test_validation_error(run: Runner, sat: FakeSat, sat_args: list[str]) -> None:
    line = _one_line(run(*_emitidos("--receptor", "NOT-AN-RFC"), *sat_args), 4)
    assert "nothing was sent to SAT" in line
    assert sat.stats()["tokens_issued"] == 0


@pytest.mark.parametrize(
    ("service", "complemento", "advice"),
    [
        ("retenciones", "nomina12", "--service cfdi"),
        ("cfdi", "dividendos", "--service retenciones"),
    ],
)
def test_validation_advice_is_for_the_command_line(
    run: Runner, sat: FakeSat, sat_args: list[str], service: str, complemento: str, advice: str
) -> None:
    arguments = _emitidos("--complemento", complemento, "--service", service)
    line = _one_line(run(*arguments, *sat_args), 4)
    assert advice in line
    assert "Endpoints" not in line and "ServiceType" not in line
    unknown = _one_line(run(*_emitidos("--complemento", "zzz", "--service", service), *sat_args), 4)
    assert "--complemento" in unknown and "sat_zeep." not in unknown
    assert sat.stats()["tokens_issued"] == 0


def test_sat_status_error(run: Runner, sat_args: list[str]) -> None:
    line = _one_line(run("verify", "0e4f2b2c-5b1d-4a6e-9f3a-2d1c0b9a8e7f", *sat_args), 5)
    assert "SAT answered" in line


def test_http_error(run: Runner, sat: FakeSat, sat_args: list[str]) -> None:
    sat.faults.add("Autentica", "http503")
    assert "503" in _one_line(run("auth", *sat_args), 6)


def test_transport_error(run: Runner, fixture_dir: Path, password: str) -> None:
    efirma = fixture_dir / "efirma"
    closed = ["--cer", efirma / "fiel.cer", "--key", efirma / "fiel.key"]
    line = _one_line(run("auth", *closed, "--base-url", "http://127.0.0.1:1"), 7)
    assert "could not reach SAT" in line


def test_untrusted_https_certificate_points_at_ca_bundle(
    run: Runner, make_sat: MakeSat, fixture_dir: Path, password: str
) -> None:
    tls = make_sat(tls=True)
    efirma = fixture_dir / "efirma"
    common = [
        "--cer",
        efirma / "fiel.cer",
        "--key",
        efirma / "fiel.key",
        "--base-url",
        tls.base_url,
    ]
    line = _one_line(run("auth", *common), 7)
    assert "certificate" in line and "--ca-bundle" in line
    assert run("auth", *common, "--ca-bundle", tls.ca_pem).code == 0


def test_package_transfer_error(
    run: Runner, sat: FakeSat, sat_args: list[str], fiel_package: str, tmp_path: Path
) -> None:
    sat.faults.add("Descargar", "truncate")
    line = _one_line(run("download", fiel_package, "--out", tmp_path / "out", *sat_args), 8)
    assert fiel_package in line
    assert not (tmp_path / "out" / f"{fiel_package}.zip").exists()


def test_a_good_download_retires_the_damaged_copy(
    run: Runner, sat: FakeSat, sat_args: list[str], fiel_package: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sat.faults.add("Descargar", "truncate")
    _one_line(run("download", fiel_package, "--out", out, *sat_args), 8)
    assert (out / f"{fiel_package}.zip.damaged").exists()
    assert run("download", fiel_package, "--out", out, *sat_args).code == 0
    assert sorted(path.name for path in out.iterdir()) == [f"{fiel_package}.zip"]


def test_errors_are_json_with_json(
    run: Runner, sat: FakeSat, sat_args: list[str], fiel_package: str, tmp_path: Path
) -> None:
    """Scripts that asked for JSON get the error as JSON too, with the fields they need."""
    unknown = "0e4f2b2c-5b1d-4a6e-9f3a-2d1c0b9a8e7f"
    status = json.loads(_one_line(run("verify", unknown, *sat_args, "--json"), 5))
    assert status["exit_code"] == 5 and status["family"] == "SAT status"
    assert status["type"] == "NotFoundError" and status["code"] == 5004
    assert "SAT answered" in status["error"]

    sat.faults.add("Descargar", "truncate")
    out = tmp_path / "out"
    transfer = json.loads(
        _one_line(run("download", fiel_package, "--out", out, *sat_args, "--json"), 8)
    )
    assert transfer["id_paquete"] == fiel_package
    assert transfer["kept"] == str(out / f"{fiel_package}.zip.damaged")
    assert transfer["received"] > 0

    usage = json.loads(_one_line(run("verify", "--json"), 2))
    assert usage["family"] == "usage" and "--help" in usage["error"]
    # Only an option, not an argument after "--", asks for JSON.
    assert not _one_line(run("read", "--", "--json"), 2).startswith("{")


def test_package_read_error(run: Runner, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"not a zip")
    _one_line(run("read", bogus, "--out", tmp_path / "x.csv"), 9)


def test_local_file_error(run: Runner, sat_args: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_line(run("download", "X_01", "--out", blocker / "sub", *sat_args), 10)
    assert str(blocker) in line


def test_other_sat_error_and_interrupt(
    run: Runner, sat_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def odd(self: SatClient) -> None:
        raise SatError("something\nodd")

    monkeypatch.setattr(SatClient, "autentica", odd)
    assert _one_line(run("auth", *sat_args), 1) == "error: something odd"

    def interrupted(self: SatClient) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SatClient, "autentica", interrupted)
    assert _one_line(run("auth", *sat_args), 130) == "interrupted"


@pytest.fixture
def fiel_package(run: Runner, sat_args: list[str]) -> str:
    """The id of a package of a finished metadata request."""
    accepted = run(*_emitidos("--estado", "todos"), *sat_args, "--json").records()[0]
    for _ in range(10):
        (state,) = run("verify", accepted["id_solicitud"], *sat_args, "--json").records()
        if state["finished"]:
            return str(state["ids_paquetes"][0])
    raise AssertionError("the request never finished")


def test_the_readme_table_lists_every_exit_code() -> None:
    from sat_zeep.cli.sync import SYNC_EXIT_CODES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    codes = {entry.code for entry in EXIT_CODES} | {code for code, _ in SYNC_EXIT_CODES}
    for code in sorted(codes):
        assert f"\n| {code} | " in readme, code
