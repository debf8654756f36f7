"""SAT's answers as frozen pydantic models, and the authentication token.

Fields are snake_case; each one's alias is SAT's attribute name, so a result validates straight
from what ``zeep.helpers.serialize_object`` returns::

    SolicitaDescargaResult.model_validate(
        {"IdSolicitud": "2d3f…", "RfcSolicitante": "AXT940727FP8", "CodEstatus": "5000",
         "Mensaje": "Solicitud Aceptada"}
    ).raise_for_status()

Business codes are data: ``raise_for_status()`` turns a code other than 5000 into the matching
``SatStatusError`` subclass, and returns the result otherwise.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import unquote

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from ..errors import status_error
from ..soap.plugins import wrap_authorization
from .codes import CodEstatus, EstadoSolicitud
from .parameters import is_id_paquete, is_uuid

__all__ = [
    "DescargarResult",
    "SatResult",
    "SolicitaDescargaResult",
    "Token",
    "VerificaSolicitudDescargaResult",
]

_SUCCESS = CodEstatus.SOLICITUD_ACEPTADA
_PAQUETE_KEYS = ("Paquete", "paquete")


def _to_code(value: Any) -> Any:
    """``"5000"``/``5000`` → ``CodEstatus``; anything else is left for pydantic to reject."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return CodEstatus.parse(value)
        except ValueError:
            return value
    return value


