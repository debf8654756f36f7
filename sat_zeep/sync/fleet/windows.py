"""Which periods a taxpayer keeps in sync, and what each attempt at one asks SAT for.

A taxpayer has a fixed window (``start_date``..``end_date``) or a rolling one (the last
``since_days`` days, up to today). Each (direction, kind) is asked for month by month, the
current month up to today::

    key         AAA010101AAA|cfdi|emitidos|CFDI|2026-09-01T00:00:00|2026-09-30T23:59:59
    parameters  cfdi|emitidos|CFDI|Todos|2026-09-01T00:00:00|2026-09-30T23:59:59  (Todos: Estado)

Attempt ``variant`` of a period asks for ``variant`` seconds more (it starts earlier, or at SAT's
six-year edge it ends later), so that no two attempts are ever the same Solicitud.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ...client.codes import TipoSolicitud
from ...client.parameters import earliest_start
from ..plan import Period, estado_for, months
from .rows import PeriodRow, TaxpayerRow
from .store import NewPeriod

__all__ = ["parameters_of", "plan_for", "sent_period", "window_of"]


def window_of(taxpayer: TaxpayerRow, today: date) -> tuple[date, date]:
    """The first and last day the taxpayer keeps in sync, as of ``today``.

    An open end stops at yesterday (whole days only). A rolling window starts on the first of
    the month ``since_days`` ago, so its months keep their keys from day to day: each day asks
    for the current month so far (a new period, so the recent past's metadata is asked for
    again and cancellations show up), and a month that ended is asked for once, whole.
    """
    yesterday = today - timedelta(days=1)
    if taxpayer.since_days is not None:
        start = (today - timedelta(days=taxpayer.since_days)).replace(day=1)
    else:
        start = date.fromisoformat(taxpayer.start_date or yesterday.isoformat())
    end = date.fromisoformat(taxpayer.end_date) if taxpayer.end_date else yesterday
    return start, min(end, yesterday)


def plan_for(taxpayer: TaxpayerRow, today: date) -> list[NewPeriod]:
    """The periods of the taxpayer's window (each direction and kind, month by month)."""
    start, end = window_of(taxpayer, today)
    planned = []
    for period in months(start, end, end):
        for direction in taxpayer.directions.split(","):
            for kind in taxpayer.kinds.split(","):
                planned.append(new_period(taxpayer.rfc, taxpayer.service, direction, kind, period))
    return planned


def new_period(
    rfc: str, service: str, direction: str, kind: str, period: Period, parent: str | None = None
) -> NewPeriod:
    start, end = period.start.isoformat(), period.end.isoformat()
    key = "|".join((rfc, service, direction, kind, start, end))
    return NewPeriod(key, direction, kind, start, end, parent)


def parameters_of(period: PeriodRow, service: str) -> str:
    """The planned period's request parameters as one text (the attempts' unique key)."""
    estado = estado_for(period.direction, TipoSolicitud(period.kind))
    return "|".join(
        (
            service,
            period.direction,
            period.kind,
            estado.value,
            period.period_start,
            period.period_end,
        )
    )


def sent_period(period: PeriodRow, variant: int, today: date) -> tuple[datetime, datetime]:
    """What attempt ``variant`` asks for: ``variant`` seconds wider than the period."""
    start = datetime.fromisoformat(period.period_start)
    end = datetime.fromisoformat(period.period_end)
    shift = timedelta(seconds=variant)
    if start - shift >= earliest_start(today):
        return start - shift, end
    return start, end + shift
