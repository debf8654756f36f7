"""Typed metadata rows (CFDI and Retenciones) and their conversion from raw fields.

Rows are slotted dataclasses, not pydantic models: a package holds up to 1,000,000 of them.
Columns are matched to fields by header name (case and spaces ignored), so column order does not
matter; columns this module does not know are kept, as text, in ``extra``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from types import MappingProxyType
from typing import Any, cast

__all__ = [
    "CFDI_COLUMNS",
    "CfdiMetadata",
    "Estatus",
    "MetadataRow",
    "RetencionesMetadata",
    "RowBuilder",
    "RowValueError",
    "Terceros",
    "row_builder",
]


class Estatus(IntEnum):
    """``Estatus`` of a metadata row: ``1`` vigente, ``0`` cancelado."""

    CANCELADO = 0
    VIGENTE = 1


_NO_EXTRA: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CfdiMetadata:
    """One row of a CFDI metadata package.

    ``efecto_comprobante`` keeps SAT's letter (I, E, T, N, P). The ``*_a_cuenta_terceros`` fields
    come from the package's ``_tercero.txt`` entry, when the document has one.
    """

    uuid: str
    rfc_emisor: str
    nombre_emisor: str
    rfc_receptor: str
    nombre_receptor: str
    rfc_pac: str
    fecha_emision: datetime
    fecha_certificacion_sat: datetime
    monto: Decimal
    efecto_comprobante: str
    estatus: Estatus
    fecha_cancelacion: datetime | None
    rfc_a_cuenta_terceros: str | None = None
    nombre_a_cuenta_terceros: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: _NO_EXTRA)

    @property
    def vigente(self) -> bool:
        """``True`` unless the document was cancelled."""
        return self.estatus is Estatus.VIGENTE


@dataclass(frozen=True, slots=True)
class RetencionesMetadata:
    """One row of a Retenciones metadata package.

    SAT does not publish this layout, so every field is optional: ``None`` when its column is
    absent. Columns: ``MontoTotOperacion``, ``MontoTotGravado`` (or ``MontoTotGrav``), …
    """

    uuid: str
    rfc_emisor: str | None = None
    nombre_emisor: str | None = None
    rfc_receptor: str | None = None
    nombre_receptor: str | None = None
    rfc_pac: str | None = None
    fecha_emision: datetime | None = None
    fecha_certificacion_sat: datetime | None = None
    monto_tot_operacion: Decimal | None = None
    monto_tot_gravado: Decimal | None = None
    monto_tot_exento: Decimal | None = None
    monto_tot_retenido: Decimal | None = None
    estatus: Estatus | None = None
    fecha_cancelacion: datetime | None = None
    rfc_a_cuenta_terceros: str | None = None
    nombre_a_cuenta_terceros: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: _NO_EXTRA)


MetadataRow = CfdiMetadata | RetencionesMetadata
#: A package's terceros: UUID in upper case → (RfcACuentaTerceros, NombreACuentaTerceros).
Terceros = Mapping[str, tuple[str, str]]
#: Builds a typed row from one raw row and the package's terceros; raises RowValueError.
RowBuilder = Callable[[Sequence[str], Terceros], MetadataRow]

_ESTATUS = {"1": Estatus.VIGENTE, "0": Estatus.CANCELADO}


def _estatus(text: str) -> Estatus:
    try:
        return _ESTATUS[text.strip()]
    except KeyError:
        raise ValueError(f"Estatus {text!r} is neither 1 (vigente) nor 0 (cancelado)") from None


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def _optional_date(text: str) -> datetime | None:
    return datetime.fromisoformat(text.strip()) if text.strip() else None


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    return value


def _optional_amount(text: str) -> Decimal | None:
    return _amount(text) if text.strip() else None


def _text(text: str) -> str:
    return text


# field name, header names (normalized), converter
_CFDI_FIELDS: tuple[tuple[str, tuple[str, ...], Callable[[str], Any]], ...] = (
    ("uuid", ("uuid",), str.strip),
    ("rfc_emisor", ("rfcemisor",), _text),
    ("nombre_emisor", ("nombreemisor",), _text),
    ("rfc_receptor", ("rfcreceptor",), _text),
    ("nombre_receptor", ("nombrereceptor",), _text),
    ("rfc_pac", ("rfcpac",), _text),
    ("fecha_emision", ("fechaemision",), _date),
    ("fecha_certificacion_sat", ("fechacertificacionsat",), _date),
    ("monto", ("monto",), _amount),
    ("efecto_comprobante", ("efectocomprobante",), str.strip),
    ("estatus", ("estatus",), _estatus),
    ("fecha_cancelacion", ("fechacancelacion",), _optional_date),
)
_RETENCIONES_FIELDS: tuple[tuple[str, tuple[str, ...], Callable[[str], Any]], ...] = (
    *(spec for spec in _CFDI_FIELDS[:6]),
    ("fecha_emision", ("fechaemision",), _optional_date),
    ("fecha_certificacion_sat", ("fechacertificacionsat",), _optional_date),
    ("monto_tot_operacion", ("montototoperacion", "monto"), _optional_amount),
    ("monto_tot_gravado", ("montototgravado", "montototgrav"), _optional_amount),
    ("monto_tot_exento", ("montototexento", "montototexent"), _optional_amount),
    ("monto_tot_retenido", ("montototretenido", "montototret"), _optional_amount),
    ("estatus", ("estatus",), lambda text: _estatus(text) if text.strip() else None),
    ("fecha_cancelacion", ("fechacancelacion",), _optional_date),
)
#: The published CFDI metadata columns, in SAT's order.
CFDI_COLUMNS = (
    "Uuid",
    "RfcEmisor",
    "NombreEmisor",
    "RfcReceptor",
    "NombreReceptor",
    "RfcPac",
    "FechaEmision",
    "FechaCertificacionSat",
    "Monto",
    "EfectoComprobante",
    "Estatus",
    "FechaCancelacion",
)


def normalize(column: str) -> str:
    """A header name as matched: ``" Fecha Emision"`` → ``"fechaemision"``."""
    return "".join(column.split()).lower()


def is_cfdi_header(header: Sequence[str]) -> bool:
    """Whether ``header`` holds every published CFDI metadata column."""
    present = {normalize(column) for column in header}
    return all(normalize(column) in present for column in CFDI_COLUMNS)


class RowValueError(ValueError):
    """A value of a raw row does not parse; ``fields`` is the row, ``reason`` what is wrong."""

    def __init__(self, fields: Sequence[str], reason: Exception) -> None:
        super().__init__(str(reason))
        self.fields = fields
        self.reason = reason


def row_builder(header: Sequence[str], service: str) -> RowBuilder:
    """A fast function turning raw rows of this ``header`` into typed rows of ``service``.

    It is called with the raw fields and the package's terceros (UUID in upper case → RFC and
    name, maybe empty) and raises ``RowValueError`` when a value does not parse.
    """
    specs = _CFDI_FIELDS if service == "cfdi" else _RETENCIONES_FIELDS
    positions = {normalize(column): index for index, column in enumerate(header)}
    if "uuid" not in positions:
        raise ValueError(f"the header has no Uuid column: {list(header)!r}")
    plan: list[tuple[str, int, Callable[[str], Any]]] = []
    used: set[int] = set()
    for attribute, names, convert in specs:
        index = next((positions[name] for name in names if name in positions), None)
        if index is None:
            if service == "cfdi":
                raise ValueError(f"the header lacks the {names[0]!r} column: {list(header)!r}")
            continue
        plan.append((attribute, index, convert))
        used.add(index)
    extras = tuple((column, index) for index, column in enumerate(header) if index not in used)
    cls: type[CfdiMetadata] | type[RetencionesMetadata] = (
        CfdiMetadata if service == "cfdi" else RetencionesMetadata
    )
    uuid_at = positions["uuid"]

    def build(fields: Sequence[str], terceros: Terceros) -> MetadataRow:
        try:
            values = {name: convert(fields[index]) for name, index, convert in plan}
        except (ValueError, ArithmeticError) as error:
            raise RowValueError(fields, error) from None
        tercero = terceros.get(fields[uuid_at].strip().upper()) if terceros else None
        if tercero is not None:
            values["rfc_a_cuenta_terceros"], values["nombre_a_cuenta_terceros"] = tercero
        if extras:
            values["extra"] = {column: fields[index] for column, index in extras}
        return cls(**values)

    if service == "cfdi" and not extras and [index for _, index, _ in plan] == list(range(12)):
        return cast(RowBuilder, _SatOrderCfdi)
    return build


class _SatOrderCfdi:
    """Builds a ``CfdiMetadata`` from a row of exactly SAT's 12 columns in SAT's order.

    ``CfdiMetadata`` is frozen, so its own ``__init__`` sets each of its 15 fields through
    ``object.__setattr__`` (about 5 times as slow as plain slot stores, by hand). This class has
    the same slots, so it sets them with plain assignments, then becomes a ``CfdiMetadata`` (an
    assignment of ``__class__``, allowed between classes of one layout): the result is an
    ordinary, frozen ``CfdiMetadata``. Calling the class is the builder.
    """

    __slots__ = CfdiMetadata.__slots__
    uuid: str
    rfc_emisor: str
    nombre_emisor: str
    rfc_receptor: str
    nombre_receptor: str
    rfc_pac: str
    fecha_emision: datetime
    fecha_certificacion_sat: datetime
    monto: Decimal
    efecto_comprobante: str
    estatus: Estatus
    fecha_cancelacion: datetime | None
    rfc_a_cuenta_terceros: str | None
    nombre_a_cuenta_terceros: str | None
    extra: Mapping[str, str]

    def __init__(self, fields: Sequence[str], terceros: Terceros) -> None:
        try:
            (
                uuid,
                rfc_e,
                name_e,
                rfc_r,
                name_r,
                pac,
                issued,
                stamped,
                monto,
                efecto,
                estatus,
                cancel,
            ) = fields
            self.uuid = uuid = uuid.strip()
            self.rfc_emisor = rfc_e
            self.nombre_emisor = name_e
            self.rfc_receptor = rfc_r
            self.nombre_receptor = name_r
            self.rfc_pac = pac
            self.fecha_emision = _fromisoformat(issued)
            self.fecha_certificacion_sat = _fromisoformat(stamped)
            try:
                amount = Decimal(monto)
            except InvalidOperation:
                raise ValueError(f"{monto!r} is not an amount") from None
            if not amount.is_finite():
                raise ValueError(f"{monto!r} is not an amount")
            self.monto = amount
            self.efecto_comprobante = efecto.strip()
            try:
                self.estatus = _ESTATUS[estatus]
            except KeyError:
                self.estatus = _estatus(estatus)
            self.fecha_cancelacion = _fromisoformat(cancel) if cancel else None
        except (ValueError, ArithmeticError) as error:
            raise RowValueError(fields, error) from None
        tercero = terceros.get(uuid.upper()) if terceros else None
        if tercero is None:
            self.rfc_a_cuenta_terceros = self.nombre_a_cuenta_terceros = None
        else:
            self.rfc_a_cuenta_terceros, self.nombre_a_cuenta_terceros = tercero
        self.extra = _NO_EXTRA
        self.__class__ = CfdiMetadata  # type: ignore[assignment]


_fromisoformat = datetime.fromisoformat
