"""Request payloads for zeep, checked before anything is sent to SAT.

Each builder returns the ``solicitud``/``peticionDescarga`` mapping zeep serializes: keys are
SAT's attribute names, and empty values are left out. Every problem found is reported at once in
one ``RequestValidationError``::

    folio(folio="2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10", rfc_solicitante="axt940727fp8")
    # {'RfcSolicitante': 'AXT940727FP8', 'Folio': '2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10'}

Rules (SAT's v1.5 documentation and what production clients learned):

- RFCs are upper-cased, then must look like an RFC (12 characters for a persona moral, 13 for a
  persona física, ``&`` and ``Ñ`` allowed, generic ``XAXX010101000``/``XEXX010101000`` too).
- Dates: a ``date`` means 00:00:00 for ``FechaInicial`` and 23:59:59 for ``FechaFinal``; a naive
  ``datetime`` (Mexico City time) is sent to the second; a string must read
  ``YYYY-MM-DDTHH:MM:SS``; aware datetimes are refused. ``FechaInicial < FechaFinal``; the period
  may not start more than six years before ``today`` nor end after ``today``.
- ``TipoSolicitud``, ``TipoComprobante`` and ``EstadoComprobante`` take an enum member or its
  exact wire value; ``Complemento`` must be in ``sat_zeep.client.complementos`` for the service.
- Emitidos: at most 5 ``RfcReceptores``; ``RfcSolicitante``, when sent, equals ``RfcEmisor``.
- Recibidos: ``RfcSolicitante``, when sent, equals ``RfcReceptor``; XML (``TipoSolicitud``
  ``CFDI``) requires ``EstadoComprobante`` ``Vigente``.
"""

from __future__ import annotations

import difflib
import enum
import re
from datetime import date, datetime, time
from typing import Any, TypeVar

from ..errors import RequestValidationError
from ..soap.endpoints import ServiceType
from .codes import EstadoComprobante, TipoComprobante, TipoSolicitud
from .complementos import complementos

__all__ = [
    "MAX_RFC_RECEPTORES",
    "YEARS_AVAILABLE",
    "descarga",
    "emitidos",
    "folio",
    "recibidos",
    "verifica",
]

#: SAT accepts at most this many ``RfcReceptor`` in one Emitidos request.
MAX_RFC_RECEPTORES = 5
#: How far back SAT serves documents, in years before today.
YEARS_AVAILABLE = 6

Fecha = date | datetime | str
EnumT = TypeVar("EnumT", bound=enum.Enum)

_RFC_DATE = re.compile(r"[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])")
_RFC = re.compile(r"[A-ZÑ&]{3,4}" + _RFC_DATE.pattern + r"[A-Z0-9]{2}[0-9A]")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_PAQUETE = re.compile(_UUID.pattern + r"_[0-9]{1,6}")
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_START_OF_DAY = time(0, 0, 0)
_END_OF_DAY = time(23, 59, 59)
_RFC_EXAMPLE = (
    "12 characters for a persona moral (e.g. 'AXT940727FP8') or 13 for a persona física "
    "(e.g. 'VADA800927DJ3'), or the generic 'XAXX010101000'/'XEXX010101000'"
)
_UUID_EXAMPLE = "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX (36 hexadecimal characters and hyphens)"


def is_rfc(text: str) -> bool:
    """Whether ``text`` (upper case) has an RFC's shape: letters, a valid date, homoclave."""
    return _RFC.fullmatch(text) is not None


