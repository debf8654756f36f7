"""The fake server's ledger on disk, so that a server restarted on its state directory goes on.

One JSON file, ``ledger.json``, rewritten atomically (temporary file, then rename) whenever a
request, a package or a limit counter changes::

    {"requests": [...], "packages": [...], "periods": [[key, count], ...],
     "folios": [[rfc, day, count], ...]}
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from .universe import Query

FILE_NAME = "ledger.json"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if "$path" in value:
            return Path(value["$path"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def dump(state: dict[str, Any], directory: Path) -> None:
    """Write ``state`` (records as dataclasses, counters as lists) atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FILE_NAME
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(_encode(state), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)


def load(directory: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none yet."""
    path = directory / FILE_NAME
    if not path.exists():
        return None
    try:
        loaded = _decode(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as error:
        raise ValueError(
            f"the fake SAT's ledger {path} is not valid JSON ({error}); move it away to start "
            "with an empty ledger"
        ) from None
    if not isinstance(loaded, dict):
        raise ValueError(f"the fake SAT's ledger {path} does not hold an object")
    return loaded


def query_from_json(data: dict[str, Any]) -> Query:
    """Rebuild a ``Query`` (tuples come back from JSON as lists)."""
    names = {field.name for field in fields(Query)}
    values = {key: value for key, value in data.items() if key in names}
    values["counterparts"] = tuple(values.get("counterparts") or ())
    return Query(**values)
