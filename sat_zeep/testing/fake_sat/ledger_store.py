"""The fake server's ledger on disk, so that a server restarted on its state directory goes on.

One SQLite file, ``ledger.sqlite3`` (WAL), one row per request, package, limit counter and
parameter set; a change writes its own row, so its cost does not grow with the ledger::

    requests(id_solicitud PRIMARY KEY, data)        data: the record as JSON
    packages(id_paquete PRIMARY KEY, data)
    counters(kind, key, count, PRIMARY KEY (kind, key))
        kind "period": CFDI requests per period (5002); "folio": folio requests per RFC and day
    submissions(rfc, parameters, code, count, PRIMARY KEY (rfc, parameters, code))
        every SolicitaDescarga received, by RFC, exact parameter set and the CodEstatus answered

A ``ledger.json`` left by an older fake SAT is read once into the database and renamed
``ledger.json.migrated``. Only the server's process writes the file, from its request threads,
always under the ledger's lock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from .universe import Query

FILE_NAME = "ledger.sqlite3"
OLD_FILE_NAME = "ledger.json"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (id_solicitud TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS packages (id_paquete TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS submissions (
    rfc TEXT NOT NULL, parameters TEXT NOT NULL, code INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (rfc, parameters, code)
);
"""


def encode(value: Any) -> Any:
    """JSON-ready: datetimes and paths tagged, tuples as lists."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    return value


def decode(value: Any) -> Any:
    """The inverse of ``encode``."""
    if isinstance(value, dict):
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if "$path" in value:
            return Path(value["$path"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def query_from_json(data: dict[str, Any]) -> Query:
    """Rebuild a ``Query`` (tuples come back from JSON as lists)."""
    names = {field.name for field in fields(Query)}
    values = {key: value for key, value in data.items() if key in names}
    values["counterparts"] = tuple(values.get("counterparts") or ())
    return Query(**values)


def _dumps(value: Any) -> str:
    return json.dumps(encode(value), ensure_ascii=False, sort_keys=True)


class LedgerStore:
    """The SQLite file of one ledger; every method is one short transaction."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0
        old = directory / OLD_FILE_NAME
        if old.exists():
            self._migrate(old)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many changes in one transaction (a benchmark prefilling a big ledger)."""
        if self._depth == 0:
            self._db.execute("BEGIN")
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("COMMIT")

    def put_request(self, id_solicitud: str, record: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO requests VALUES (?, ?)", (id_solicitud, _dumps(record))
        )

    def put_package(self, id_paquete: str, record: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO packages VALUES (?, ?)", (id_paquete, _dumps(record))
        )

    def put_counter(self, kind: str, key: Any, count: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", (kind, _dumps(key), count)
        )

    def count_submission(self, rfc: str, parameters: str, code: int) -> None:
        """One more SolicitaDescarga by ``rfc`` with ``parameters``, answered ``code``."""
        self._db.execute(
            "INSERT INTO submissions VALUES (?, ?, ?, 1) ON CONFLICT (rfc, parameters, code) "
            "DO UPDATE SET count = count + 1",
            (rfc, parameters, code),
        )

    def requests(self) -> Iterator[dict[str, Any]]:
        for (data,) in self._db.execute("SELECT data FROM requests"):
            yield decode(json.loads(data))

    def packages(self) -> Iterator[dict[str, Any]]:
        for (data,) in self._db.execute("SELECT data FROM packages"):
            yield decode(json.loads(data))

    def counters(self, kind: str) -> Iterator[tuple[Any, int]]:
        for key, count in self._db.execute(
            "SELECT key, count FROM counters WHERE kind = ?", (kind,)
        ):
            yield decode(json.loads(key)), int(count)

    def submissions(self) -> list[tuple[str, str, int, int]]:
        """(rfc, parameters, code, count) of every SolicitaDescarga received, ever."""
        return [
            (str(rfc), str(parameters), int(code), int(count))
            for rfc, parameters, code, count in self._db.execute(
                "SELECT rfc, parameters, code, count FROM submissions ORDER BY rfc, parameters"
            )
        ]

    def _migrate(self, old: Path) -> None:
        try:
            state = decode(json.loads(old.read_text(encoding="utf-8")))
        except ValueError as error:
            raise ValueError(
                f"the fake SAT's old ledger {old} is not valid JSON ({error}); move it away to "
                "start with an empty ledger"
            ) from None
        if not isinstance(state, dict):
            raise ValueError(f"the fake SAT's old ledger {old} does not hold an object")
        with self.batch():
            for record in state.get("requests", []):
                self.put_request(record["id_solicitud"], record)
            for package in state.get("packages", []):
                self.put_package(package["id_paquete"], package)
            for key, count in state.get("periods", []):
                self.put_counter("period", key, count)
            for rfc, day, count in state.get("folios", []):
                self.put_counter("folio", [rfc, day], count)
        old.rename(old.with_name(OLD_FILE_NAME + ".migrated"))
