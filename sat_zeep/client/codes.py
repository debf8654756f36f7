"""SAT's codes and enumerated values, as Python enums.

The two enums SAT answers with (``CodEstatus`` and ``EstadoSolicitud``) accept values that are
not documented: SAT does return undocumented codes, so ``CodEstatus(9999)`` gives a member named
``UNKNOWN_9999`` whose ``is_documented`` is False instead of raising. The same undocumented value
always gives the same object, so ``is`` comparisons work for every member.

The enums used in requests (``TipoSolicitud``, ``EstadoComprobante``, ``TipoComprobante``) are
closed: their values are the exact strings SAT expects on the wire.
"""

from __future__ import annotations

import enum
import re
import threading
from typing import Any

from typing_extensions import Self

__all__ = [
    "CodEstatus",
    "EstadoComprobante",
    "EstadoSolicitud",
    "TipoComprobante",
    "TipoSolicitud",
]

_UNKNOWN_PREFIX = "UNKNOWN_"
_INTEGER = re.compile(r"-?[0-9]+")
_pseudo_members: dict[tuple[type[enum.IntEnum], int], enum.IntEnum] = {}
_pseudo_lock = threading.Lock()


class _OpenIntEnum(enum.IntEnum):
    """An ``IntEnum`` that turns unknown integers (or digit strings) into pseudo-members."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return cls(int(text)) if _INTEGER.fullmatch(text) else None
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        number = int(value)
        key = (cls, number)
        with _pseudo_lock:
            member = _pseudo_members.get(key)
            if member is None:
                member = int.__new__(cls, number)
                member._name_ = f"{_UNKNOWN_PREFIX}{number}"
                member._value_ = number
                _pseudo_members[key] = member
        return member

    @classmethod
    def parse(cls, value: int | str) -> Self:
        """The member for an integer or a string of digits (``"5000"``), known or not."""
        if isinstance(value, str):
            text = value.strip()
            if not _INTEGER.fullmatch(text):
                raise ValueError(f"{value!r} is not a valid {cls.__name__}")
            return cls(int(text))
        return cls(value)

    @property
    def is_documented(self) -> bool:
        """True for the values SAT documents, False for a pseudo-member."""
        return self._name_ in type(self).__members__


class CodEstatus(_OpenIntEnum):
    """SAT's ``CodEstatus`` (and ``CodigoEstadoSolicitud``) codes; 5000 is the only success."""

    USUARIO_NO_VALIDO = 300
    XML_MAL_FORMADO = 301
    SELLO_MAL_FORMADO = 302
    SELLO_NO_CORRESPONDE = 303
    CERTIFICADO_REVOCADO_O_CADUCO = 304
    CERTIFICADO_INVALIDO = 305
    ERROR_NO_CONTROLADO = 404
    SOLICITUD_ACEPTADA = 5000
    TERCERO_NO_AUTORIZADO = 5001
    SOLICITUDES_AGOTADAS = 5002
    TOPE_MAXIMO = 5003
    NO_SE_ENCONTRO_INFORMACION = 5004
    SOLICITUD_DUPLICADA = 5005
    ERROR_INTERNO = 5006
    PAQUETE_VENCIDO = 5007
    MAXIMO_DE_DESCARGAS = 5008
    LIMITE_FOLIOS = 5011
    CANCELADOS_NO_PERMITIDOS = 5012

    @property
    def sat_message(self) -> str:
        """The message SAT's documentation gives for the code ("" when undocumented)."""
        return _SAT_MESSAGES.get(self.value, "")

    @property
    def is_success(self) -> bool:
        """True only for 5000."""
        return self.value == 5000


_SAT_MESSAGES: dict[int, str] = {
    300: "Usuario No Válido",
    301: "XML Mal Formado",
    302: "Sello Mal Formado",
    303: "Sello no corresponde con RfcSolicitante",
    304: "Certificado Revocado o Caduco",
    305: "Certificado Inválido",
    404: "Error no Controlado",
    5000: "Solicitud de descarga recibida con éxito",
    5001: "Tercero no autorizado",
    5002: "Se han agotado las solicitudes de por vida",
    5003: "Tope máximo de elementos de la consulta",
    5004: "No se encontró la información",
    5005: "Ya se tiene una solicitud registrada",
    5006: "Error interno en el proceso",
    5007: "No existe el paquete solicitado",
    5008: "Máximo de descargas permitidas",
    5011: "Límite de descargas por folio por día",
    5012: "No se permite la descarga de xml que se encuentren cancelados",
}


class EstadoSolicitud(_OpenIntEnum):
    """``EstadoSolicitud``: where a download request stands.

    SAT documents 1 to 6. ``EstadoSolicitud="0"`` has been seen alongside ``CodEstatus="301"``;
    it is undocumented, so it parses as the pseudo-member ``UNKNOWN_0``.
    """

    ACEPTADA = 1
    EN_PROCESO = 2
    TERMINADA = 3
    ERROR = 4
    RECHAZADA = 5
    VENCIDA = 6

    @property
    def sat_name(self) -> str:
        """The state's name in SAT's documentation ("" when undocumented)."""
        return _ESTADO_NAMES.get(self.value, "")

    @property
    def is_pending(self) -> bool:
        """Accepted or in progress: verify again later."""
        return self.value in (1, 2)

    @property
    def is_finished(self) -> bool:
        """Finished: the packages can be downloaded."""
        return self.value == 3

    @property
    def is_failed(self) -> bool:
        """Error, rejected or expired: the request will not produce packages."""
        return self.value in (4, 5, 6)


_ESTADO_NAMES: dict[int, str] = {
    1: "Aceptada",
    2: "En Proceso",
    3: "Terminada",
    4: "Error",
    5: "Rechazada",
    6: "Vencida",
}


class TipoSolicitud(str, enum.Enum):
    """``TipoSolicitud``: what to download.

    SAT documents ``Metadata`` and ``CFDI`` (also used for Retenciones XML since v1.5). ``PDF``
    and ``PDFCOCEMA`` appear in a late-2024 WSDL and ``TXTUUIDMASIVA`` in one client; all three
    are undocumented.
    """

    METADATA = "Metadata"
    CFDI = "CFDI"
    PDF = "PDF"
    PDFCOCEMA = "PDFCOCEMA"
    TXTUUIDMASIVA = "TXTUUIDMASIVA"


class EstadoComprobante(str, enum.Enum):
    """``EstadoComprobante`` since v1.5 (May 2025); SAT assumes ``Vigente`` when it is absent."""

    TODOS = "Todos"
    CANCELADO = "Cancelado"
    VIGENTE = "Vigente"


class TipoComprobante(str, enum.Enum):
    """``TipoComprobante``: the CFDI type; absent means every type."""

    INGRESO = "I"
    EGRESO = "E"
    TRASLADO = "T"
    NOMINA = "N"
    PAGO = "P"
