"""A small connector over SQLite (embedded) and PostgreSQL (shared), with SQL kept in files.

The statements live in one named-query file for both backends, each under a header::

    -- name: upsert_document
    INSERT INTO documents (uuid, …) VALUES (:uuid, …) ON CONFLICT (uuid, taxpayer_rfc) DO UPDATE …

and schema changes, where the backends differ (column types), are numbered files per backend
(``migrations/<backend>/0001_initial.sql``, …) applied once, in order, and recorded in
``schema_version``. ``connect`` picks the backend from its target: a
``postgresql://`` URL (psycopg 3) or a path (sqlite3)::

    db = connect("postgresql://user@host/db", package="sat_zeep.catalog")  # its sql/ folder
    with db.transaction():
        db.execute("upsert_document", uuid="…", …)
    db.one("document", uuid="…")
"""

from __future__ import annotations

from .connector import Connector, DatabaseError, Queries, connect, is_url
from .migrations import migrate

__all__ = ["Connector", "DatabaseError", "Queries", "connect", "is_url", "migrate"]
