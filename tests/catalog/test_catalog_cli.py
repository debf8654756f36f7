"""``sat-zeep catalog``: update, report, show, xml, export, and a kill -9 during update."""

from __future__ import annotations

import csv
import importlib
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sat_zeep.catalog import Catalog
from sat_zeep.cli import main
from sat_zeep.packages import iter_cfdi
from sat_zeep.signing.fiel import Fiel

from ..conftest import MakeSat
from .conftest import CatalogTarget
from .test_catalog import sync

_VOLATILE = ("first_seen", "last_seen")


def rows(target: str) -> list[dict[str, object]]:
    with Catalog.open(target) as catalog:
        return [{k: v for k, v in r.items() if k not in _VOLATILE} for r in catalog.documents()]


@pytest.fixture
def synced(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert sync(make_sat(), fiel, out).complete
    return out


def test_update_report_show_xml_export(
    synced: Path,
    tmp_path: Path,
    catalog_target: CatalogTarget,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    db = catalog_target()
    assert main(["catalog", "update", "--out", str(synced), "--db", db]) == 0
    assert b"8 packages indexed" in capsysbinary.readouterr().out
    assert main(["catalog", "update", "--out", str(synced), "--db", db]) == 0
    assert b"0 packages indexed" in capsysbinary.readouterr().out

    assert main(["catalog", "report", "--db", db, "--format", "json"]) == 0
    report = json.loads(capsysbinary.readouterr().out)
    assert {m["direction"] for m in report["months"]} == {"emitidos", "recibidos"}
    assert main(["catalog", "report", "--db", db]) == 0
    table = capsysbinary.readouterr().out.decode()
    assert table.splitlines()[0].split()[:5] == ["rfc", "direction", "month", "metadata", "xml"]
    assert main(["catalog", "report", "--db", db, "--format", "csv"]) == 0
    parsed = list(csv.DictReader(capsysbinary.readouterr().out.decode().splitlines()))
    assert [int(r["in_metadata"]) for r in parsed] == [m["in_metadata"] for m in report["months"]]

    package = next(synced.glob("cfdi/recibidos/cfdi/*/*.zip"))
    document = next(iter_cfdi(package))
    assert main(["catalog", "xml", document.uuid.lower(), "--db", db]) == 0
    assert capsysbinary.readouterr().out == document.data
    assert main(["catalog", "show", document.uuid, "--db", db]) == 0
    shown = json.loads(capsysbinary.readouterr().out)
    assert shown["xml_path"] == str(package.resolve()) and shown["xml_entry"] == document.name
    assert shown["total_cents"] == int(document.summary.total * 100)

    for fmt in ("jsonl", "csv", "parquet"):
        target = tmp_path / f"catalog.{fmt}"
        assert main(["catalog", "export", "--format", fmt, "--to", str(target), "--db", db]) == 0
        assert f"{len(rows(db))} documents" in capsysbinary.readouterr().out.decode()
    pq = importlib.import_module("pyarrow.parquet")
    assert pq.read_table(tmp_path / "catalog.parquet").num_rows == len(rows(db))

    assert main(["catalog", "show", "00000000-0000-0000-0000-000000000000", "--db", db]) == 1
    assert b"holds no document" in capsysbinary.readouterr().err
    assert main(["catalog", "report"]) == 2


def test_a_package_that_fails_its_check_is_not_indexed(
    synced: Path, catalog_target: CatalogTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    db = catalog_target()
    package = next(synced.glob("cfdi/emitidos/metadata/*/*.zip"))
    package.write_bytes(package.read_bytes()[:-40])  # cut short
    assert main(["catalog", "update", "--out", str(synced), "--db", db]) == 9
    captured = capsys.readouterr()
    assert "7 packages indexed" in captured.out and package.name in captured.err
    month = package.parent.name[:7]  # 2026-09-01_2026-09-30
    with Catalog.open(db) as catalog:
        months = {(m["direction"], m["month"]): m for m in catalog.report().months}
    assert months["emitidos", month]["in_metadata"] == 0
    assert months["emitidos", month]["xml_without_metadata"] > 0
    assert months["recibidos", month]["in_metadata"] > 0


def test_kill_9_during_update_then_update_completes(
    synced: Path, catalog_target: CatalogTarget
) -> None:
    reference, db = catalog_target(), catalog_target()
    with Catalog.open(reference) as catalog:
        catalog.update(synced)
    command = [sys.executable, "-m", "sat_zeep.cli", "catalog", "update", "--out", str(synced)]
    env = {**os.environ, "SAT_ZEEP_CRASH_AT": "catalog-batch:3"}
    killed = subprocess.run([*command, "--db", db], env=env, capture_output=True, check=False)
    assert killed.returncode == -signal.SIGKILL
    with Catalog.open(db) as catalog:
        assert len(catalog.db.all("packages")) == 2  # the third package's rows rolled back
    done = subprocess.run([*command, "--db", db], capture_output=True, text=True, check=True)
    assert "6 packages indexed" in done.stdout and "2 already indexed" in done.stdout
    assert rows(db) == rows(reference)


def test_add_package_outside_a_sync_folder_needs_its_taxpayer(
    synced: Path, tmp_path: Path, fiel: Fiel
) -> None:
    package = next(synced.glob("cfdi/emitidos/metadata/*/*.zip"))
    loose = tmp_path / "loose.zip"
    loose.write_bytes(package.read_bytes())
    assert zipfile.is_zipfile(loose)
    with Catalog.open(tmp_path / "c.sqlite3") as catalog:
        with pytest.raises(Exception, match="--taxpayer"):
            catalog.add_package(loose)
        result = catalog.add_package(loose, taxpayer=fiel.rfc.lower())
        assert result.documents > 0
        assert {(r["taxpayer_rfc"], r["direction"]) for r in catalog.documents()} == {
            (fiel.rfc, "emitidos")
        }


def test_the_demo_ends_with_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Your documents" in printed
    catalog_file = next(tmp_path.glob("run-*/facturas/.sat-zeep-catalog.sqlite3"))
    with Catalog.open(catalog_file) as catalog:
        report = catalog.report()
    assert report.to_table() in printed
    assert sum(m["in_metadata"] for m in report.months) > 0
    assert all(m["missing_not_requested"] == m["missing_failed"] == 0 for m in report.months)
