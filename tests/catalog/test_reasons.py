"""Why an XML is missing, from the sync's requests (read-only from its state file)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from sat_zeep.catalog.reasons import reason_missing
from sat_zeep.catalog.sync_state import STATE_FILE, RequestState, read_requests

SEPT = (datetime(2026, 9, 1), datetime(2026, 9, 30, 23, 59, 59))
ISSUED = datetime(2026, 9, 15)


def request(status: str, *packages: str, kind: str = "cfdi") -> RequestState:
    return RequestState("recibidos", kind, *SEPT, status, packages)


def test_each_reason() -> None:
    assert reason_missing([], "recibidos", ISSUED) == "not_requested"
    assert reason_missing([request("finished", kind="metadata")], "recibidos", ISSUED) == (
        "not_requested"
    )
    assert reason_missing([request("accepted")], "recibidos", ISSUED) == "pending"
    assert reason_missing([request("finished", "downloading")], "recibidos", ISSUED) == "pending"
    assert reason_missing([request("failed")], "recibidos", ISSUED) == "failed"
    assert reason_missing([request("finished", "expired")], "recibidos", ISSUED) == "failed"
    assert reason_missing([request("finished", "downloaded")], "recibidos", ISSUED) == (
        "unexplained"
    )
    # Asked for again after a failure: still on its way.
    assert reason_missing([request("failed"), request("planned")], "recibidos", ISSUED) == (
        "pending"
    )
    assert reason_missing([request("split"), request("failed")], "recibidos", ISSUED) == "failed"


def test_a_folder_without_a_readable_state_has_no_requests(tmp_path: Path) -> None:
    assert read_requests(tmp_path) == []
    sqlite3.connect(tmp_path / STATE_FILE).execute("CREATE TABLE other (x)").connection.commit()
    assert read_requests(tmp_path) == []