def rfc_problem(text: str) -> str:
    """What is wrong with ``text`` (upper case, not an RFC), part by part.

    ``AXT`` letters (4 for a persona física), ``940727`` a date YYMMDD, ``FP`` the homoclave,
    ``8`` the check digit (0-9 or A).
    """
    if len(text) not in (12, 13):
        return f"it has {len(text)} characters: expected {_RFC_EXAMPLE}"
    letters = len(text) - 9
    name, born, homoclave, check_digit = text[:letters], text[letters:-3], text[-3:-1], text[-1]
    if not re.fullmatch(r"[A-ZÑ&]+", name):
        return f"{name!r} must be letters (3 for a persona moral, 4 for a persona física)"
    if not _RFC_DATE.fullmatch(born):
        return f"{born!r} is not a date (YYMMDD)"
    if not re.fullmatch(r"[A-Z0-9]{2}", homoclave):
        return f"the homoclave {homoclave!r} must be 2 letters or digits"
    return f"its last character {check_digit!r} is the check digit: 0-9 or A"


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a UUID written with hyphens (a folio or an IdSolicitud)."""
    return _UUID.fullmatch(text) is not None


def is_id_paquete(text: str) -> bool:
    """Whether ``text`` has a package id's shape: ``<IdSolicitud>_<number>`` (``…_01``)."""
    return _PAQUETE.fullmatch(text) is not None


