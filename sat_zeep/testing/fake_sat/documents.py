"""What a Solicitud asks for (``Query``) and what SAT's database holds (``Document``).

``Document`` also knows its two outward forms: the XML in a CFDI package (``documents_xml``) and
the row in a metadata package, in the order of ``METADATA_COLUMNS_CFDI`` or
``METADATA_COLUMNS_RETENCIONES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .documents_real import real_cfdi_xml, real_retenciones_xml
from .documents_xml import cfdi_xml, retenciones_xml

__all__ = [
    "DIRECTIONS",
    "ESTADOS",
    "METADATA_COLUMNS_CFDI",
    "METADATA_COLUMNS_RETENCIONES",
    "SERVICES",
    "Document",
    "Query",
]

SERVICES = ("cfdi", "retenciones")
DIRECTIONS = ("emitidos", "recibidos", "folio")
ESTADOS = ("Todos", "Cancelado", "Vigente")

METADATA_COLUMNS_CFDI = (
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
#: Invented: SAT does not publish the Retenciones metadata layout.
METADATA_COLUMNS_RETENCIONES = (
    "Uuid",
    "RfcEmisor",
    "NombreEmisor",
    "RfcReceptor",
    "NombreReceptor",
    "RfcPac",
    "FechaEmision",
    "FechaCertificacionSat",
    "MontoTotOperacion",
    "MontoTotGravado",
    "MontoTotExento",
    "MontoTotRetenido",
    "Estatus",
    "FechaCancelacion",
)

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Query:
    """What a Solicitud asks for, already validated by the SOAP layer."""

    service: str
    direction: str
    rfc: str
    start: datetime
    end: datetime
    tipo_comprobante: str | None = None
    estado_comprobante: str | None = None
    counterparts: tuple[str, ...] = ()
    complemento: str | None = None
    rfc_a_cuenta_terceros: str | None = None
    folio: str | None = None

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")
        if self.estado_comprobante not in (None, *ESTADOS):
            raise ValueError(f"unknown EstadoComprobante {self.estado_comprobante!r}")


@dataclass(frozen=True, slots=True)
class Document:
    """One CFDI or Retenciones document as SAT's database would hold it.

    For Retenciones ``tipo_comprobante`` is ``""``, ``total`` is MontoTotOperacion, ``subtotal``
    is MontoTotGrav and ``monto_retenido`` is MontoTotRet. ``shape`` is how its XML is written:
    ``"plain"`` (CFDI 4.0 / Retenciones 2.0 from one template, ~3.4 KB) or ``"real"`` (shaped
    like real stamped documents, ~8 KB: see ``documents_real``).
    """

    uuid: str
    service: str
    rfc_emisor: str
    nombre_emisor: str
    rfc_receptor: str
    nombre_receptor: str
    rfc_pac: str
    fecha_emision: datetime
    fecha_certificacion: datetime
    subtotal: Decimal
    total: Decimal
    moneda: str
    tipo_comprobante: str
    estatus: str
    fecha_cancelacion: datetime | None
    complementos: tuple[str, ...] = ()
    tercero: tuple[str, str] | None = None
    monto_retenido: Decimal | None = None
    shape: str = "plain"

    def xml(self, padding: int = 0) -> bytes:
        """The signed-looking XML, with an Addenda of ``padding`` bytes (or just its tags) if asked.

        The Addenda is filled with incompressible pseudo-random text (see
        ``documents_xml.addenda``), so packages built with padding weigh about what was asked
        for on disk, as real packages do, instead of deflating to almost nothing.
        """
        if self.shape == "real":
            if self.service == "cfdi":
                return real_cfdi_xml(self, padding).encode()
            return real_retenciones_xml(self, padding).encode()
        if self.service == "cfdi":
            return cfdi_xml(self, padding).encode()
        return retenciones_xml(self, padding).encode()

    def metadata_row(self, service: str | None = None) -> list[str]:
        """The metadata values, in the order of the service's metadata columns."""
        if service is not None and service != self.service:
            raise ValueError(f"a {self.service} document has no {service} metadata row")
        cancelled = "" if self.fecha_cancelacion is None else _dt(self.fecha_cancelacion)
        head = [
            self.uuid,
            self.rfc_emisor,
            self.nombre_emisor,
            self.rfc_receptor,
            self.nombre_receptor,
            self.rfc_pac,
            _dt(self.fecha_emision),
            _dt(self.fecha_certificacion),
        ]
        if self.service == "cfdi":
            return [*head, f"{self.total:.2f}", self.tipo_comprobante, self.estatus, cancelled]
        retenido = self.monto_retenido or _ZERO
        exento = self.total - self.subtotal
        return [
            *head,
            f"{self.total:.2f}",
            f"{self.subtotal:.2f}",
            f"{exento:.2f}",
            f"{retenido:.2f}",
            self.estatus,
            cancelled,
        ]


def _dt(value: datetime) -> str:
    return value.isoformat(" ", "seconds")
