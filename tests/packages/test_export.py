"""Exports reload to the same values: csv module, json, and pyarrow."""

from __future__ import annotations

import csv
import importlib
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sat_zeep.packages import (
    CfdiMetadata,
    CfdiSummary,
    Estatus,
    ExportError,
    ParquetUnavailableError,
    export_records,
    iter_cfdi_metadata,
    iter_cfdi_summaries,
    iter_retenciones_metadata,
    write_csv,
    write_jsonl,
    write_parquet,
)

from .conftest import make_zip

pa = importlib.import_module("pyarrow")
pq = importlib.import_module("pyarrow.parquet")


def _optional_date(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _optional_amount(text: str) -> Decimal | None:
    return Decimal(text) if text not in ("", None) else None


def _optional_text(text: str | None) -> str | None:
    return text if text not in ("", None) else None


def metadata_from_text(values: dict[str, Any]) -> CfdiMetadata:
    return CfdiMetadata(
        uuid=values["uuid"],
        rfc_emisor=values["rfc_emisor"],
        nombre_emisor=values["nombre_emisor"],
        rfc_receptor=values["rfc_receptor"],
        nombre_receptor=values["nombre_receptor"],
        rfc_pac=values["rfc_pac"],
        fecha_emision=datetime.fromisoformat(values["fecha_emision"]),
        fecha_certificacion_sat=datetime.fromisoformat(values["fecha_certificacion_sat"]),
        monto=Decimal(values["monto"]),
        efecto_comprobante=values["efecto_comprobante"],
        estatus=Estatus(int(values["estatus"])),
        fecha_cancelacion=_optional_date(values["fecha_cancelacion"] or ""),
        rfc_a_cuenta_terceros=_optional_text(values["rfc_a_cuenta_terceros"]),
        nombre_a_cuenta_terceros=_optional_text(values["nombre_a_cuenta_terceros"]),
    )


def summary_from_text(values: dict[str, Any], separator: str | None) -> CfdiSummary:
    complementos = values["complementos"]
    return CfdiSummary(
        uuid=values["uuid"],
        kind=values["kind"],
        version=values["version"],
        rfc_emisor=values["rfc_emisor"],
        nombre_emisor=_optional_text(values["nombre_emisor"]),
        rfc_receptor=_optional_text(values["rfc_receptor"]),
        nombre_receptor=_optional_text(values["nombre_receptor"]),
        fecha=datetime.fromisoformat(values["fecha"]),
        fecha_timbrado=datetime.fromisoformat(values["fecha_timbrado"]),
        subtotal=_optional_amount(values["subtotal"]),
        total=Decimal(values["total"]),
        moneda=_optional_text(values["moneda"]),
        tipo_de_comprobante=_optional_text(values["tipo_de_comprobante"]),
        complementos=tuple(complementos.split(separator) if separator else complementos),
        total_retenido=_optional_amount(values["total_retenido"] or ""),
    )


@pytest.fixture(scope="module")
def metadata(metadata_package: Path) -> list[CfdiMetadata]:
    return list(iter_cfdi_metadata(metadata_package))


@pytest.fixture(scope="module")
def summaries(cfdi_package: Path, retenciones_package: Path) -> list[CfdiSummary]:
    return [*iter_cfdi_summaries(cfdi_package), *iter_cfdi_summaries(retenciones_package)]


def test_csv_round_trip(
    tmp_path: Path, metadata: list[CfdiMetadata], summaries: list[CfdiSummary]
) -> None:
    assert write_csv(metadata, tmp_path / "m.csv") == len(metadata)
    with open(tmp_path / "m.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [metadata_from_text(r) for r in rows] == metadata
    assert any("\n" in r["nombre_emisor"] + r["nombre_receptor"] for r in rows)
    assert export_records(summaries, tmp_path / "s.csv") == len(summaries)
    with open(tmp_path / "s.csv", encoding="utf-8", newline="") as handle:
        reloaded = [summary_from_text(r, "|") for r in csv.DictReader(handle)]
    assert reloaded == summaries


def test_csv_bom_for_excel(tmp_path: Path, metadata: list[CfdiMetadata]) -> None:
    write_csv(metadata[:2], tmp_path / "m.csv", bom=True)
    assert (tmp_path / "m.csv").read_bytes().startswith(b"\xef\xbb\xbfuuid,")


def test_jsonl_round_trip(
    tmp_path: Path, metadata: list[CfdiMetadata], summaries: list[CfdiSummary]
) -> None:
    assert write_jsonl(metadata, tmp_path / "m.jsonl") == len(metadata)
    lines = (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines()
    values = [json.loads(line) for line in lines]
    assert values[0]["monto"] == str(metadata[0].monto)  # amounts are strings: lossless
    assert [metadata_from_text(v) for v in values] == metadata
    export_records(summaries, tmp_path / "s.ndjson")
    lines = (tmp_path / "s.ndjson").read_text(encoding="utf-8").splitlines()
    assert [summary_from_text(json.loads(line), None) for line in lines] == summaries


def test_parquet_round_trip(
    tmp_path: Path, metadata: list[CfdiMetadata], summaries: list[CfdiSummary]
) -> None:
    assert write_parquet(metadata, tmp_path / "m.parquet") == len(metadata)
    table = pq.read_table(tmp_path / "m.parquet")
    assert str(table.schema.field("monto").type) == "decimal128(38, 6)"
    assert str(table.schema.field("fecha_emision").type) == "timestamp[us]"
    rows = table.to_pylist()
    assert [r["uuid"] for r in rows] == [m.uuid for m in metadata]
    for row, truth in zip(rows, metadata, strict=True):
        assert row["monto"] == truth.monto
        assert row["fecha_emision"] == truth.fecha_emision
        assert row["fecha_cancelacion"] == truth.fecha_cancelacion
        assert row["estatus"] == int(truth.estatus)
        assert row["nombre_emisor"] == truth.nombre_emisor
        assert row["rfc_a_cuenta_terceros"] == truth.rfc_a_cuenta_terceros
    export_records(summaries, tmp_path / "s.parquet")
    rows = pq.read_table(tmp_path / "s.parquet").to_pylist()
    for row, summary in zip(rows, summaries, strict=True):
        assert tuple(row.pop("complementos")) == summary.complementos
        assert row == {k: getattr(summary, k) for k in row}


def test_parquet_keeps_extra_columns(tmp_path: Path) -> None:
    text = "Uuid~Algo\r\nR1~x\r\nR2~y\r\n"
    rows = list(iter_retenciones_metadata(make_zip({"R.txt": text.encode()})))
    write_parquet(rows, tmp_path / "r.parquet")
    assert pq.read_table(tmp_path / "r.parquet").column("Algo").to_pylist() == ["x", "y"]


def test_missing_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metadata: list[CfdiMetadata]
) -> None:
    real_import = importlib.import_module

    def no_pyarrow(name: str, package: str | None = None) -> Any:
        if name.startswith("pyarrow"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", no_pyarrow)
    with pytest.raises(ParquetUnavailableError, match=r'pip install "sat-zeep\[parquet\]"'):
        write_parquet(metadata, tmp_path / "m.parquet")
    assert isinstance(ParquetUnavailableError("x"), ImportError)


def test_export_errors(
    tmp_path: Path, metadata: list[CfdiMetadata], summaries: list[CfdiSummary]
) -> None:
    with pytest.raises(ExportError, match="cannot tell the format"):
        export_records(metadata, tmp_path / "m.xlsx")
    with pytest.raises(ExportError, match="cannot mix"):
        write_jsonl([metadata[0], summaries[0]], tmp_path / "mixed.jsonl")
    with pytest.raises(ExportError, match="must be dataclasses"):
        write_csv([{"a": 1}], tmp_path / "dicts.csv")
    with pytest.raises(ExportError, match="no records"):
        write_parquet([], tmp_path / "empty.parquet")
