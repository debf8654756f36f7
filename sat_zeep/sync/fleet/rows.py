"""Rows of the fleet store as frozen values (what ``FleetStore`` returns)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from .times import parse

__all__ = ["AttemptRow", "PackageRow", "PeriodRow", "RequestRow", "TaxpayerRow", "from_row"]

RowT = TypeVar("RowT")
#: Columns stored as ``stamp`` text and read back as datetimes.
_TIMES = {"held_since", "next_due", "not_before", "next_check", "updated", "created", "added_at"}


def from_row(cls: type[RowT], row: dict[str, Any]) -> RowT:
    """``cls`` built from the columns it names (times parsed)."""
    values = {}
    for field in fields(cls):  # type: ignore[arg-type]
        value = row.get(field.name)
        values[field.name] = parse(value) if field.name in _TIMES else value
    return cls(**values)


@dataclass(frozen=True)
class TaxpayerRow:
    """A taxpayer of the fleet: where its e.firma lives on the workers, which window it keeps."""

    rfc: str
    service: str
    certificate: str
    private_key: str
    password_env: str | None
    password_file: str | None
    start_date: str | None
    end_date: str | None
    since_days: int | None
    directions: str
    kinds: str
    fence: int
    holder: str | None
    held_since: datetime | None
    next_due: datetime | None
    planned_on: str | None
    last_error: str | None


@dataclass(frozen=True)
class PeriodRow:
    """A period of one (direction, kind) to bring in, and the retry state of its Solicitud."""

    key: str
    rfc: str
    direction: str
    kind: str
    period_start: str
    period_end: str
    parent: str | None
    status: str
    variant: int
    attempts: int
    not_before: datetime | None
    last_error: str | None
    id_solicitud: str | None
    codigo: int | None
    numero_cfdis: int


@dataclass(frozen=True)
class AttemptRow:
    """One SolicitaDescarga about to be sent (append-only)."""

    id: int
    rfc: str
    parameters: str
    variant: int
    period_key: str
    sent_start: str
    sent_end: str
    fence: int
    worker: str | None
    created: datetime | None


@dataclass(frozen=True)
class RequestRow:
    """A request SAT accepted (its IdSolicitud) and how its verification goes."""

    id_solicitud: str
    attempt_id: int
    rfc: str
    period_key: str
    status: str
    checks: int
    errors: int
    next_check: datetime | None
    numero_cfdis: int
    last_error: str | None


@dataclass(frozen=True)
class PackageRow:
    """A package of a finished request; ``path`` is relative to the output folder."""

    id_paquete: str
    rfc: str
    period_key: str
    id_solicitud: str
    status: str
    downloads_used: int
    path: str
    size: int | None
    sha256: str | None
    errors: int
    not_before: datetime | None
    last_error: str | None
