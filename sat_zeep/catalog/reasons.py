"""Why a CFDI listed in the metadata has no XML in the catalog.

``cancelled``: a cancelled received CFDI (SAT sends no XML for those). The others come from the
sync's state: ``not_requested`` (no XML request covers its emission time), ``pending`` (requested,
not yet downloaded), ``failed`` (the request or its package failed or expired) and
``unexplained`` (a downloaded package covers it, yet it is not in it). A request the sync asked
for again (``replaced``: both downloads of a package spent) is left to the request that replaced
it, as a ``split`` one is left to its halves.
"""

from __future__ import annotations

from datetime import datetime

from .sync_state import RequestState

__all__ = ["MISSING_REASONS", "reason_missing"]

MISSING_REASONS = ("cancelled", "not_requested", "pending", "failed", "unexplained")

_PENDING = {"planned", "submitting", "accepted", "unconfirmed"}
_FAILED = {"failed", "expired", "exhausted"}
#: Requests whose period other requests cover now.
_HANDED_ON = {"split", "replaced"}


def reason_missing(requests: list[RequestState], direction: str, issued: datetime) -> str:
    """The reason the XML of a document issued at ``issued`` is missing (not ``cancelled``)."""
    covering = [
        r
        for r in requests
        if r.direction == direction
        and r.kind == "cfdi"
        and r.status not in _HANDED_ON
        and r.start <= issued <= r.end
    ]
    if not covering:
        return "not_requested"
    outcomes = {_outcome(r) for r in covering}
    for reason in ("pending", "failed"):
        if reason in outcomes:
            return reason
    return "unexplained"


def _outcome(request: RequestState) -> str:
    if request.status in _PENDING:
        return "pending"
    if request.status in _FAILED:
        return "failed"
    if any(status in _FAILED for status in request.package_statuses):
        return "failed"
    if any(status != "downloaded" for status in request.package_statuses):
        return "pending"
    return "done"