class _Checker:
    """Collects every problem of one request, then raises them together."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.problems: list[str] = []
        self.cli_problems: list[str] = []

    def add(self, problem: str, *, cli: str | None = None) -> None:
        """Note ``problem``; ``cli`` is its wording for the command line, when that differs."""
        self.problems.append(problem)
        self.cli_problems.append(problem if cli is None else cli)

    def done(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Raise if anything was wrong; else the payload without empty values."""
        if self.problems:
            raise RequestValidationError(
                self.operation, self.problems, cli_problems=self.cli_problems
            )
        return {key: value for key, value in payload.items() if value not in (None, "")}

    def rfc(self, field: str, value: object, *, required: bool) -> str | None:
        """An upper-cased valid RFC, or None (after noting why, when it matters)."""
        if value is None or value == "":
            if required:
                self.add(f"{field} is required: pass the taxpayer's RFC")
            return None
        if not isinstance(value, str):
            self.add(f"{field} must be an RFC string, not {type(value).__name__}")
            return None
        upper = value.upper()
        if not _RFC.fullmatch(upper):
            self.add(f"{field} {value!r} is not a valid RFC: {rfc_problem(upper)}")
            return None
        return upper

    def fecha(self, field: str, value: object, *, end: bool) -> datetime | None:
        """The naive datetime SAT will read, or None after noting the problem."""
        if isinstance(value, datetime):
            if value.tzinfo is not None and value.utcoffset() is not None:
                self.add(
                    f"{field} {value.isoformat()} has a time zone: pass a naive datetime in "
                    "Mexico City time (SAT reads dates without a zone)"
                )
                return None
            return value.replace(microsecond=0, tzinfo=None)
        if isinstance(value, date):
            return datetime.combine(value, _END_OF_DAY if end else _START_OF_DAY)
        if isinstance(value, str):
            try:
                return datetime.strptime(value, _DATE_FORMAT)
            except ValueError:
                self.add(
                    f"{field} {value!r} is not a date SAT understands: pass a date, a naive "
                    "datetime or a string formatted YYYY-MM-DDTHH:MM:SS (e.g. 2025-01-31T23:59:59)"
                )
                return None
        if value is None:
            self.add(f"{field} is required: pass a date or a naive datetime")
        else:
            self.add(f"{field} must be a date or a naive datetime, not {type(value).__name__}")
        return None

    def periodo(self, inicial: object, final: object, today: date) -> tuple[str | None, str | None]:
        """``FechaInicial`` and ``FechaFinal`` as SAT's strings, after the period rules."""
        start = self.fecha("FechaInicial", inicial, end=False)
        stop = self.fecha("FechaFinal", final, end=True)
        today = today.date() if isinstance(today, datetime) else today
        earliest = earliest_start(today)
        latest = datetime.combine(today, _END_OF_DAY)
        if start is not None and stop is not None and start >= stop:
            self.add(
                f"FechaInicial ({start:{_DATE_FORMAT}}) must be before FechaFinal "
                f"({stop:{_DATE_FORMAT}}): SAT refuses empty or reversed periods; "
                "swap them or widen the period"
            )
        if start is not None and start < earliest:
            self.add(
                f"FechaInicial ({start:{_DATE_FORMAT}}) is older than SAT serves: start on or "
                f"after {earliest:{_DATE_FORMAT}} ({YEARS_AVAILABLE} years before today)"
            )
        if stop is not None and stop > latest:
            self.add(
                f"FechaFinal ({stop:{_DATE_FORMAT}}) is in the future: end the period today "
                f"({today.isoformat()}) at the latest"
            )
        return (
            None if start is None else start.strftime(_DATE_FORMAT),
            None if stop is None else stop.strftime(_DATE_FORMAT),
        )

    def choice(
        self, field: str, value: object, kind: type[EnumT], *, required: bool
    ) -> EnumT | None:
        """An enum member given as itself or as its exact wire value."""
        if value is None or value == "":
            if required:
                self.add(f"{field} is required: use one of {_values(kind)}")
            return None
        if isinstance(value, kind):
            return value
        if isinstance(value, str) and not isinstance(value, enum.Enum):
            for member in kind:
                if member.value == value:
                    return member
        hint = _enum_hint(value, kind)
        self.add(f"{field} {value!r} is not valid: use one of {_values(kind)}{hint}")
        return None

    def complemento(self, value: object, service: ServiceType) -> str | None:
        """A ``Complemento`` from the service's catalog, sent as given."""
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.add(f"Complemento must be a string, not {type(value).__name__}")
            return None
        valid = complementos(service)
        if value in valid:
            return value
        family = "Retenciones" if service is ServiceType.RETENCIONES else "CFDI"
        problem = f"Complemento {value!r} is not one SAT lists for {family}"
        lower = value.strip().lower()
        close = [lower] if lower in valid else difflib.get_close_matches(lower, sorted(valid), n=3)
        other = ServiceType.CFDI if service is ServiceType.RETENCIONES else ServiceType.RETENCIONES
        if close:
            advice = cli = f": did you mean {' or '.join(repr(match) for match in close)}?"
        elif value in complementos(other):
            advice = f": it belongs to the other service family; use Endpoints.{other.value}()"
            cli = f": it belongs to the other service family; ask with --service {other.value}"
        else:
            advice = (
                f": see sat_zeep.client.complementos.complementos(ServiceType.{service.name}), "
                "or leave it out to get every complement"
            )
            cli = (
                f": use one of {', '.join(sorted(valid))}, or leave --complemento out to get "
                "every complement"
            )
        self.add(problem + advice, cli=problem + cli)
        return None

    def uuid(
        self, field: str, value: object, *, pattern: re.Pattern[str], shape: str
    ) -> str | None:
        """A UUID-shaped identifier, sent exactly as given."""
        if value is None or value == "":
            self.add(f"{field} is required: pass {shape}")
            return None
        if not isinstance(value, str):
            self.add(f"{field} must be a string, not {type(value).__name__}")
            return None
        if not pattern.fullmatch(value):
            self.add(f"{field} {value!r} is malformed: expected {shape}")
            return None
        return value

    def same(self, field: str, value: str | None, other_field: str, other: str | None) -> None:
        """SAT requires ``RfcSolicitante``, when sent, to equal the requesting side's RFC."""
        if value is not None and other is not None and value != other:
            self.add(
                f"{field} {value!r} must be the same RFC as {other_field} {other!r} "
                f"(SAT rejects the request otherwise); pass None to leave {field} out"
            )


