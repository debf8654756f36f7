"""``sat-zeep read``: where it writes and how it says what to pass."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sat_zeep.testing.fake_sat.package_writer import write_metadata_package
from sat_zeep.testing.fake_sat.universe import Query, Universe

from .conftest import Runner


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A small metadata package of three days of one taxpayer's issued documents."""
    query = Query(
        service="cfdi",
        direction="emitidos",
        rfc="AAA010101AAA",
        start=datetime(2026, 10, 1),
        end=datetime(2026, 10, 3, 23, 59, 59),
        estado_comprobante="Todos",
    )
    documents = list(Universe(seed=0, documents_per_day=3).documents(query))
    path = tmp_path / "META_01.zip"
    write_metadata_package(documents, path, id_paquete="META_01", service="cfdi")
    return path


def test_out_into_a_folder_that_does_not_exist(run: Runner, package: Path, tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "metadata.csv"
    result = run("read", package, "--out", target)
    assert result.code == 0, result.err
    assert target.read_text(encoding="utf-8").startswith("uuid,")


def test_out_without_a_known_suffix_names_the_option(
    run: Runner, package: Path, tmp_path: Path
) -> None:
    result = run("read", package, "--out", tmp_path / "x.txt")
    assert result.code == 2, result.err
    assert "--format" in result.err
    assert "format=" not in result.err
    assert not (tmp_path / "x.txt").exists()
    written = run("read", package, "--out", tmp_path / "x.txt", "--format", "jsonl")
    assert written.code == 0, written.err
    assert (tmp_path / "x.txt").read_text(encoding="utf-8").startswith('{"uuid"')
