"""Read the ZIP packages SAT's Descarga Masiva returns (or any tool downloaded), safely and fast.

::

    from sat_zeep.packages import iter_cfdi, iter_metadata, write_parquet

    for document in iter_cfdi("4E80345D-…_01.zip"):          # CFDI package: one XML per entry
        print(document.uuid, document.summary.total)
    write_parquet(iter_metadata("4E80345D-…_02.zip"), "metadata.parquet")

Modules: ``zipsafe`` (hardened ZIP opening), ``cfdi`` and ``summary`` (XML documents),
``metadata``, ``metadata_rows`` and ``rows`` (``~``-separated metadata), ``export`` (CSV, JSON
Lines, Parquet), ``parallel`` (many packages across processes), ``errors``.
"""

from __future__ import annotations

from .archive.safe_reader import PackageEntry, SafeZip, ZipLimits, open_package
from .cfdi import CfdiDocument, iter_cfdi, iter_cfdi_summaries
from .errors import (
    CompressionBombError,
    CorruptPackageError,
    EntryTooLargeError,
    ExportError,
    MalformedDocumentError,
    MalformedDocumentWarning,
    MalformedRowError,
    MalformedRowWarning,
    PackageContentError,
    PackageError,
    PackageWarning,
    ParquetUnavailableError,
    SkippedEntryWarning,
    TooManyEntriesError,
    UnsafeEntryNameError,
    UnsafePackageError,
    ZipLayoutError,
)
from .export import export_records, write_csv, write_jsonl, write_parquet
from .metadata import (
    RawTable,
    iter_cfdi_metadata,
    iter_metadata,
    iter_raw_rows,
    iter_raw_tables,
    iter_retenciones_metadata,
)
from .metadata_rows import CFDI_COLUMNS, CfdiMetadata, Estatus, MetadataRow, RetencionesMetadata
from .parallel import export_package, export_packages, map_packages, summarize_packages
from .summary import CfdiSummary, summarize_xml

__all__ = [
    "CFDI_COLUMNS",
    "CfdiDocument",
    "CfdiMetadata",
    "CfdiSummary",
    "CompressionBombError",
    "CorruptPackageError",
    "EntryTooLargeError",
    "Estatus",
    "ExportError",
    "MalformedDocumentError",
    "MalformedDocumentWarning",
    "MalformedRowError",
    "MalformedRowWarning",
    "MetadataRow",
    "PackageContentError",
    "PackageEntry",
    "PackageError",
    "PackageWarning",
    "ParquetUnavailableError",
    "RawTable",
    "RetencionesMetadata",
    "SafeZip",
    "SkippedEntryWarning",
    "TooManyEntriesError",
    "UnsafeEntryNameError",
    "UnsafePackageError",
    "ZipLayoutError",
    "ZipLimits",
    "export_package",
    "export_packages",
    "export_records",
    "iter_cfdi",
    "iter_cfdi_metadata",
    "iter_cfdi_summaries",
    "iter_metadata",
    "iter_raw_rows",
    "iter_raw_tables",
    "iter_retenciones_metadata",
    "map_packages",
    "open_package",
    "summarize_packages",
    "summarize_xml",
    "write_csv",
    "write_jsonl",
    "write_parquet",
]
