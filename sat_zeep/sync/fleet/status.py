"""``fleet status``: one row per taxpayer, as a table on a terminal or as JSON."""

from __future__ import annotations

from typing import Any

from .store import FleetStore

__all__ = ["COLUMNS", "status_rows", "status_table"]

#: Column of the ``status`` query → header of the table.
COLUMNS = {
    "rfc": "rfc",
    "periods_done": "done",
    "periods_open": "open",
    "periods_failed": "failed",
    "requests_open": "requests open",
    "requests_finished": "finished",
    "packages_downloaded": "packages",
    "documents": "documents",
    "bytes": "bytes",
    "next_check": "next check",
    "holder": "held by",
    "last_error": "last error",
}


def status_rows(store: FleetStore) -> list[dict[str, Any]]:
    """The ``status`` query's rows with plain Python values (counts as ints)."""
    rows = []
    for row in store.status():
        rows.append(
            {
                key: int(value) if key not in _TEXT and value is not None else value
                for key, value in row.items()
            }
        )
    return rows


_TEXT = {"rfc", "holder", "held_since", "next_due", "last_error", "next_check"}


def status_table(rows: list[dict[str, Any]]) -> str:
    """The rows as aligned text columns (the last error cut to 60 characters)."""
    headers = list(COLUMNS.values())
    cells = [[_cell(row.get(column)) for column in COLUMNS] for row in rows]
    widths = [max(len(c) for c in column) for column in zip(headers, *cells, strict=False)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *cells]
    ]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."
