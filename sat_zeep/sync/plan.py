"""What a sync asks SAT for: the job, and the periods it is cut into.

A job covers a date range, one or both directions, one or both kinds, for one service::

    SyncJob(start=date(2025, 1, 1), end=date(2025, 12, 31), directions=("emitidos",),
            kinds=(TipoSolicitud.METADATA, TipoSolicitud.CFDI))

Each (direction, kind) is requested month by month. When SAT answers 5003 (too many documents)
the period is halved, down to a minimum, and asked for again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..client.codes import EstadoComprobante, TipoSolicitud
from ..soap.endpoints import ServiceType

DIRECTIONS = ("emitidos", "recibidos")
#: A period is never halved below this (SAT requires at least two seconds anyway).
MINIMUM_PERIOD = timedelta(minutes=1)


@dataclass(frozen=True)
class SyncJob:
    """Everything one sync run is asked to download."""

    start: date
    end: date
    directions: tuple[str, ...] = DIRECTIONS
    kinds: tuple[TipoSolicitud, ...] = (TipoSolicitud.METADATA, TipoSolicitud.CFDI)
    service: ServiceType = ServiceType.CFDI
    #: Re-request periods whose packages expired (72 hours) before they were downloaded.
    rerequest_expired: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.end < self.start:
            problems.append(f"the period ends ({self.end}) before it starts ({self.start})")
        unknown = [d for d in self.directions if d not in DIRECTIONS]
        if unknown or not self.directions:
            problems.append(f"directions must be among {DIRECTIONS}, not {self.directions}")
        if not self.kinds:
            problems.append("at least one kind (metadata, cfdi) is needed")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Period:
    """An inclusive range of seconds, as SAT reads FechaInicial and FechaFinal."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """A folder name: ``2025-01-01_2025-01-31``, with times when not whole days."""
        whole = self.start.time() == datetime.min.time() and self.end.time() == _END_OF_DAY
        form = "%Y-%m-%d" if whole else "%Y-%m-%dT%H%M%S"
        return f"{self.start.strftime(form)}_{self.end.strftime(form)}"

    def halves(self) -> tuple[Period, Period] | None:
        """The two halves of the period, or None when it is too short to split."""
        span = self.end - self.start
        if span < 2 * MINIMUM_PERIOD:
            return None
        middle = self.start + timedelta(seconds=int(span.total_seconds()) // 2)
        return Period(self.start, middle), Period(middle + timedelta(seconds=1), self.end)


_END_OF_DAY = datetime.max.time().replace(microsecond=0)


def months(start: date, end: date, today: date) -> list[Period]:
    """The calendar months covering ``start``..``end`` (not past ``today``), clipped to it."""
    last = min(end, today)
    periods = []
    cursor = start
    while cursor <= last:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        until = min(next_month - timedelta(days=1), last)
        periods.append(
            Period(
                datetime.combine(cursor, datetime.min.time()), datetime.combine(until, _END_OF_DAY)
            )
        )
        cursor = next_month
    return periods


def estado_for(direction: str, kind: TipoSolicitud) -> EstadoComprobante:
    """SAT serves received XML only when Vigente; everything else is asked for whole."""
    if direction == "recibidos" and kind is not TipoSolicitud.METADATA:
        return EstadoComprobante.VIGENTE
    return EstadoComprobante.TODOS
