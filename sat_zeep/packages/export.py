"""Write CFDI summaries or metadata rows as CSV, JSON Lines or Parquet, streaming.

Columns are the record's fields in order (``extra`` columns are appended, named as in the
package header). How each value type is written:

============  ==========================  ===================  ==========================
value         CSV                         JSON Lines           Parquet
============  ==========================  ===================  ==========================
datetime      ``2024-01-05T10:11:12``     same string          ``timestamp[us]`` (naive)
Decimal       ``1160.00`` (exact text)    ``"1160.00"``        ``decimal128(38, 6)``
Estatus       ``1`` / ``0``               ``1`` / ``0``        ``int8``
tuple         ``Pagos|TimbreFiscal…``     ``["Pagos", …]``     ``list<string>``
None          empty field                 ``null``             null
============  ==========================  ===================  ==========================

CSV is UTF-8 (``bom=True`` for Excel) with a header row; fields holding ``,``, ``"``, CR or LF
are quoted, so names with a bare LF or quotes round-trip through any CSV reader.
Parquet needs the optional pyarrow dependency: ``pip install "sat-zeep[parquet]"``.
Every format is written to a temporary file beside ``path`` and renamed over it once whole
(``atomic_write``): an export that fails leaves what was at ``path`` untouched.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from .atomic_write import atomic_write
from .errors import ExportError, ParquetUnavailableError

__all__ = [
    "ExportFormat",
    "export_records",
    "suffix_format",
    "write_csv",
    "write_jsonl",
    "write_parquet",
]

ExportFormat = Literal["csv", "jsonl", "parquet"]
_SUFFIXES: dict[str, ExportFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
_LIST_SEPARATOR = "|"
_PARQUET_BATCH = 65_536


def _columns(record: object) -> tuple[list[str], list[str]]:
    """The record's field names (without ``extra``) and its extra column names."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise ExportError(f"cannot export {type(record).__name__}: records must be dataclasses")
    names = [field.name for field in dataclasses.fields(record) if field.name != "extra"]
    extra: Mapping[str, str] = getattr(record, "extra", {})
    return names, list(extra)


def _rows(records: Iterable[object]) -> Iterator[tuple[list[str], list[str], Iterator[object]]]:
    """The columns of the first record, then every record (all must share those columns)."""
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        return
    names, extras = _columns(first)

    def checked() -> Iterator[object]:
        yield first
        kind = type(first)
        for record in iterator:
            if type(record) is not kind or list(getattr(record, "extra", {})) != extras:
                raise ExportError(
                    f"cannot mix {kind.__name__} records with {type(record).__name__} records "
                    "or with other extra columns in one file: export each package separately"
                )
            yield record

    yield names, extras, checked()


def _values(record: object, names: list[str], extras: list[str]) -> list[Any]:
    values: list[Any] = [getattr(record, name) for name in names]
    if extras:
        extra: Mapping[str, str] = getattr(record, "extra")  # noqa: B009
        values += [extra[name] for name in extras]
    return values


