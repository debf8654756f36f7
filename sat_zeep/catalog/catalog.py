"""The document catalog: every CFDI a taxpayer has, once, with its current status, in SQL."""

from __future__ import annotations

import csv
import importlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..packages import CfdiDocument, PackageError, iter_cfdi, iter_metadata, open_package
from ..packages.archive.stream_check import check_zip_file, file_sha256
from ..sync.crashpoints import crashpoint
from ..sync.db import Connector, connect, is_url, migrate
from .errors import CatalogError
from .layout import filed_packages, place_of
from .reasons import MISSING_REASONS, reason_missing
from .serie_folio import serie_folio
from .sync_state import RequestState, read_requests

__all__ = ["CATALOG_FILE", "Catalog", "IndexResult", "Report"]

CATALOG_FILE = ".sat-zeep-catalog.sqlite3"
#: What this code reads from a package; a package read by an older version is read again.
#: 2: Serie and Folio from the XML.
INDEX_VERSION = 2
_BATCH = 5_000


@dataclass
class IndexResult:
    """What one ``update`` or ``add_package`` did."""

    indexed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)
    documents: int = 0


@dataclass
class Report:
    """Per taxpayer, direction and month: what the metadata lists and what XML is held."""

    months: list[dict[str, Any]]
    totals: list[dict[str, Any]]

    def to_json(self) -> str:
        return json.dumps({"months": self.months, "totals": self.totals}, indent=2)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(_MONTH_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.months)
        return buffer.getvalue()

    def to_table(self) -> str:
        headers = [_MONTH_COLUMNS[name] for name in _MONTH_COLUMNS]
        rows = [[str(month[name]) for name in _MONTH_COLUMNS] for month in self.months]
        widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
        lines = [
            "  ".join(cell.rjust(width) for cell, width in zip(r, widths, strict=True))
            for r in [headers, *rows]
        ]
        return "\n".join(lines) + "\n"


_MONTH_COLUMNS = {
    "taxpayer_rfc": "rfc",
    "direction": "direction",
    "month": "month",
    "in_metadata": "metadata",
    "xml_held": "xml",
    **{f"missing_{reason}": reason.replace("_", " ") for reason in MISSING_REASONS},
    "xml_without_metadata": "xml only",
    "total": "total",
}


