"""``sat-zeep sync`` indexes each package in the folder's catalog as it lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from sat_zeep.catalog import Catalog
from sat_zeep.catalog.catalog import IndexResult
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, Runner

FAST = ["--poll", "0s", "--max-wait", "60s"]


def test_sync_indexes_each_package_as_it_lands(
    run: Runner,
    sat: FakeSat,
    sat_args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fed: list[Path] = []
    index_package = Catalog.index_package

    def recording(self: Catalog, path: Path, taxpayer: str | None = None) -> IndexResult:
        fed.append(Path(path))
        return index_package(self, path, taxpayer)

    monkeypatch.setattr(Catalog, "index_package", recording)
    out = tmp_path / "facturas"
    result = run("sync", *sat_args, *FAST, "--start", START, "--end", END, "--out", out)
    assert result.code == 0, result.err
    assert "catalog: 4 packages indexed" in result.out
    filed = sorted(out.glob("cfdi/*/*/*/*.zip"))
    assert sorted(fed) == filed  # each one, once, through index_package (as it landed)
    with Catalog.for_folder(out) as catalog:
        again = catalog.update(out)
    assert again.indexed == [] and len(again.unchanged) == 4