def _text(value: object) -> object:
    """A JSON- or CSV-ready form of one value (see the module table)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def write_csv(records: Iterable[object], path: str | os.PathLike[str], *, bom: bool = False) -> int:
    """Write ``records`` as CSV with a header row; return how many rows were written."""
    count = 0
    encoding = "utf-8-sig" if bom else "utf-8"
    with atomic_write(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for names, extras, rows in _rows(records):
            writer.writerow([*names, *extras])
            for record in rows:
                values = (_text(value) for value in _values(record, names, extras))
                writer.writerow(
                    [
                        _LIST_SEPARATOR.join(value) if isinstance(value, list) else value
                        for value in values
                    ]
                )
                count += 1
    return count


def write_jsonl(records: Iterable[object], path: str | os.PathLike[str]) -> int:
    """Write one JSON object per line (UTF-8, keys in column order); return the count."""
    count = 0
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as handle:
        for names, extras, rows in _rows(records):
            keys = [*names, *extras]
            for record in rows:
                values = [_text(value) for value in _values(record, names, extras)]
                handle.write(json.dumps(dict(zip(keys, values, strict=True)), ensure_ascii=False))
                handle.write("\n")
                count += 1
    return count


def _pyarrow() -> tuple[ModuleType, ModuleType]:
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError as error:
        raise ParquetUnavailableError(
            'Parquet export needs pyarrow, which is not installed: pip install "sat-zeep[parquet]"'
            " (or write CSV / JSON Lines instead)."
        ) from error


def _arrow_type(pa: ModuleType, annotation: str) -> Any:
    """The Arrow type of a field, from its (string) annotation."""
    if "Estatus" in annotation:
        return pa.int8()
    if "datetime" in annotation:
        return pa.timestamp("us")
    if "Decimal" in annotation:
        return pa.decimal128(38, 6)
    if "tuple" in annotation:
        return pa.list_(pa.string())
    if "bool" in annotation:
        return pa.bool_()
    return pa.string()


def _annotations(record: object) -> dict[str, str]:
    assert dataclasses.is_dataclass(record) and not isinstance(record, type)
    return {field.name: str(field.type) for field in dataclasses.fields(record)}


def write_parquet(records: Iterable[object], path: str | os.PathLike[str]) -> int:
    """Write ``records`` as one Parquet file (typed columns, see the module table)."""
    pa, pq = _pyarrow()
    with atomic_write(path, "wb") as sink:
        return _write_parquet(pa, pq, records, sink)


def _write_parquet(pa: ModuleType, pq: ModuleType, records: Iterable[object], sink: Any) -> int:
    count = 0
    writer: Any = None
    try:
        for names, extras, rows in _rows(records):
            batch: list[object] = []
            schema: Any = None
            for record in rows:
                if schema is None:
                    annotations = _annotations(record)
                    fields = [
                        pa.field(name, _arrow_type(pa, annotations[name])) for name in names
                    ] + [pa.field(name, pa.string()) for name in extras]
                    schema = pa.schema(fields)
                    writer = pq.ParquetWriter(sink, schema)
                batch.append(record)
                if len(batch) == _PARQUET_BATCH:
                    count += _write_batch(pa, writer, schema, batch, names, extras)
                    batch = []
            if batch:
                count += _write_batch(pa, writer, schema, batch, names, extras)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ExportError("no records to export: Parquet needs at least one to know its columns")
    return count


def _write_batch(
    pa: ModuleType,
    writer: Any,
    schema: Any,
    batch: list[object],
    names: list[str],
    extras: list[str],
) -> int:
    columns: list[list[Any]] = [[] for _ in range(len(names) + len(extras))]
    for record in batch:
        for column, value in zip(columns, _values(record, names, extras), strict=True):
            column.append(int(value) if isinstance(value, IntEnum) else value)
    try:
        table = pa.Table.from_arrays(
            [
                pa.array(column, type=field.type)
                for column, field in zip(columns, schema, strict=True)
            ],
            schema=schema,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise ExportError(
            f"cannot write Parquet: {error} (an amount with more than 6 decimals?); "
            "export as CSV or JSON Lines, which keep every value as text"
        ) from error
    writer.write_table(table)
    return len(batch)


def suffix_format(path: str | os.PathLike[str]) -> ExportFormat | None:
    """The format a file name's suffix names (``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``)."""
    return _SUFFIXES.get(Path(path).suffix.lower())


def export_records(
    records: Iterable[object],
    path: str | os.PathLike[str],
    *,
    format: ExportFormat | None = None,
) -> int:
    """Write ``records`` in ``format``, or the one named by the suffix (.csv .jsonl .parquet)."""
    chosen = format or suffix_format(path)
    if chosen == "csv":
        return write_csv(records, path)
    if chosen == "jsonl":
        return write_jsonl(records, path)
    if chosen == "parquet":
        return write_parquet(records, path)
    raise ExportError(
        f"cannot tell the format of {os.fspath(path)!r}: use a .csv, .jsonl or .parquet "
        "suffix, or pass format="
    )
