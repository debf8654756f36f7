"""auth → request → verify → download → read, as a user runs them."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest

from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from .conftest import END, START, Runner


def _verify_until_finished(run: Runner, common: list[str], id_solicitud: str) -> dict[str, object]:
    for _ in range(10):
        result = run("verify", id_solicitud, *common, "--json")
        assert result.code == 0, result.err
        (state,) = result.records()
        if state["finished"]:
            return state
        assert state["pending"]
    raise AssertionError("the request never finished")


def test_the_whole_flow_with_one_token(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path, password: str
) -> None:
    token_file = tmp_path / "token.json"
    common = [*sat_args, "--token-file", str(token_file)]

    authenticated = run("auth", *common, "--json")
    assert authenticated.code == 0, authenticated.err
    (auth,) = authenticated.records()
    assert auth["rfc"] == "SZP200101AB1" and auth["expires"] > auth["created"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = json.loads(token_file.read_text())["value"]
    assert token not in authenticated.out + authenticated.err

    requested = run(
        "request", "emitidos", "--start", START, "--end", END, "--type", "metadata",
        "--estado", "todos", *common, "--json",
    )  # fmt: skip
    assert requested.code == 0, requested.err
    (accepted,) = requested.records()
    assert accepted["cod_estatus"] == 5000
    state = _verify_until_finished(run, common, str(accepted["id_solicitud"]))
    packages = state["ids_paquetes"]
    assert isinstance(packages, list) and packages
    text = run("verify", str(accepted["id_solicitud"]), *common).out
    noun = "package" if len(packages) == 1 else "packages"  # never "1 packages"
    assert f", {len(packages)} {noun}\n" in text

    out = tmp_path / "packages"
    downloaded = run("download", *packages, "--out", str(out), *common, "--json")
    assert downloaded.code == 0, downloaded.err
    records = downloaded.records()
    assert [record["id_paquete"] for record in records] == packages
    for record in records:
        path = Path(record["path"])
        assert path == out / f"{record['id_paquete']}.zip"
        assert record["size"] == path.stat().st_size
        assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    again = run("download", packages[0], "--out", str(out), *common)
    assert again.code == 0 and "already there" in again.out
    assert sum(sat.stats()["downloads"].values()) == len(packages)

    table = tmp_path / "metadata.csv"
    read = run("read", *(out / f"{p}.zip" for p in packages), "--out", table, "--json")
    assert read.code == 0, read.err
    (summary,) = read.records()
    assert summary["rows"] == state["numero_cfdis"] and summary["kind"] == "metadata"
    with table.open(encoding="utf-8", newline="") as stream:
        assert len(list(csv.DictReader(stream))) == state["numero_cfdis"]

    assert sat.stats()["tokens_issued"] == 1
    everything = "".join(
        result.out + result.err for result in (authenticated, requested, downloaded, again, read)
    )
    assert password not in everything and token not in everything


def test_xml_request_read_as_jsonl(run: Runner, sat_args: list[str], tmp_path: Path) -> None:
    requested = run(
        "request", "recibidos", "--start", START, "--end", END, "--type", "cfdi", *sat_args
    )
    assert requested.code == 0, requested.err
    id_solicitud = requested.out.split()[0]
    state = _verify_until_finished(run, sat_args, id_solicitud)
    out = tmp_path / "xml"
    packages = state["ids_paquetes"]
    assert isinstance(packages, list)
    assert run("download", *packages, "--out", out, *sat_args).code == 0
    target = tmp_path / "cfdi.jsonl"
    read = run("read", *sorted(out.glob("*.zip")), "--format", "jsonl", "--out", target)
    assert read.code == 0, read.err
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == state["numero_cfdis"] and all("uuid" in row for row in rows)


def test_text_output_and_folio(run: Runner, sat_args: list[str]) -> None:
    authenticated = run("auth", *sat_args)
    assert authenticated.code == 0
    assert authenticated.out.startswith("authenticated SZP200101AB1 (cfdi); token valid ")
    folio = run("request", "folio", "0e4f2b2c-5b1d-4a6e-9f3a-2d1c0b9a8e7f", *sat_args)
    assert folio.code == 0, folio.err
    assert folio.out.endswith(
        f"(5000 Solicitud Aceptada); check it with: sat-zeep verify {folio.out.split()[0]}\n"
    )
    assert len(folio.out.splitlines()) == 1


def test_efirma_folder_and_password_file(
    run: Runner, sat: FakeSat, fixture_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "efirma"
    folder.mkdir()
    for name in ("fiel.cer", "fiel.key", "password.txt"):
        shutil.copy(fixture_dir / "efirma" / name, folder / name)
    common = ["--efirma", folder, "--password-file", folder / "password.txt"]
    result = run("auth", *common, "--base-url", sat.base_url, "--password-env", "NOT_SET_X")
    assert result.code == 0, result.err
    shutil.copy(fixture_dir / "efirma" / "csd.cer", folder / "csd.cer")
    ambiguous = run("auth", *common, "--base-url", sat.base_url)
    assert ambiguous.code == 2 and "exactly one .cer" in ambiguous.err


def test_https_with_ca_bundle_ignores_requests_ca_bundle(
    run: Runner,
    make_sat: MakeSat,
    fixture_dir: Path,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sat = make_sat(tls=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fixture_dir / "efirma" / "fiel.cer"))
    efirma = fixture_dir / "efirma"
    common = [
        "--cer",
        efirma / "fiel.cer",
        "--key",
        efirma / "fiel.key",
        "--base-url",
        sat.base_url,
    ]
    result = run("auth", *common, "--ca-bundle", sat.ca_pem)
    assert result.code == 0, result.err
    untrusted = run("auth", *common)
    assert untrusted.code == 7 and len(untrusted.err.splitlines()) == 1


def test_retenciones_service(run: Runner, sat_args: list[str]) -> None:
    result = run("auth", *sat_args, "--service", "retenciones", "--json")
    assert result.code == 0, result.err
    assert result.records()[0]["service"] == "retenciones"
