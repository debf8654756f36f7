"""Reading across processes gives what reading in order gives, warnings included."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from sat_zeep.packages import (
    PackageContentError,
    SkippedEntryWarning,
    export_packages,
    iter_cfdi_summaries,
    iter_metadata,
    map_packages,
    summarize_packages,
)
from sat_zeep.packages.summary import pack_summaries, unpack_summaries

from .conftest import make_zip


def test_parallel_equals_sequential(cfdi_package: Path, retenciones_package: Path) -> None:
    paths = [cfdi_package, retenciones_package, cfdi_package]
    expected = [(path, list(iter_cfdi_summaries(path))) for path in paths]
    assert list(summarize_packages(paths, workers=2)) == expected
    assert list(summarize_packages(paths, workers=1)) == expected
    assert list(summarize_packages([])) == []


def test_worker_warnings_come_back(tmp_path: Path, cfdi_package: Path) -> None:
    odd = tmp_path / "odd.zip"
    odd.write_bytes(make_zip({"notes.txt": b"x"}))
    with pytest.warns(SkippedEntryWarning, match="notes.txt"):
        results = list(summarize_packages([cfdi_package, odd], workers=2))
    assert [len(found) for _, found in results][1] == 0


def test_worker_errors_are_raised_here(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(PackageContentError, match="no such file"):
        list(map_packages(_kind_of_missing, [bad, bad], workers=2))


def _kind_of_missing(path: Path) -> int:
    return len(list(iter_metadata(path.with_name("missing.zip"))))


def test_export_packages(tmp_path: Path, cfdi_package: Path, metadata_package: Path) -> None:
    results = list(
        export_packages([cfdi_package, metadata_package], tmp_path / "out", format="jsonl")
    )
    assert [(path, output.name) for path, output, _ in results] == [
        (cfdi_package, "CFDI_01.jsonl"),
        (metadata_package, "META_01.jsonl"),
    ]
    for _, output, rows in results:
        assert len(output.read_text(encoding="utf-8").splitlines()) == rows > 0
    with pytest.raises(ValueError, match="stem"):
        list(export_packages([cfdi_package, cfdi_package], tmp_path / "out"))


def test_packed_summaries_round_trip(cfdi_package: Path, retenciones_package: Path) -> None:
    summaries = [*iter_cfdi_summaries(cfdi_package), *iter_cfdi_summaries(retenciones_package)]
    assert any(s.moneda is None for s in summaries) and any(s.total_retenido for s in summaries)
    odd = dataclasses.replace(
        summaries[0], uuid="", complementos=(), subtotal=None, nombre_receptor=None
    )
    for batch in ([], [odd], summaries):
        packed = pickle.loads(pickle.dumps(pack_summaries(batch)))
        assert unpack_summaries(packed) == batch