class Catalog:
    """One catalog (SQLite file or PostgreSQL database) for any number of taxpayers.

    ::

        with Catalog.open(out / ".sat-zeep-catalog.sqlite3") as catalog:
            catalog.update(out)             # index every package the sync filed
            catalog.report().months         # [{"month": "2026-09", "in_metadata": 41, …}]
            catalog.xml("5A1B…")            # the XML bytes, from its package
    """

    def __init__(self, db: Connector, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    @classmethod
    def open(cls, target: str | Path, clock: Callable[[], datetime] | None = None) -> Catalog:
        """Open (creating and migrating) the catalog at a path or ``postgresql://`` URL."""
        if not is_url(target):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        db = connect(target, package="sat_zeep.catalog")
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
        return cls(db, clock)

    @classmethod
    def for_folder(
        cls, out: Path, db: str | None = None, clock: Callable[[], datetime] | None = None
    ) -> Catalog:
        """The catalog of a sync's output folder (``--db`` when given, else a file in it)."""
        return cls.open(db or out / CATALOG_FILE, clock)

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # -- feeding --------------------------------------------------------------------------------

    def update(self, out: Path) -> IndexResult:
        """Index every package filed under ``out`` that the catalog has not indexed yet."""
        result = IndexResult()
        for place in filed_packages(out):
            self._add(place.path, result)
        return result

    def index_package(self, path: Path, taxpayer: str | None = None) -> IndexResult:
        """Index one package, e.g. as a sync files it; safe to call per package, at any time.

        Idempotent: a package indexed already (same SHA-256) changes nothing, also when two
        processes index it at once (the package's row is claimed first, in the same
        transaction as its documents). A package that fails its check is not indexed
        (``result.failed``). ``taxpayer`` is needed only outside a sync's output folder.
        """
        result = IndexResult()
        self._add(Path(path), result, taxpayer)
        return result

    def add_package(self, path: Path, taxpayer: str | None = None) -> IndexResult:
        """Index one package (a no-op when a package with its SHA-256 is indexed already)."""
        return self.index_package(path, taxpayer)

    def _add(self, path: Path, result: IndexResult, taxpayer: str | None = None) -> None:
        try:
            # A package indexed before passed its check then: hashing it is enough to know it.
            known = self.db.one("package", sha256=file_sha256(path))
            if known is not None and int(known["index_version"]) >= INDEX_VERSION:
                result.unchanged.append(path)
                return
            sha256 = check_zip_file(path)
        except (zipfile.BadZipFile, PackageError, OSError) as error:
            result.failed[path] = f"{path.name} fails its check: {error}"
            return
        place = place_of(path.resolve())
        kind = place.kind if place else _sniff_kind(path)
        direction = place.direction if place else None
        service = place.service if place else "cfdi"
        if direction is None and taxpayer is None:
            raise CatalogError(
                f"{path} is not in a sync's output folder: say whose it is (--taxpayer RFC)"
            )
        seen = self._clock().replace(tzinfo=None).isoformat(timespec="seconds")
        context = _Context(sha256, seen, direction, taxpayer.upper() if taxpayer else None)
        try:
            with self.db.transaction():
                claimed = self.db.execute(
                    "claim_package",
                    sha256=sha256,
                    path=str(path.resolve()),
                    size=path.stat().st_size,
                    kind=kind,
                    service=service,
                    direction=direction,
                    taxpayer_rfc=None,
                    indexed_at=seen,
                    index_version=INDEX_VERSION,
                )
                if not claimed:  # another process indexed it meanwhile
                    result.unchanged.append(path)
                    return
                if kind == "metadata":
                    count = self._index_metadata(path, context)
                else:
                    count = self._index_xml(path, context)
                self.db.execute(
                    "finish_package",
                    sha256=sha256,
                    documents=count,
                    taxpayer_rfc=context.first_taxpayer,
                )
        except PackageError as error:
            result.failed[path] = f"{path.name}: {error}"
            return
        result.indexed.append(path)
        result.documents += count

    def _index_metadata(self, path: Path, context: _Context) -> int:
        count = 0
        for batch in _batches(iter_metadata(path, strict=True)):
            rows = [_metadata_row(row, context) for row in batch]
            self.db.execute_many("record_status_change", rows)
            self.db.execute_many("upsert_metadata", rows)
            count += len(rows)
            crashpoint("catalog-batch")  # tests: SAT_ZEEP_CRASH_AT=catalog-batch:N is a kill -9
        return count

    def _index_xml(self, path: Path, context: _Context) -> int:
        count = 0
        for batch in _batches(iter_cfdi(path, strict=True)):
            rows = [_xml_row(document, context) for document in batch]
            self.db.execute_many("upsert_xml", rows)
            count += len(rows)
            crashpoint("catalog-batch")
        return count

    # -- reading --------------------------------------------------------------------------------

    def show(self, uuid: str) -> list[dict[str, Any]]:
        """Every catalog row of ``uuid`` (one per taxpayer holding it); CatalogError if none."""
        rows = self.db.all("documents_by_uuid", uuid=uuid.strip().upper())
        if not rows:
            raise CatalogError(f"the catalog holds no document {uuid}: run catalog update")
        return rows

    def xml(self, uuid: str) -> bytes:
        """The XML of ``uuid``, read straight from the package that holds it."""
        for row in self.show(uuid):
            if row["xml_path"]:
                with open_package(Path(row["xml_path"])) as package:
                    for entry in package.entries():
                        if entry.name == row["xml_entry"]:
                            return package.read(entry)
                raise CatalogError(f"{row['xml_path']} no longer holds {row['xml_entry']}")
        raise CatalogError(f"the catalog holds no XML of {uuid} (only its metadata)")

    def changes(self, since: datetime) -> list[dict[str, Any]]:
        """Status changes seen at or after ``since`` (Vigente→Cancelado and back)."""
        return self.db.all("changes_since", since=since.replace(tzinfo=None).isoformat())

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every catalog row, by taxpayer and emission time."""
        return self.db.iterate("export_documents")

    def report(self) -> Report:
        """Counts per month and direction that add up, and sums of totals."""
        months = {}
        for row in self.db.all("report_counts"):
            key = (row["taxpayer_rfc"], row["direction"], row["month"])
            month = {name: row.get(name, 0) for name in _MONTH_COLUMNS}
            month.update({f"missing_{reason}": 0 for reason in MISSING_REASONS})
            month["missing_cancelled"] = int(row["missing_cancelled"])
            for name in ("in_metadata", "xml_held", "xml_without_metadata"):
                month[name] = int(row[name])
            month["total"] = "0.00"
            months[key] = month
        states: dict[Path, list[RequestState]] = {}
        for row in self.db.iterate("report_missing"):
            out = Path(row["metadata_path"]).parents[4]
            if out not in states:
                states[out] = read_requests(out)
            issued = datetime.fromisoformat(row["fecha_emision"])
            reason = reason_missing(states[out], row["direction"], issued)
            key = (row["taxpayer_rfc"], row["direction"], row["fecha_emision"][:7])
            months[key][f"missing_{reason}"] += 1
        totals = []
        for row in self.db.all("report_totals"):
            cents = int(row["total_cents"] or 0)
            totals.append({**row, "total_cents": cents, "total": _money(cents)})
            key = (row["taxpayer_rfc"], row["direction"], row["month"])
            months[key]["total"] = _money(_cents(months[key]["total"]) + cents)
        return Report(list(months.values()), totals)

    def export(self, path: Path, fmt: str) -> int:
        """Write every catalog row as ``parquet``, ``csv`` or ``jsonl``; how many rows."""
        rows = self.documents()
        if fmt == "jsonl":
            count = 0
            with open(path, "w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += 1
            return count
        if fmt == "csv":
            return _write_csv(rows, path)
        if fmt == "parquet":
            return _write_parquet(rows, path)
        raise CatalogError(f"unknown export format {fmt!r}: use parquet, csv or jsonl")


@dataclass
class _Context:
    package: str
    seen_at: str
    direction: str | None
    taxpayer: str | None
    first_taxpayer: str | None = None

    def owner(self, emisor: str | None, receptor: str | None) -> tuple[str, str]:
        """(taxpayer RFC, direction) of a document with these RFCs."""
        if self.direction is not None:
            rfc = emisor if self.direction == "emitidos" else receptor
            direction = self.direction
        else:
            rfc = self.taxpayer
            direction = "emitidos" if (emisor or "").upper() == rfc else "recibidos"
        rfc = (rfc or self.taxpayer or "").upper()
        if self.first_taxpayer is None:
            self.first_taxpayer = rfc
        return rfc, direction


def _metadata_row(row: Any, context: _Context) -> dict[str, Any]:
    emisor = getattr(row, "rfc_emisor", None)
    receptor = getattr(row, "rfc_receptor", None)
    rfc, direction = context.owner(emisor, receptor)
    estatus = getattr(row, "estatus", None)
    return {
        "uuid": row.uuid.upper(),
        "taxpayer_rfc": rfc,
        "direction": direction,
        "service": "cfdi" if hasattr(row, "efecto_comprobante") else "retenciones",
        "rfc_emisor": emisor,
        "nombre_emisor": getattr(row, "nombre_emisor", None),
        "rfc_receptor": receptor,
        "nombre_receptor": getattr(row, "nombre_receptor", None),
        "rfc_pac": getattr(row, "rfc_pac", None),
        "fecha_emision": _iso(getattr(row, "fecha_emision", None)),
        "fecha_certificacion_sat": _iso(getattr(row, "fecha_certificacion_sat", None)),
        "monto_cents": _to_cents(getattr(row, "monto", None)),
        "efecto_comprobante": getattr(row, "efecto_comprobante", None),
        "estatus": None if estatus is None else int(estatus),
        "fecha_cancelacion": _iso(getattr(row, "fecha_cancelacion", None)),
        "rfc_a_cuenta_terceros": getattr(row, "rfc_a_cuenta_terceros", None),
        "nombre_a_cuenta_terceros": getattr(row, "nombre_a_cuenta_terceros", None),
        "package": context.package,
        "seen_at": context.seen_at,
    }


def _xml_row(document: CfdiDocument, context: _Context) -> dict[str, Any]:
    summary = document.summary
    rfc, direction = context.owner(summary.rfc_emisor, summary.rfc_receptor)
    serie, folio = serie_folio(document.data)
    return {
        "uuid": summary.uuid.upper(),
        "taxpayer_rfc": rfc,
        "direction": direction,
        "service": summary.kind,
        "rfc_emisor": summary.rfc_emisor,
        "nombre_emisor": summary.nombre_emisor,
        "rfc_receptor": summary.rfc_receptor,
        "nombre_receptor": summary.nombre_receptor,
        "fecha_emision": _iso(summary.fecha),
        "version": summary.version,
        "fecha_timbrado": _iso(summary.fecha_timbrado),
        "subtotal_cents": _to_cents(summary.subtotal),
        "total_cents": _to_cents(summary.total),
        "moneda": summary.moneda,
        "tipo_de_comprobante": summary.tipo_de_comprobante,
        "complementos": " ".join(summary.complementos),
        "serie": serie,
        "folio": folio,
        "package": context.package,
        "entry": document.name,
        "seen_at": context.seen_at,
    }


def _sniff_kind(path: Path) -> str:
    with open_package(path) as package:
        names = [entry.name.lower() for entry in package.entries()]
    return "cfdi" if any(name.endswith(".xml") for name in names) else "metadata"


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=None).isoformat(timespec="seconds")


def _to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def _write_csv(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            count += 1
    return count


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    try:
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise CatalogError("Parquet needs pyarrow: pip install 'sat-zeep[parquet]'") from None
    table = pa.Table.from_pylist(list(rows))
    pq.write_table(table, path)
    return int(table.num_rows)
