"""The progress display of ``sat-zeep sync`` on a terminal (rich bars) and in plain logs."""

from __future__ import annotations

import sys

import pytest

from sat_zeep.cli.progress import Reporter
from sat_zeep.sync import SyncEvent

EVENTS = [
    SyncEvent("planned", "emitidos metadata 2026-10-01_2026-10-31"),
    SyncEvent("planned", "emitidos cfdi 2026-10-01_2026-10-31"),
    SyncEvent("accepted", "emitidos metadata 2026-10-01_2026-10-31", id_solicitud="a"),
    SyncEvent("split", "emitidos cfdi 2026-10-01_2026-10-31", "too many documents"),
    SyncEvent("finished", "emitidos metadata 2026-10-01_2026-10-31", "2 package(s)", "a"),
    SyncEvent("download-progress", "", size=1000),
    SyncEvent("downloaded", "/out/x_01.zip", id_paquete="X_01", size=1000),
    SyncEvent("retrying", "X_02", "the connection failed"),
]


def test_bars_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with Reporter(as_json=False) as reporter:
        assert reporter._progress is not None
        for event in EVENTS:
            reporter(event)
        tasks = {task.description: task for task in reporter._progress.tasks}
    assert tasks["requests"].total == 4  # two planned, two more from the split
    assert tasks["requests"].completed == 2
    assert tasks["packages"].total == 2
    assert tasks["packages"].completed == 1


def test_plain_lines_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    with Reporter(as_json=False, label="[uno] ") as reporter:
        for event in EVENTS:
            reporter(event)
    err = capsys.readouterr().err
    assert "[uno] finished: emitidos metadata 2026-10-01_2026-10-31 2 package(s)" in err
    assert "download-progress" not in err
    assert "planned" not in err


def test_bars_show_request_states_and_download_bytes_and_speed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    clock = iter(float(second) for second in range(100))
    with Reporter(as_json=False, clock=lambda: next(clock)) as reporter:
        assert reporter._progress is not None
        for subject in ("a", "b", "c"):
            reporter(SyncEvent("planned", subject))
        reporter(SyncEvent("accepted", "a", id_solicitud="1"))
        reporter(SyncEvent("accepted", "b", id_solicitud="2"))
        reporter(SyncEvent("pending", "b", "", "2"))
        reporter(SyncEvent("retrying", "c", "SAT: error interno"))
        reporter(SyncEvent("finished", "a", "1 package(s)", "1"))
        reporter(SyncEvent("download-started", "X_01", id_paquete="X_01"))
        reporter(SyncEvent("download-progress", "", size=2_000_000))
        reporter(SyncEvent("download-progress", "", size=2_000_000))
        reporter(SyncEvent("retrying", "X_01", "the connection failed", id_paquete="X_01"))
        details = {t.description: t.fields["detail"] for t in reporter._progress.tasks}
    assert details["requests"] == "1 pending at SAT, 1 retrying"
    assert details["packages"].startswith("4.0 MB at ")
    assert details["packages"].endswith("MB/s, 1 retrying")
