"""How ``sat-zeep sync`` shows its progress: bars on a terminal, log lines otherwise, or JSON.

requests ━━━━━━━━━━━━━━━━━━━━━━━━━━ 8/8   packages ━━━━━━━━━━━ 8/8   12.4 MB  0:00:03
"""

from __future__ import annotations

import json
import sys
from types import TracebackType
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..sync import SyncEvent

#: Events that settle a request, whatever the outcome.
_SETTLED = ("finished", "empty", "split", "failed", "expired")
_QUIET = ("download-progress", "download-started", "planned")


class Reporter:
    """Receives sync events and shows them in the chosen form."""

    def __init__(self, *, as_json: bool, label: str = "", force_plain: bool = False) -> None:
        self.as_json = as_json
        self.label = label
        interactive = sys.stderr.isatty() and not as_json and not force_plain
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        if interactive:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> Reporter:
        if self._progress is not None:
            self._progress.start()
            self._tasks["requests"] = self._progress.add_task(f"{self.label}requests", total=0)
            self._tasks["packages"] = self._progress.add_task(f"{self.label}packages", total=0)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, event: SyncEvent) -> None:
        if self.as_json:
            if event.kind != "download-progress":
                click.echo(json.dumps({"event": event.kind, **event.as_json()}, default=str))
            return
        if self._progress is not None:
            self._advance(event)
            return
        if event.kind not in _QUIET:
            detail = f" {event.message}" if event.message else ""
            click.echo(f"{self.label}{event.kind}: {event.subject}{detail}", err=True)

    def _advance(self, event: SyncEvent) -> None:
        progress = self._progress
        assert progress is not None
        requests, packages = self._tasks["requests"], self._tasks["packages"]
        if event.kind == "planned":
            progress.update(requests, total=(progress.tasks[requests].total or 0) + 1)
        elif event.kind in _SETTLED and not event.id_paquete:
            progress.advance(requests)
            if event.kind == "split":
                progress.update(requests, total=(progress.tasks[requests].total or 0) + 2)
        if event.kind == "finished" and event.message:
            count = int(event.message.split()[0])
            progress.update(packages, total=(progress.tasks[packages].total or 0) + count)
        elif event.kind == "downloaded":
            progress.advance(packages)
        elif event.kind in ("failed", "retrying", "expired") and event.message:
            progress.console.print(f"{event.kind}: {event.subject} {event.message}")

    def echo(self, text: str) -> None:
        """A line of the final report (stdout)."""
        if not self.as_json:
            click.echo(text)

    def record(self, record: dict[str, Any]) -> None:
        """A JSON line of the final report (stdout), only in JSON mode."""
        if self.as_json:
            click.echo(json.dumps(record, default=str))
