"""The fake SAT's counters: exact under many request threads, reported as plain data."""

from __future__ import annotations

import threading

from sat_zeep.testing.fake_sat.ledger import Stats


def test_counts_from_many_threads_are_exact() -> None:
    stats = Stats()

    def serve() -> None:
        for _ in range(5_000):
            stats.count("calls", "VerificaSolicitudDescarga")
            stats.bump("tokens_issued")

    threads = [threading.Thread(target=serve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    snapshot = stats.snapshot()
    assert snapshot["calls"] == {"VerificaSolicitudDescarga": 40_000}
    assert snapshot["tokens_issued"] == 40_000


def test_a_snapshot_is_a_copy() -> None:
    stats = Stats()
    stats.count("downloads", "P1")
    taken = stats.snapshot()
    stats.count("downloads", "P1")
    assert taken == {
        "calls": {},
        "rejections": {},
        "downloads": {"P1": 1},
        "tokens_issued": 0,
        "requests_accepted": 0,
    }
    assert stats.snapshot()["downloads"] == {"P1": 2}