def emitidos(
    *,
    rfc_emisor: str,
    fecha_inicial: Fecha,
    fecha_final: Fecha,
    tipo_solicitud: TipoSolicitud | str,
    rfc_receptores: tuple[str, ...] = (),
    rfc_solicitante: str | None = None,
    tipo_comprobante: TipoComprobante | str | None = None,
    estado_comprobante: EstadoComprobante | str | None = None,
    rfc_a_cuenta_terceros: str | None = None,
    complemento: str | None = None,
    service: ServiceType = ServiceType.CFDI,
    today: date,
) -> dict[str, Any]:
    """The ``solicitud`` of ``SolicitaDescargaEmitidos`` (documents ``rfc_emisor`` issued)."""
    check = _Checker("SolicitaDescargaEmitidos")
    emisor = check.rfc("RfcEmisor", rfc_emisor, required=True)
    solicitante = check.rfc("RfcSolicitante", rfc_solicitante, required=False)
    check.same("RfcSolicitante", solicitante, "RfcEmisor", emisor)
    inicial, final = check.periodo(fecha_inicial, fecha_final, today)
    receptores = _receptores(check, rfc_receptores)
    payload = {
        "RfcSolicitante": solicitante,
        "TipoSolicitud": _wire(
            check.choice("TipoSolicitud", tipo_solicitud, TipoSolicitud, required=True)
        ),
        "FechaInicial": inicial,
        "FechaFinal": final,
        "RfcEmisor": emisor,
        "TipoComprobante": _wire(
            check.choice("TipoComprobante", tipo_comprobante, TipoComprobante, required=False)
        ),
        "EstadoComprobante": _wire(
            check.choice("EstadoComprobante", estado_comprobante, EstadoComprobante, required=False)
        ),
        "RfcACuentaTerceros": check.rfc(
            "RfcACuentaTerceros", rfc_a_cuenta_terceros, required=False
        ),
        "Complemento": check.complemento(complemento, ServiceType(service)),
        "RfcReceptores": {"RfcReceptor": receptores} if receptores else None,
    }
    return check.done(payload)


def recibidos(
    *,
    rfc_receptor: str,
    fecha_inicial: Fecha,
    fecha_final: Fecha,
    tipo_solicitud: TipoSolicitud | str,
    rfc_emisor: str | None = None,
    rfc_solicitante: str | None = None,
    tipo_comprobante: TipoComprobante | str | None = None,
    estado_comprobante: EstadoComprobante | str | None = EstadoComprobante.VIGENTE,
    rfc_a_cuenta_terceros: str | None = None,
    complemento: str | None = None,
    service: ServiceType = ServiceType.CFDI,
    today: date,
) -> dict[str, Any]:
    """The ``solicitud`` of ``SolicitaDescargaRecibidos`` (documents ``rfc_receptor`` received)."""
    check = _Checker("SolicitaDescargaRecibidos")
    receptor = check.rfc("RfcReceptor", rfc_receptor, required=True)
    solicitante = check.rfc("RfcSolicitante", rfc_solicitante, required=False)
    check.same("RfcSolicitante", solicitante, "RfcReceptor", receptor)
    inicial, final = check.periodo(fecha_inicial, fecha_final, today)
    tipo = check.choice("TipoSolicitud", tipo_solicitud, TipoSolicitud, required=True)
    estado = check.choice(
        "EstadoComprobante", estado_comprobante, EstadoComprobante, required=False
    )
    estado_invalid = estado is None and estado_comprobante not in (None, "")
    if (
        tipo is TipoSolicitud.CFDI
        and estado is not EstadoComprobante.VIGENTE
        and not estado_invalid
    ):
        given = "missing" if estado is None else repr(estado.value)
        check.add(
            f"EstadoComprobante is {given}, but received XML (TipoSolicitud 'CFDI') must "
            "be requested with EstadoComprobante 'Vigente': SAT does not deliver cancelled "
            "XML and rejects the request (301); request 'Metadata' to list cancelled ones"
        )
    payload = {
        "RfcSolicitante": solicitante,
        "TipoSolicitud": _wire(tipo),
        "FechaInicial": inicial,
        "FechaFinal": final,
        "RfcReceptor": receptor,
        "RfcEmisor": check.rfc("RfcEmisor", rfc_emisor, required=False),
        "TipoComprobante": _wire(
            check.choice("TipoComprobante", tipo_comprobante, TipoComprobante, required=False)
        ),
        "EstadoComprobante": _wire(estado),
        "RfcACuentaTerceros": check.rfc(
            "RfcACuentaTerceros", rfc_a_cuenta_terceros, required=False
        ),
        "Complemento": check.complemento(complemento, ServiceType(service)),
    }
    return check.done(payload)


