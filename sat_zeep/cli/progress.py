"""How ``sat-zeep sync`` shows its progress: bars on a terminal, log lines otherwise, or JSON.

requests ━━━━━━━━━━━━━━━━━━━━━━━━━━ 5/8 2 pending at SAT, 1 retrying         0:00:03
packages ━━━━━━━━━━━━━━━━━━━━━━━━━━ 3/6 12.4 MB at 3.1 MB/s, 1 retrying      0:00:03
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..sync import SyncEvent

#: Events that settle a request, whatever the outcome.
_SETTLED = ("finished", "empty", "split", "failed", "expired")
_QUIET = ("download-progress", "download-started", "planned")
#: Seconds of downloaded bytes the speed is averaged over.
_SPEED_WINDOW = 5.0


class _Detail(ProgressColumn):
    """A task's ``detail`` field: request states, or bytes and speed."""

    def render(self, task: Task) -> Text:
        return Text(str(task.fields.get("detail", "")))


class Reporter:
    """Receives sync events and shows them in the chosen form."""

    def __init__(
        self,
        *,
        as_json: bool,
        label: str = "",
        force_plain: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.as_json = as_json
        self.label = label
        self._clock = clock
        #: Requests in flight at SAT, by subject: accepted, pending or retrying.
        self._states: dict[str, str] = {}
        self._retrying_packages: set[str] = set()
        self._bytes = 0
        self._recent: deque[tuple[float, int]] = deque()
        interactive = sys.stderr.isatty() and not as_json and not force_plain
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        if interactive:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _Detail(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> Reporter:
        if self._progress is not None:
            self._progress.start()
            for name in ("requests", "packages"):
                self._tasks[name] = self._progress.add_task(
                    f"{self.label}{name}", total=0, detail=""
                )
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
            self._states.pop(event.subject, None)
            if event.kind == "split":
                progress.update(requests, total=(progress.tasks[requests].total or 0) + 2)
        elif event.kind in ("accepted", "pending"):
            self._states[event.subject] = event.kind
        elif event.kind == "retrying" and event.id_paquete:
            self._retrying_packages.add(event.id_paquete)
        elif event.kind == "retrying":
            self._states[event.subject] = "retrying"
        if event.kind == "finished" and event.message:
            count = int(event.message.split()[0])
            progress.update(packages, total=(progress.tasks[packages].total or 0) + count)
        elif event.kind == "downloaded":
            progress.advance(packages)
            self._retrying_packages.discard(event.id_paquete or "")
        elif event.kind == "download-progress" and event.size:
            self._received(event.size)
        if event.kind in ("failed", "retrying", "expired") and event.message:
            progress.console.print(f"{event.kind}: {event.subject} {event.message}")
        progress.update(requests, detail=self._request_detail())
        progress.update(packages, detail=self._package_detail())

    def _received(self, size: int) -> None:
        now = self._clock()
        self._bytes += size
        self._recent.append((now, size))
        while len(self._recent) > 1 and now - self._recent[0][0] > _SPEED_WINDOW:
            self._recent.popleft()

    def _request_detail(self) -> str:
        counts = {state: 0 for state in ("accepted", "pending", "retrying")}
        for state in self._states.values():
            counts[state] += 1
        names = {"accepted": "accepted", "pending": "pending at SAT", "retrying": "retrying"}
        return ", ".join(f"{counts[s]} {names[s]}" for s in names if counts[s])

    def _package_detail(self) -> str:
        parts = []
        if self._bytes:
            parts.append(f"{self._bytes / 1e6:.1f} MB at {self._speed() / 1e6:.1f} MB/s")
        if self._retrying_packages:
            parts.append(f"{len(self._retrying_packages)} retrying")
        return ", ".join(parts)

    def _speed(self) -> float:
        """Bytes per second over the last few seconds of downloading."""
        if len(self._recent) < 2:
            return 0.0
        span = self._recent[-1][0] - self._recent[0][0]
        return sum(size for _, size in list(self._recent)[1:]) / span if span > 0 else 0.0

    def echo(self, text: str) -> None:
        """A line of the final report (stdout)."""
        if not self.as_json:
            click.echo(text)

    def record(self, record: dict[str, Any]) -> None:
        """A JSON line of the final report (stdout), only in JSON mode."""
        if self.as_json:
            click.echo(json.dumps(record, default=str))
