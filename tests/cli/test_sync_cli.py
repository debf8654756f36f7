"""``sat-zeep sync`` (one taxpayer or a TOML list of them) and ``sat-zeep demo``."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from ..conftest import MakeSat
from .conftest import END, START, Runner

FAST = ["--poll", "0s", "--max-wait", "60s"]


def test_sync_then_resume(run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path) -> None:
    out = tmp_path / "facturas"
    result = run("sync", *sat_args, *FAST, "--start", START, "--end", END, "--out", out)
    assert result.code == 0, result.err
    assert "requests: 4 finished" in result.out
    assert "packages: 4 downloaded" in result.out
    assert "next: Everything is downloaded" in result.out
    assert len(list(out.glob("cfdi/*/*/*/*.zip"))) == 4
    again = run("sync", *sat_args, *FAST, "--start", START, "--end", END, "--out", out, "--json")
    assert again.code == 0
    (summary,) = [r for r in again.records() if r["event"] == "summary"]
    assert summary["complete"] is True
    assert summary["packages"] == {"downloaded": 4}
    assert sat.stats()["calls"]["Descargar"] == 4  # nothing downloaded twice


def test_sync_waiting_for_sat_exits_11(
    run: Runner, make_sat: MakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    slow = make_sat()
    slow.ledger.config = replace(slow.ledger.config, verifications_until_ready=10_000)
    args = [*sat_args[:-1], slow.base_url]
    result = run(
        "sync", *args, "--poll", "0s", "--max-wait", "0.3s", "--start", START, "--end", END,
        "--out", tmp_path / "o", "--kind", "metadata", "--direction", "emitidos",
    )  # fmt: skip
    assert result.code == 11, result.err
    assert "still being prepared by SAT; run the same command later" in result.out


def test_many_taxpayers_from_a_toml_file(
    run: Runner, sat: FakeSat, fixture_dir: Path, tmp_path: Path, password: str
) -> None:
    firma = tmp_path / "efirmas" / "uno"
    firma.mkdir(parents=True)
    shutil.copy(fixture_dir / "efirma" / "fiel.cer", firma / "fiel.cer")
    shutil.copy(fixture_dir / "efirma" / "fiel.key", firma / "fiel.key")
    other = sat.issue_fiel("OTR010101AB1")
    other.write(tmp_path / "efirmas" / "otro")
    config = tmp_path / "despacho.toml"
    config.write_text(
        f"""
[defaults]
start = {START}
end = {END}
out = "salida"

[[taxpayer]]
name = "uno"
efirma = "efirmas/uno"

[[taxpayer]]
name = "otro"
cer = "efirmas/otro/OTR010101AB1.cer"
key = "efirmas/otro/OTR010101AB1.key"
password_file = "efirmas/otro/OTR010101AB1-password.txt"
""",
        encoding="utf-8",
    )
    result = run("sync", "--config", config, "--base-url", sat.base_url, *FAST)
    assert result.code == 0, result.err
    assert "[uno] packages: 4 downloaded" in result.out
    assert "[otro] packages: 4 downloaded" in result.out
    assert (tmp_path / "salida" / "uno" / ".sat-zeep-sync.sqlite3").exists()
    assert (tmp_path / "salida" / "otro" / ".sat-zeep-sync.sqlite3").exists()


def test_a_config_holding_a_password_is_refused(run: Runner, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[taxpayer]]\nname = "x"\npassword = "secreto"\n', encoding="utf-8")
    result = run("sync", "--config", config)
    assert result.code == 2, result.err
    assert "must not hold passwords" in result.err
    assert "secreto" not in result.err + result.out


def test_the_password_never_leaves_its_place(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path, password: str
) -> None:
    out = tmp_path / "facturas"
    result = run(
        "sync", *sat_args, *FAST, "--start", START, "--end", END, "--out", out, "--verbose",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert password not in " ".join(sat_args)
    assert password not in result.out + result.err
    for path in out.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    wrong = run("auth", *sat_args[:-2], "--base-url", sat.base_url, "--password-file", __file__)
    assert wrong.code == 3
    assert password not in wrong.err


def test_demo(run: Runner, tmp_path: Path) -> None:
    result = run("demo", "--dir", tmp_path)
    assert result.code == 0, result.err
    csv = sorted(tmp_path.glob("run-*/csv/*.csv"))
    assert [path.name for path in csv] == [
        "emitidos-cfdi.csv",
        "emitidos-metadata.csv",
        "recibidos-cfdi.csv",
        "recibidos-metadata.csv",
    ]
    assert "What the sync downloaded" in result.out
    assert all(path.stat().st_size > 100 for path in csv)


def test_sync_with_a_failed_request_exits_12_not_11(
    run: Runner, make_sat: MakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    """SAT refuses every CFDI request of the period (5002): 12, something failed, not 'wait'."""
    refusing = make_sat(config=LedgerConfig(cfdi_requests_per_period=0))
    args = [*sat_args[:-1], refusing.base_url]
    result = run(
        "sync", *args, *FAST, "--start", START, "--end", END, "--out", tmp_path / "o",
        "--kind", "cfdi", "--direction", "emitidos",
    )  # fmt: skip
    assert result.code == 12, result.out + result.err
    assert "failed: " in result.out
    assert refusing.stats()["requests_accepted"] == 0


def test_sync_indexes_what_it_downloaded_unless_told_not_to(
    run: Runner, sat: FakeSat, sat_args: list[str], tmp_path: Path
) -> None:
    from sat_zeep.catalog import Catalog

    out = tmp_path / "facturas"
    result = run("sync", *sat_args, *FAST, "--start", START, "--end", END, "--out", out)
    assert result.code == 0, result.err
    assert "catalog: 4 packages indexed" in result.out
    with Catalog.for_folder(out) as catalog:
        again = catalog.update(out)
    assert again.indexed == [] and len(again.unchanged) == 4, "sync had indexed all four"

    bare = tmp_path / "bare"
    result = run("sync", *sat_args, *FAST, "--start", START, "--end", END, "--out", bare,
                 "--no-catalog")  # fmt: skip
    assert result.code == 0, result.err
    assert "catalog:" not in result.out
    assert not (bare / ".sat-zeep-catalog.sqlite3").exists()
