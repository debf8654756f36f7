"""Why an XML is missing, from the sync's requests (read-only from its state file)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from sat_zeep.catalog.reasons import MISSING_REASONS, reason_missing
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


def test_the_report_columns_name_every_reason_in_order() -> None:
    assert MISSING_REASONS == ("cancelled", "not_requested", "pending", "failed", "unexplained")


def test_a_request_on_its_way_or_unconfirmed_at_sat_is_pending() -> None:
    for status in ("planned", "submitting", "accepted", "unconfirmed"):
        assert reason_missing([request(status)], "recibidos", ISSUED) == "pending", status


def test_a_package_whose_two_downloads_are_spent_is_failed() -> None:
    assert reason_missing([request("finished", "exhausted")], "recibidos", ISSUED) == "failed"
    assert reason_missing([request("expired")], "recibidos", ISSUED) == "failed"


def test_a_request_asked_for_again_or_split_is_left_to_the_requests_that_took_over() -> None:
    spent = request("replaced", "exhausted")
    assert reason_missing([spent], "recibidos", ISSUED) == "not_requested"
    assert reason_missing([spent, request("finished", "downloaded")], "recibidos", ISSUED) == (
        "unexplained"
    )
    halves = request("split", "exhausted")
    assert reason_missing([halves], "recibidos", ISSUED) == "not_requested"
    assert reason_missing([halves, request("finished", "downloaded")], "recibidos", ISSUED) == (
        "unexplained"
    )


def test_a_request_covers_its_first_and_last_second() -> None:
    start, end = SEPT
    done = [request("finished", "downloaded")]
    for issued in (start, end):
        assert reason_missing(done, "recibidos", issued) == "unexplained", issued
    assert reason_missing(done, "emitidos", ISSUED) == "not_requested"


def test_a_folder_without_a_readable_state_has_no_requests(tmp_path: Path) -> None:
    assert read_requests(tmp_path) == []
    sqlite3.connect(tmp_path / STATE_FILE).execute("CREATE TABLE other (x)").connection.commit()
    assert read_requests(tmp_path) == []