def folio(*, folio: str, rfc_solicitante: str | None = None) -> dict[str, Any]:
    """The ``solicitud`` of ``SolicitaDescargaFolio``: one document by its UUID, sent as given."""
    check = _Checker("SolicitaDescargaFolio")
    payload = {
        "RfcSolicitante": check.rfc("RfcSolicitante", rfc_solicitante, required=False),
        "Folio": check.uuid("Folio", folio, pattern=_UUID, shape=f"a UUID, {_UUID_EXAMPLE}"),
    }
    return check.done(payload)


def verifica(*, id_solicitud: str, rfc_solicitante: str) -> dict[str, Any]:
    """The ``solicitud`` of ``VerificaSolicitudDescarga``."""
    check = _Checker("VerificaSolicitudDescarga")
    shape = f"the IdSolicitud SAT returned, {_UUID_EXAMPLE}"
    payload = {
        "IdSolicitud": check.uuid("IdSolicitud", id_solicitud, pattern=_UUID, shape=shape),
        "RfcSolicitante": check.rfc("RfcSolicitante", rfc_solicitante, required=True),
    }
    return check.done(payload)


def descarga(*, id_paquete: str, rfc_solicitante: str) -> dict[str, Any]:
    """The ``peticionDescarga`` of ``Descargar``."""
    check = _Checker("Descargar")
    shape = "a package id from VerificaSolicitudDescarga, <IdSolicitud>_<number> (e.g. …_01)"
    payload = {
        "IdPaquete": check.uuid("IdPaquete", id_paquete, pattern=_PAQUETE, shape=shape),
        "RfcSolicitante": check.rfc("RfcSolicitante", rfc_solicitante, required=True),
    }
    return check.done(payload)


def _receptores(check: _Checker, rfcs: object) -> list[str]:
    if rfcs is None:
        return []
    if isinstance(rfcs, str) or not isinstance(rfcs, (tuple, list)):
        check.add(f"RfcReceptores must be a tuple of RFCs, not {type(rfcs).__name__}")
        return []
    if len(rfcs) > MAX_RFC_RECEPTORES:
        check.add(
            f"RfcReceptores holds {len(rfcs)} RFCs but SAT accepts at most "
            f"{MAX_RFC_RECEPTORES}: split them across several requests"
        )
    valid = [
        check.rfc(f"RfcReceptores[{index}]", rfc, required=True) for index, rfc in enumerate(rfcs)
    ]
    return [rfc for rfc in valid if rfc is not None]


def _wire(member: enum.Enum | None) -> Any:
    return None if member is None else member.value


def _values(kind: type[enum.Enum]) -> str:
    return ", ".join(repr(member.value) for member in kind)


def _enum_hint(value: object, kind: type[enum.Enum]) -> str:
    """``: did you mean 'CFDI'?`` when the value matches a member but for case or naming."""
    text = str(value.value if isinstance(value, enum.Enum) else value).strip().casefold()
    for member in kind:
        if text in (str(member.value).casefold(), member.name.casefold()):
            return f"; did you mean {member.value!r}?"
    return ""


def earliest_start(today: date) -> datetime:
    """The oldest ``FechaInicial`` SAT accepts on ``today``: ``YEARS_AVAILABLE`` years back."""
    return datetime.combine(_years_before(today, YEARS_AVAILABLE), _START_OF_DAY)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