def _to_optional_code(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _to_code(value)


def _to_estado(value: Any) -> Any:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return EstadoSolicitud.parse(value)
        except ValueError:
            return value
    return value


def _none_to_empty(value: Any) -> Any:
    return "" if value is None else value


def _empty_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


StatusCode = Annotated[CodEstatus, BeforeValidator(_to_code)]
OptionalStatusCode = Annotated[CodEstatus | None, BeforeValidator(_to_optional_code)]
Estado = Annotated[EstadoSolicitud, BeforeValidator(_to_estado)]
Mensaje = Annotated[str, BeforeValidator(_none_to_empty)]
OptionalText = Annotated[str | None, BeforeValidator(_empty_to_none)]


class SatResult(BaseModel, frozen=True):
    """What every SAT answer carries: ``CodEstatus`` and ``Mensaje``."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    #: The SAT operation, named in error messages.
    operation: ClassVar[str] = ""

    cod_estatus: StatusCode = Field(alias="CodEstatus")
    mensaje: Mensaje = Field(default="", alias="Mensaje")

    @property
    def is_accepted(self) -> bool:
        """True when ``CodEstatus`` is 5000."""
        return self.cod_estatus == _SUCCESS

    def raise_for_status(self) -> Self:
        """Return ``self`` when SAT accepted the call; raise its ``SatStatusError`` otherwise."""
        if not self.is_accepted:
            raise status_error(int(self.cod_estatus), self.mensaje, operation=self.operation)
        return self


class SolicitaDescargaResult(SatResult, frozen=True):
    """``SolicitaDescarga{Emitidos,Recibidos,Folio}Result``; no ``IdSolicitud`` on rejection."""

    operation: ClassVar[str] = "SolicitaDescarga"

    id_solicitud: OptionalText = Field(default=None, alias="IdSolicitud")
    rfc_solicitante: OptionalText = Field(default=None, alias="RfcSolicitante")

    @field_validator("id_solicitud")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is not None and not is_uuid(value):
            raise ValueError(f"IdSolicitud {_quoted(value)} is not a UUID")
        return value


class VerificaSolicitudDescargaResult(SatResult, frozen=True):
    """``VerificaSolicitudDescargaResult``: the state of a request and, when done, its packages.

    ``cod_estatus`` is the outcome of the verification call; ``codigo_estado_solicitud`` the
    outcome of the original request (``CodigoEstadoSolicitud``).
    """

    operation: ClassVar[str] = "VerificaSolicitudDescarga"

    estado_solicitud: Estado = Field(alias="EstadoSolicitud")
    codigo_estado_solicitud: OptionalStatusCode = Field(default=None, alias="CodigoEstadoSolicitud")
    numero_cfdis: int = Field(default=0, alias="NumeroCFDIs")
    ids_paquetes: tuple[str, ...] = Field(default=(), alias="IdsPaquetes")

    @field_validator("ids_paquetes", mode="before")
    @classmethod
    def _paquetes(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, (list, tuple)):  # ``<IdsPaquetes />`` is an empty item: no package
            return tuple(item for item in value if not _blank(item))
        return value

    @field_validator("ids_paquetes")
    @classmethod
    def _shaped(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for id_paquete in value:
            if not is_id_paquete(id_paquete):
                raise ValueError(
                    f"IdsPaquetes lists {_quoted(id_paquete)}, not a package id "
                    "(<IdSolicitud>_<number>)"
                )
        seen = {id_paquete.upper() for id_paquete in value}
        if len(seen) < len(value):
            raise ValueError("IdsPaquetes lists a package twice")
        return value

    def foreign_packages(self, id_solicitud: str) -> tuple[str, ...]:
        """The listed package ids that are not ``<id_solicitud>_<n>`` (case aside)."""
        prefix = f"{id_solicitud.upper()}_"
        return tuple(p for p in self.ids_paquetes if not p.upper().startswith(prefix))

    @field_validator("numero_cfdis", mode="before")
    @classmethod
    def _numero(cls, value: Any) -> Any:
        return 0 if value is None or value == "" else value

    @property
    def is_finished(self) -> bool:
        """Terminada: the packages in ``ids_paquetes`` can be downloaded."""
        return self.estado_solicitud is EstadoSolicitud.TERMINADA

    @property
    def is_pending(self) -> bool:
        """Aceptada or En Proceso: verify again later."""
        return self.estado_solicitud.is_pending

    @property
    def is_failed(self) -> bool:
        """Error, Rechazada or Vencida: this request will produce no packages."""
        return self.estado_solicitud.is_failed

    def raise_for_status(self) -> Self:
        """Also raise when the request itself failed, even though the verification succeeded.

        In order: a ``CodEstatus`` other than 5000 raises for that code. Then, for a failed
        request, a ``CodigoEstadoSolicitud`` other than 5000 raises for that code (5004 →
        ``NotFoundError``). A failed request without such a code raises by its state:
        Vencida → 5007 (``PackageExpiredError``: packages live 72 hours), Error → 5006
        (``SatInternalError``), Rechazada → a plain ``SatStatusError`` with the code SAT gave.
        Pending and finished requests return ``self``.
        """
        super().raise_for_status()
        if not self.is_failed:
            return self
        estado = self.estado_solicitud
        state = f"EstadoSolicitud {estado.value} ({estado.sat_name})"
        code = self.codigo_estado_solicitud
        if code is not None and code != _SUCCESS:
            message = code.sat_message or self.mensaje
            raise status_error(int(code), f"{message}; {state}", operation=self.operation)
        fallback = _FAILED_STATE_CODES.get(estado)
        if fallback is not None:
            raise status_error(
                int(fallback), f"{fallback.sat_message}; {state}", operation=self.operation
            )
        reported = int(code if code is not None else self.cod_estatus)
        raise status_error(
            reported,
            f"SAT rejected the request without a reason; {state}",
            operation=self.operation,
        )


_FAILED_STATE_CODES: dict[EstadoSolicitud, CodEstatus] = {
    EstadoSolicitud.VENCIDA: CodEstatus.PAQUETE_VENCIDO,
    EstadoSolicitud.ERROR: CodEstatus.ERROR_INTERNO,
}


class DescargarResult(SatResult, frozen=True):
    """The ``Descargar`` answer: the ``respuesta`` header's status plus the package (a ZIP)."""

    operation: ClassVar[str] = "Descargar"

    paquete: bytes | None = Field(default=None, alias="Paquete", repr=False)
    #: With ``descargar(…, destino=…)``: where the checked ZIP now is, its SHA-256 and size.
    path: Path | None = None
    sha256: str | None = None
    file_size: int = 0

    @field_validator("paquete", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _b64decode(value)
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _only_when_accepted(cls, data: Any) -> Any:
        """Drop an empty package, and any package of a download SAT did not accept."""
        if not isinstance(data, Mapping):
            return data
        code = _to_code(data.get("CodEstatus", data.get("cod_estatus")))
        paquete = data.get("Paquete", data.get("paquete"))
        if paquete is not None and (not paquete or code != _SUCCESS):
            return {key: item for key, item in data.items() if key not in _PAQUETE_KEYS}
        return data

    @classmethod
    def from_parts(
        cls, respuesta: Mapping[str, Any] | Any, paquete: bytes | str | None
    ) -> DescargarResult:
        """Build from the ``respuesta`` header (a mapping or zeep object) and ``Paquete``.

        ``paquete`` may be bytes (zeep decoded ``xs:base64Binary``) or base64 text, which is
        strictly decoded. It is dropped when SAT did not accept the download.
        """
        if isinstance(respuesta, Mapping):
            status = {key: respuesta.get(key) for key in ("CodEstatus", "Mensaje")}
        else:
            status = {key: getattr(respuesta, key, None) for key in ("CodEstatus", "Mensaje")}
        return cls.model_validate({**status, "Paquete": paquete})

    @property
    def size(self) -> int:
        """The package's size in bytes, in memory or on disk (0 without a package)."""
        return len(self.paquete) if self.paquete is not None else self.file_size


def _blank(item: Any) -> bool:
    return item is None or (isinstance(item, str) and not item.strip())


def _quoted(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("Paquete is not valid base64 text") from None


class Token(BaseModel, frozen=True):
    """SAT's authentication token and its validity window (aware datetimes, kept in UTC).

    ``repr()`` and ``str()`` never show the token; ``model_dump_json()`` does, to persist it.
    """

    value: str = Field(min_length=1, repr=False)
    created: AwareDatetime
    expires: AwareDatetime

    @field_validator("created", "expires")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.expires <= self.created:
            raise ValueError("a token must expire after it was created")
        return self

    def is_valid(self, now: datetime, *, margin: timedelta = timedelta(0)) -> bool:
        """True while more than ``margin`` remains before ``expires`` at ``now`` (aware)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime")
        return now + margin < self.expires

    @property
    def subject(self) -> str | None:
        """The ``wrap_subject`` part of the token (hex of the certificate number), if any."""
        for part in unquote(self.value).split("&")[1:]:
            name, sep, subject = part.partition("=")
            if sep and name == "wrap_subject":
                return unquote(subject) or None
        return None

    @property
    def authorization_header(self) -> str:
        """The ``Authorization`` header value: ``WRAP access_token="…"``."""
        return wrap_authorization(self.value)
