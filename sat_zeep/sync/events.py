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
    #: Requests accepted by SAT and still being prepared.
    pending_at_sat: int = 0
    #: Requests not yet accepted after transient failures (tried again on the next run).
    to_retry: int = 0
    #: Periods asked for again as new requests (a package ran out of downloads or expired).
    asked_again: list[str] = field(default_factory=list)
    #: ``"unreachable"`` (no call of this run reached SAT) or ``"failing"`` (SAT answered
    #: every call with an error), else None.
    outage: str | None = None
    #: Why downloads stopped in this run (the folder is full or unwritable), else None.
    blocked: str | None = None
    #: The last transient error of this run, for the ``next:`` line.
    last_error: str = ""

    @property
    def complete(self) -> bool:
        """Everything asked for is downloaded (or SAT had nothing), and nothing failed."""
        return (
            not self.failures
            and self.pending_at_sat == 0
            and self.to_retry == 0
            and not self._open_packages
            and self.blocked is None
        )

    @property
    def _open_packages(self) -> int:
        return sum(self.packages.get(status, 0) for status in ("pending", "downloading"))

    def next_step(self) -> str:
        """One sentence: what a rerun of the same command will do."""
        if self.complete:
            return "Everything is downloaded; run the same command later to pick up new documents."
        last = f" (last error: {_short(self.last_error)})" if self.last_error else ""
        if self.blocked:
            return (
                f"Downloads stopped: {self.blocked}; no download was used for what is left. Free "
                "some space (or fix the folder) and run the same command again."
            )
        if self.outage == "unreachable":
            return (
                f"SAT could not be reached{last}; nothing was sent, so nothing was spent or left "
                "unconfirmed. Run the same command when the network is back."
            )
        if self.outage == "failing":
            return (
                f"SAT answered every call with an error{last}; what is left will be retried "
                "(downloads left are kept). Run the same command later."
            )
        if self.failures:
            return (
                "Some parts failed for good (see the 'failed:' lines); a rerun will not retry "
                "them: fix the cause (--rerequest-expired asks again for expired periods)."
            )
        parts = []
        if self.pending_at_sat:
            parts.append(f"{self.pending_at_sat} request(s) are still being prepared by SAT")
        waiting = self.to_retry + self._open_packages
        if waiting:
            parts.append(f"{waiting} part(s) will be tried again{last}")
        return (
            f"{'; '.join(parts)}; run the same command later to resume "
            "(nothing will be requested or downloaded twice)."
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete, "next": self.next_step()}


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
