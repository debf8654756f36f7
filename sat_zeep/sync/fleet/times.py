"""Times as the fleet stores them: ISO text in UTC, which sorts as it compares.

>>> stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
'2026-01-02T03:04:05.000000Z'
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["parse", "stamp", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime | None) -> str | None:
    """``moment`` (aware) as fixed-width UTC text, or None."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str | None) -> datetime | None:
    """The inverse of ``stamp``."""
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
