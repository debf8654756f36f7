"""What a sync tells its caller while it runs, and what it says when it ends.

Events go to a callback (the CLI draws progress bars, prints log lines or JSON from them)::

    SyncEvent("accepted", "cfdi emitidos metadata 2025-01-01_2025-01-31", id_solicitud="…")
    SyncEvent("downloaded", "…", id_paquete="…_01", size=123456)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Event kinds, in the order a request lives them.
KINDS = (
    "planned",
    "accepted",
    "pending",
    "finished",
    "empty",
    "split",
    "expired",
    "download-started",
    "download-progress",
    "downloaded",
    "failed",
    "retrying",
    "waiting",
)


@dataclass(frozen=True)
class SyncEvent:
    """One thing that happened; ``subject`` names the request (service, direction, kind, period)."""

    kind: str
    subject: str
    message: str = ""
    id_solicitud: str | None = None
    id_paquete: str | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown sync event kind {self.kind!r}; one of {KINDS}")

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


EventSink = Callable[[SyncEvent], None]


def ignore(event: SyncEvent) -> None:
    """The default sink."""
    del event


@dataclass
class SyncSummary:
    """The outcome of one run: counts, failures and what to do next."""

    requests: dict[str, int] = field(default_factory=dict)
    packages: dict[str, int] = field(default_factory=dict)
    #: Documents SAT reported per kind (``Metadata`` rows, ``CFDI`` XML) in finished requests.
    documents: dict[str, int] = field(default_factory=dict)
    #: Bytes of every package downloaded into the folder so far.
    bytes_downloaded: int = 0
    failures: list[str] = field(default_factory=list)
    pending_at_sat: int = 0

    @property
    def complete(self) -> bool:
        """Everything asked for is downloaded (or SAT had nothing), and nothing failed."""
        return not self.failures and self.pending_at_sat == 0 and not self._open_packages

    @property
    def _open_packages(self) -> int:
        return sum(self.packages.get(status, 0) for status in ("pending", "downloading"))

    def next_step(self) -> str:
        """One sentence: what to run next."""
        if self.complete:
            return "Everything is downloaded; run the same command later to pick up new documents."
        if self.pending_at_sat or self._open_packages:
            return (
                f"{self.pending_at_sat} request(s) are still being prepared by SAT; run the same "
                "command later to resume (nothing will be requested twice)."
            )
        return "Some parts failed (see above); fix the cause and run the same command again."

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete, "next": self.next_step()}
