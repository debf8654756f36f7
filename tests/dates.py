"""Test periods relative to today in Mexico City, the day SAT's six-year window moves with.

A fake SAT runs on the real clock, so a fixed date would leave the window one day (in six
years) and the tests with it; ``month_ago(2)`` is always a whole, past month SAT still serves.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sat_zeep.client.sat_client import MEXICO_TIME

__all__ = ["month_ago", "today_in_mexico"]


def today_in_mexico() -> date:
    """The calendar day in Mexico City now."""
    return datetime.now(MEXICO_TIME).date()


def month_ago(months: int) -> tuple[date, date]:
    """First and last day of the calendar month ``months`` before this one."""
    today = today_in_mexico()
    index = today.year * 12 + today.month - 1 - months
    first = date(index // 12, index % 12 + 1, 1)
    following = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return first, following - timedelta(days=1)
