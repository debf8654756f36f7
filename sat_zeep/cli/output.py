"""What commands print: a line of text, or with ``--json`` one JSON object per line."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit(as_json: bool, record: dict[str, Any], text: str) -> None:
    """Print ``record`` as one JSON line when ``as_json``, else ``text``."""
    if as_json:
        click.echo(json.dumps(record, default=_default, ensure_ascii=False, sort_keys=True))
    else:
        click.echo(text)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 package``, ``2 packages`` (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
