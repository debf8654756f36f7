"""The document catalog: every CFDI a taxpayer has, once, with its status over time, in SQL.

Fed by the packages a sync files, as they land (``CatalogFeeder``, an event sink of the sync)
or afterwards (``Catalog.update(out)``), or by any package (``Catalog.index_package(path)``);
on SQLite (a file in the output folder) or PostgreSQL (``Catalog.open("postgresql://…")``).
The statements are in ``sql/queries.sql`` (both backends), the schema in
``sql/migrations/<backend>/``.
"""

from __future__ import annotations

from .catalog import CATALOG_FILE, Catalog, IndexResult, Report
from .errors import CatalogError
from .feed import CatalogFeeder
from .reasons import MISSING_REASONS

__all__ = [
    "CATALOG_FILE",
    "MISSING_REASONS",
    "Catalog",
    "CatalogError",
    "CatalogFeeder",
    "IndexResult",
    "Report",
]
