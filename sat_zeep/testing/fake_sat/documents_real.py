"""Real-shaped CFDI 3.3/4.0 and Retenciones 1.0/2.0 XML for a ``Document`` (``shape="real"``).

Drawn from published facts about stamped documents, never from samples:

* seals and certificates: ``Sello``/``SelloCFD``/``SelloSAT`` are the base64 of an RSA signature,
  344 characters (2048-bit keys) or 684 (4096-bit); ``Certificado`` is the base64 of the issuer's
  DER certificate, 2,000-2,600 characters, the same in every document of that issuer;
* the body: 1 to 100 ``Concepto`` elements (most documents have a few, some a hundred), each with
  its ``Impuestos`` (IVA traslado, sometimes ISR/IVA retenciones), the document's ``Impuestos``;
* the mix of kinds the universe draws: Ingreso and Egreso (some with ``ImpuestosLocales``),
  Pago (Pagos 2.0 in CFDI 4.0, Pagos 1.0 in 3.3), Nómina 1.2, Traslado (Carta Porte 3.1 in 4.0,
  2.0 in 3.3); an Addenda of 2-16 KB in about one document in eight;
* versions: a quarter of the CFDI are 3.3 (packages of past years mix both), the rest 4.0; a
  third of the Retenciones are 1.0 (lower-case attribute names), the rest 2.0;
* how issuers write them: one style per issuer (``Emisor`` RFC) among one line, LF or CRLF
  indentation, attributes on several lines, ``xmlns:tfd`` on the stamp or on the root, extra
  namespace declarations, and (a few issuers) the CFDI namespace as the default one.

Sizes: about 8 KB on average, from ~4.5 KB to some 60 KB. Every value the ``Document`` holds (UUID,
RFCs, names, dates, SubTotal, Total, Moneda, TipoDeComprobante) is written exactly, so readers can
be checked against it; the rest is drawn from a stream keyed by the UUID (the same bytes every
time). IVA importes add up to the document's; local taxes and complements' amounts are
illustrative.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from .documents_xml import (
    _certificate_number,
    _postal_code,
    _random_uuid,
    _regimen,
    _split,
    _x,
    addenda,
)
from .streams import stream
from .taxpayers import GENERIC_RFC

if TYPE_CHECKING:
    from .documents import Document

__all__ = ["real_cfdi_xml", "real_retenciones_xml", "signature", "style_of"]

_TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_CFD = {
    "4.0": ("http://www.sat.gob.mx/cfd/4", "http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"),
    "3.3": ("http://www.sat.gob.mx/cfd/3", "http://www.sat.gob.mx/sitio_internet/cfd/3/cfdv33.xsd"),
}
_PAGOS = {
    "4.0": ("pago20", "http://www.sat.gob.mx/Pagos20"),
    "3.3": ("pago10", "http://www.sat.gob.mx/Pagos"),
}
_CARTA = {
    "4.0": ("cartaporte31", "http://www.sat.gob.mx/CartaPorte31", "3.1"),
    "3.3": ("cartaporte20", "http://www.sat.gob.mx/CartaPorte20", "2.0"),
}
_NOMINA_NS = "http://www.sat.gob.mx/nomina12"
_IMPLOCAL_NS = "http://www.sat.gob.mx/implocal"
_RET = {
    "2.0": "http://www.sat.gob.mx/esquemas/retencionpago/2",
    "1.0": "http://www.sat.gob.mx/esquemas/retencionpago/1",
}
_ITEMS = (
    ("43211507", "H87", "Pieza", "Computadora portátil 14 pulgadas"),
    ("44121618", "H87", "Pieza", "Tijeras de oficina"),
    ("50202306", "XBX", "Caja", "Refresco de cola 600 ml, caja con 24"),
    ("81111500", "E48", "Servicio", "Servicio de ingeniería de software"),
    ("80131500", "E48", "Servicio", "Arrendamiento de local comercial"),
    ("78101800", "E48", "Servicio", "Flete terrestre de carga general"),
    ("15101514", "LTR", "Litro", "Gasolina regular"),
    ("31162800", "KGM", "Kilogramo", "Tornillería galvanizada surtida"),
    ("53102710", "H87", "Pieza", 'Uniforme industrial talla "M"'),
    ("50161813", "KGM", "Kilogramo", "Azúcar estándar & refinada"),
    ("72151500", "ACT", "Actividad", "Mantenimiento de aire acondicionado <piso 3>"),
    ("84111506", "E48", "Servicio", "Honorarios contables del mes"),
)


def signature(key: str, label: str, bits: int = 2048) -> str:
    """A deterministic base64 RSA-signature lookalike: 344 characters (2048 bits) or 684 (4096)."""
    return base64.b64encode(hashlib.shake_256(f"{key}|{label}".encode()).digest(bits // 8)).decode()


@functools.lru_cache(maxsize=8192)
def _certificate(rfc: str) -> str:
    """The issuer's certificate: base64 of a DER-looking body, 2,000-2,600 characters."""
    rng = stream("certificado", rfc)
    size = rng.randrange(1500, 1950)
    body = hashlib.shake_256(f"cer|{rfc}".encode()).digest(size - 4)
    return base64.b64encode(b"\x30\x82" + (size - 4).to_bytes(2, "big") + body).decode()


class _Style:
    """How one issuer writes its XML (see ``style_of``)."""

    __slots__ = (
        "attribute_break",
        "default_namespace",
        "extra",
        "indent",
        "newline",
        "tfd_on_root",
    )

    def __init__(self, rng: random.Random) -> None:
        layout = rng.random()
        self.newline = "" if layout < 0.45 else ("\r\n" if layout < 0.6 else "\n")
        self.indent = "" if not self.newline else ("\t" if rng.random() < 0.3 else "  ")
        self.attribute_break = bool(self.newline) and rng.random() < 0.25
        self.tfd_on_root = rng.random() < 0.2
        self.default_namespace = rng.random() < 0.04
        self.extra = rng.random() < 0.3


@functools.lru_cache(maxsize=8192)
def style_of(rfc: str) -> _Style:
    """The writing style of the issuer ``rfc`` (the same for all its documents)."""
    return _Style(stream("estilo", rfc))


class _Writer:
    """Elements written in one issuer's style: ``open``/``empty``/``close`` with attributes."""

    def __init__(self, style: _Style, prefix: str) -> None:
        self.style, self.prefix, self.depth = style, prefix, 0
        self.parts: list[str] = []

    def _tag(self, name: str) -> str:
        if name.startswith("="):
            return name[1:]  # an element in no namespace (an Addenda's)
        if ":" in name or not self.prefix:
            return name
        return f"{self.prefix}:{name}"

    def _start(self, name: str, attributes: list[tuple[str, str]]) -> str:
        style = self.style
        breaker = " "
        if style.attribute_break and len(attributes) > 3:
            breaker = style.newline + style.indent * (self.depth + 1)
        text = "".join(f'{breaker}{key}="{value}"' for key, value in attributes)
        newline = style.newline if self.parts else ""
        return f"{newline}{style.indent * self.depth}<{self._tag(name)}{text}"

    def open(self, name: str, attributes: list[tuple[str, str]] = []) -> None:  # noqa: B006
        self.parts.append(self._start(name, attributes) + ">")
        self.depth += 1

    def empty(self, name: str, attributes: list[tuple[str, str]] = []) -> None:  # noqa: B006
        self.parts.append(self._start(name, attributes) + "/>")

    def close(self, name: str) -> None:
        self.depth -= 1
        style = self.style
        self.parts.append(f"{style.newline}{style.indent * self.depth}</{self._tag(name)}>")

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _iso(value: datetime) -> str:
    return value.isoformat("T", "seconds")


def _concept_count(rng: random.Random) -> int:
    return min(100, 1 + int(rng.lognormvariate(0.5, 1.3)))


def _version(rng: random.Random) -> str:
    return "3.3" if rng.random() < 0.25 else "4.0"


def _bits(rng: random.Random) -> int:
    return 4096 if rng.random() < 0.1 else 2048


def _addenda(w: _Writer, doc: Document, rng: random.Random) -> None:
    """An Addenda of 2-16 KB: a retailer's order document, in its own namespace or none."""
    target = int(rng.uniform(2000, 16000))
    vendor = rng.randrange(3)
    w.open("Addenda")
    if vendor == 0:
        w.open(
            "pr:Pedido",
            [("xmlns:pr", "urn:fake-sat:addenda:pedidos"), ("Numero", str(rng.randrange(10**9)))],
        )
    elif vendor == 1:
        w.open(
            "=Documento", [("xmlns", ""), ("Tipo", "Factura"), ("Proveedor", _x(doc.rfc_emisor))]
        )
    else:
        w.open(
            "ad:Recepcion",
            [("xmlns:ad", "urn:fake-sat:addenda:recepcion"), ("Folio", str(rng.randrange(10**7)))],
        )
    written, line = 0, 0
    while written < target:
        line += 1
        item = _ITEMS[rng.randrange(len(_ITEMS))]
        fields = [
            ("Linea", str(line)),
            ("CodigoBarras", f"{rng.randrange(10**12, 10**13)}"),
            ("Descripcion", _x(item[3])),
            ("Cantidad", str(rng.randrange(1, 500))),
            ("Referencia", f"OC-{rng.randrange(10**6):06d}-{line:03d}"),
        ]
        w.empty(
            "pr:Detalle" if vendor == 0 else ("=Partida" if vendor == 1 else "ad:Linea"), fields
        )
        written += 170
    w.close("pr:Pedido" if vendor == 0 else ("=Documento" if vendor == 1 else "ad:Recepcion"))
    w.close("Addenda")


def _conceptos(
    w: _Writer, doc: Document, rng: random.Random, version: str
) -> tuple[list[tuple[str, str]], int, int]:
    """Conceptos of an Ingreso/Egreso: their IVA adds up to the document's; returns the
    document's Impuestos attributes, IVA base and IVA."""
    subtotal, iva = int(doc.subtotal * 100), int((doc.total - doc.subtotal) * 100)
    parts = _split(subtotal, min(_concept_count(rng), max(1, subtotal)), rng)
    taxes = [(part * 16 + 50) // 100 for part in parts]
    taxes[parts.index(max(parts))] += iva - sum(taxes)
    w.open("Conceptos")
    for position, (part, tax) in enumerate(zip(parts, taxes, strict=True)):
        clave, unidad_clave, unidad, text = _ITEMS[rng.randrange(len(_ITEMS))]
        quantity = rng.choice((1, 1, 1, 2, 3, 5, 10, 12))
        attributes = [
            ("ClaveProdServ", clave),
            ("NoIdentificacion", f"SKU-{rng.randrange(10**6):06d}"),
            ("Cantidad", f"{quantity}.000000" if rng.random() < 0.5 else str(quantity)),
            ("ClaveUnidad", unidad_clave),
            ("Unidad", unidad),
            ("Descripcion", _x(text)),
            ("ValorUnitario", f"{part / quantity / 100:.6f}"),
            ("Importe", _cents(part)),
        ]
        if version == "4.0":
            attributes.append(("ObjetoImp", "02"))
        w.open("Concepto", attributes)
        w.open("Impuestos")
        w.open("Traslados")
        w.empty(
            "Traslado",
            [
                ("Base", _cents(part)),
                ("Impuesto", "002"),
                ("TipoFactor", "Tasa"),
                ("TasaOCuota", "0.160000"),
                ("Importe", _cents(tax)),
            ],
        )
        w.close("Traslados")
        w.close("Impuestos")
        if position == 0 and doc.tercero is not None and version == "4.0":
            rfc, name = doc.tercero
            w.empty(
                "ACuentaTerceros",
                [
                    ("RfcACuentaTerceros", _x(rfc)),
                    ("NombreACuentaTerceros", _x(name)),
                    ("RegimenFiscalACuentaTerceros", _regimen(rfc)),
                    ("DomicilioFiscalACuentaTerceros", _postal_code(rfc)),
                ],
            )
        w.close("Concepto")
    w.close("Conceptos")
    return [("TotalImpuestosTrasladados", _cents(iva))], subtotal, iva


def _pagos(w: _Writer, doc: Document, rng: random.Random, version: str) -> None:
    prefix, _ = _PAGOS[version]
    count = min(40, 1 + int(rng.expovariate(0.5)))
    amounts = [
        int(math.exp(rng.uniform(math.log(100), math.log(200_000))) * 100) for _ in range(count)
    ]
    total = sum(amounts)
    paid = doc.fecha_emision - timedelta(days=rng.randrange(0, 5))
    if version == "4.0":
        w.open(f"{prefix}:Pagos", [("Version", "2.0")])
        w.empty(
            f"{prefix}:Totales",
            [
                ("TotalTrasladosBaseIVA16", _cents(total * 100 // 116)),
                ("TotalTrasladosImpuestoIVA16", _cents(total - total * 100 // 116)),
                ("MontoTotalPagos", _cents(total)),
            ],
        )
    else:
        w.open(f"{prefix}:Pagos", [("Version", "1.0")])
    w.open(
        f"{prefix}:Pago",
        [
            ("FechaPago", paid.strftime("%Y-%m-%dT12:00:00")),
            ("FormaDePagoP", "03"),
            ("MonedaP", "MXN"),
            *([("TipoCambioP", "1")] if version == "4.0" else []),
            ("Monto", _cents(total)),
            ("NumOperacion", str(rng.randrange(10**9))),
        ],
    )
    for number, value in enumerate(amounts, start=1):
        attributes = [
            ("IdDocumento", _random_uuid(rng)),
            ("Serie", "A"),
            ("Folio", str(rng.randrange(10**6))),
            ("MonedaDR", "MXN"),
            ("NumParcialidad", str(number % 3 + 1)),
            ("ImpSaldoAnt", _cents(value)),
            ("ImpPagado", _cents(value)),
            ("ImpSaldoInsoluto", "0.00"),
        ]
        if version == "4.0":
            attributes[4:4] = [("EquivalenciaDR", "1")]
            attributes.append(("ObjetoImpDR", "02"))
            w.open(f"{prefix}:DoctoRelacionado", attributes)
            w.open(f"{prefix}:ImpuestosDR")
            w.open(f"{prefix}:TrasladosDR")
            base = value * 100 // 116
            w.empty(
                f"{prefix}:TrasladoDR",
                [
                    ("BaseDR", _cents(base)),
                    ("ImpuestoDR", "002"),
                    ("TipoFactorDR", "Tasa"),
                    ("TasaOCuotaDR", "0.160000"),
                    ("ImporteDR", _cents(value - base)),
                ],
            )
            w.close(f"{prefix}:TrasladosDR")
            w.close(f"{prefix}:ImpuestosDR")
            w.close(f"{prefix}:DoctoRelacionado")
        else:
            attributes.insert(5, ("MetodoDePagoDR", "PPD"))
            w.empty(f"{prefix}:DoctoRelacionado", attributes)
    if version == "4.0":
        w.open(f"{prefix}:ImpuestosP")
        w.open(f"{prefix}:TrasladosP")
        w.empty(
            f"{prefix}:TrasladoP",
            [
                ("BaseP", _cents(total * 100 // 116)),
                ("ImpuestoP", "002"),
                ("TipoFactorP", "Tasa"),
                ("TasaOCuotaP", "0.160000"),
                ("ImporteP", _cents(total - total * 100 // 116)),
            ],
        )
        w.close(f"{prefix}:TrasladosP")
        w.close(f"{prefix}:ImpuestosP")
    w.close(f"{prefix}:Pago")
    w.close(f"{prefix}:Pagos")


def _nomina(w: _Writer, doc: Document, rng: random.Random) -> None:
    percepciones, deducciones = f"{doc.subtotal:.2f}", f"{doc.subtotal - doc.total:.2f}"
    paid = doc.fecha_emision.date()
    w.open(
        "nomina12:Nomina",
        [
            ("Version", "1.2"),
            ("TipoNomina", "O"),
            ("FechaPago", str(paid)),
            ("FechaInicialPago", str(paid - timedelta(days=14))),
            ("FechaFinalPago", str(paid)),
            ("NumDiasPagados", "15.000"),
            ("TotalPercepciones", percepciones),
            ("TotalDeducciones", deducciones),
            ("TotalOtrosPagos", "0.00"),
        ],
    )
    w.empty("nomina12:Emisor", [("RegistroPatronal", f"Y{rng.randrange(10**9, 10**10)}")])
    w.empty(
        "nomina12:Receptor",
        [
            ("Curp", _x(f"{doc.rfc_receptor[:10]}HDFRNS0{rng.randrange(10)}")),
            ("NumSeguridadSocial", f"{rng.randrange(10**10, 10**11)}"),
            (
                "FechaInicioRelLaboral",
                f"{2000 + rng.randrange(24)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
            ),
            ("Antigüedad", f"P{rng.randrange(1, 900)}W"),
            ("TipoContrato", "01"),
            ("TipoRegimen", "02"),
            ("NumEmpleado", str(rng.randrange(100000))),
            ("Departamento", "Operaciones"),
            ("Puesto", "Analista"),
            ("RiesgoPuesto", "1"),
            ("PeriodicidadPago", "04"),
            ("SalarioBaseCotApor", f"{rng.uniform(200, 2000):.2f}"),
            ("SalarioDiarioIntegrado", f"{rng.uniform(200, 2000):.2f}"),
            ("ClaveEntFed", "CMX"),
        ],
    )
    w.open(
        "nomina12:Percepciones",
        [("TotalSueldos", percepciones), ("TotalGravado", percepciones), ("TotalExento", "0.00")],
    )
    for clave, concepto in (
        ("001", "Sueldo"),
        ("010", "Premio de puntualidad"),
        ("049", "Premio de asistencia"),
    )[: 1 + rng.randrange(3)]:
        importe = percepciones if clave == "001" else "0.00"
        w.empty(
            "nomina12:Percepcion",
            [
                ("TipoPercepcion", clave),
                ("Clave", clave),
                ("Concepto", concepto),
                ("ImporteGravado", importe),
                ("ImporteExento", "0.00"),
            ],
        )
    w.close("nomina12:Percepciones")
    w.open(
        "nomina12:Deducciones",
        [("TotalOtrasDeducciones", "0.00"), ("TotalImpuestosRetenidos", deducciones)],
    )
    w.empty(
        "nomina12:Deduccion",
        [("TipoDeduccion", "002"), ("Clave", "002"), ("Concepto", "ISR"), ("Importe", deducciones)],
    )
    w.empty(
        "nomina12:Deduccion",
        [
            ("TipoDeduccion", "001"),
            ("Clave", "001"),
            ("Concepto", "Seguridad social"),
            ("Importe", "0.00"),
        ],
    )
    w.close("nomina12:Deducciones")
    w.close("nomina12:Nomina")


def _carta_porte(w: _Writer, doc: Document, rng: random.Random, version: str) -> None:
    prefix, _, number = _CARTA[version]
    stops = 2 + rng.randrange(3)
    goods = min(60, 1 + int(rng.expovariate(0.2)))
    w.open(
        f"{prefix}:CartaPorte",
        [
            ("Version", number),
            *([("IdCCP", f"CCC{_random_uuid(rng)[3:]}")] if version == "4.0" else []),
            ("TranspInternac", "No"),
            ("TotalDistRec", str(rng.randrange(10, 2000))),
        ],
    )
    w.open(f"{prefix}:Ubicaciones")
    for stop in range(stops):
        kind = "Origen" if stop == 0 else "Destino"
        w.open(
            f"{prefix}:Ubicacion",
            [
                ("TipoUbicacion", kind),
                ("IDUbicacion", f"{kind[:2].upper()}{stop:06d}"),
                ("RFCRemitenteDestinatario", _x(doc.rfc_emisor)),
                ("FechaHoraSalidaLlegada", _iso(doc.fecha_emision + timedelta(hours=stop * 7))),
                *([("DistanciaRecorrida", str(rng.randrange(5, 900)))] if stop else []),
            ],
        )
        w.empty(
            f"{prefix}:Domicilio",
            [
                ("Calle", "Av. Industrial"),
                ("NumeroExterior", str(rng.randrange(1, 999))),
                ("Estado", "JAL"),
                ("Pais", "MEX"),
                ("CodigoPostal", f"{rng.randrange(10000, 99999)}"),
            ],
        )
        w.close(f"{prefix}:Ubicacion")
    w.close(f"{prefix}:Ubicaciones")
    w.open(
        f"{prefix}:Mercancias",
        [
            ("PesoBrutoTotal", f"{rng.uniform(10, 30000):.3f}"),
            ("UnidadPeso", "KGM"),
            ("NumTotalMercancias", str(goods)),
        ],
    )
    for _ in range(goods):
        clave, _, _, text = _ITEMS[rng.randrange(len(_ITEMS))]
        w.empty(
            f"{prefix}:Mercancia",
            [
                ("BienesTransp", clave),
                ("Descripcion", _x(text)),
                ("Cantidad", str(rng.randrange(1, 400))),
                ("ClaveUnidad", "H87"),
                ("PesoEnKg", f"{rng.uniform(1, 900):.3f}"),
            ],
        )
    w.open(
        f"{prefix}:Autotransporte",
        [("PermSCT", "TPAF01"), ("NumPermisoSCT", f"{rng.randrange(10**9)}")],
    )
    w.empty(
        f"{prefix}:IdentificacionVehicular",
        [
            ("ConfigVehicular", "C2"),
            *([("PesoBrutoVehicular", f"{rng.uniform(3, 40):.2f}")] if version == "4.0" else []),
            ("PlacaVM", f"{rng.randrange(10**6):06d}"),
            ("AnioModeloVM", str(2010 + rng.randrange(15))),
        ],
    )
    w.empty(
        f"{prefix}:Seguros",
        [
            ("AseguraRespCivil", "SEGUROS DEL NORTE SA DE CV"),
            ("PolizaRespCivil", str(rng.randrange(10**8))),
        ],
    )
    w.close(f"{prefix}:Autotransporte")
    w.close(f"{prefix}:Mercancias")
    w.open(f"{prefix}:FiguraTransporte")
    w.empty(
        f"{prefix}:TiposFigura",
        [
            ("TipoFigura", "01"),
            ("RFCFigura", _x(doc.rfc_receptor)),
            ("NumLicencia", f"LIC{rng.randrange(10**6)}"),
            ("NombreFigura", _x(doc.nombre_receptor)),
        ],
    )
    w.close(f"{prefix}:FiguraTransporte")
    w.close(f"{prefix}:CartaPorte")


def _impuestos_locales(w: _Writer) -> None:
    w.open(
        "implocal:ImpuestosLocales",
        [
            ("xmlns:implocal", _IMPLOCAL_NS),
            ("version", "1.0"),
            ("TotaldeRetenciones", "0.00"),
            ("TotaldeTraslados", "0.00"),
        ],
    )
    w.empty(
        "implocal:TrasladosLocales",
        [("ImpLocTrasladado", "ISH"), ("TasadeTraslado", "3.00"), ("Importe", "0.00")],
    )
    w.close("implocal:ImpuestosLocales")


def _stamp(w: _Writer, doc: Document, sello: str, rng: random.Random, on_root: bool) -> None:
    attributes = [] if on_root else [("xmlns:tfd", _TFD_NS)]
    attributes += [
        (
            "xsi:schemaLocation",
            f"{_TFD_NS} http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
        ),
        ("Version", "1.1"),
        ("UUID", doc.uuid),
        ("FechaTimbrado", _iso(doc.fecha_certificacion)),
        ("RfcProvCertif", _x(doc.rfc_pac)),
        ("SelloCFD", sello),
        ("NoCertificadoSAT", f"{30001000000500000000 + rng.randrange(10000):020d}"),
        ("SelloSAT", signature(doc.uuid, "sat")),
    ]
    w.empty("tfd:TimbreFiscalDigital", attributes)


def real_cfdi_xml(doc: Document, padding: int = 0) -> str:
    """A real-shaped CFDI 3.3 or 4.0 (see the module docstring); ``padding`` adds an Addenda of
    incompressible text, as in ``documents_xml``."""
    rng = stream("real", doc.uuid)
    version = _version(rng)
    style = style_of(doc.rfc_emisor)
    namespace, schema = _CFD[version]
    prefix = "" if style.default_namespace else "cfdi"
    tipo = doc.tipo_comprobante
    sello = signature(doc.uuid, "cfd", _bits(rng))
    w = _Writer(style, prefix)
    declarations = [(f"xmlns:{prefix}" if prefix else "xmlns", namespace), ("xmlns:xsi", _XSI_NS)]
    locations = [namespace, schema]
    local_taxes = tipo in ("I", "E") and rng.random() < 0.06
    if tipo == "P":
        declarations.append((f"xmlns:{_PAGOS[version][0]}", _PAGOS[version][1]))
    elif tipo == "N":
        declarations.append(("xmlns:nomina12", _NOMINA_NS))
    elif tipo == "T":
        declarations.append((f"xmlns:{_CARTA[version][0]}", _CARTA[version][1]))
    if style.tfd_on_root:
        declarations.append(("xmlns:tfd", _TFD_NS))
    if style.extra:
        declarations += [
            ("xmlns:implocal", _IMPLOCAL_NS),
            ("xmlns:pago10", "http://www.sat.gob.mx/Pagos"),
        ]
    declarations = list(dict(declarations).items())  # each prefix declared once
    if local_taxes:
        locations += [
            _IMPLOCAL_NS,
            "http://www.sat.gob.mx/sitio_internet/cfd/implocal/implocal.xsd",
        ]
    amounts: list[tuple[str, str]]
    if tipo in ("P", "T"):
        amounts = [("SubTotal", "0"), ("Moneda", doc.moneda), ("Total", "0")]
    elif tipo == "N":
        descuento = f"{doc.subtotal - doc.total:.2f}"
        amounts = [
            ("SubTotal", f"{doc.subtotal:.2f}"),
            ("Descuento", descuento),
            ("Moneda", doc.moneda),
            ("Total", f"{doc.total:.2f}"),
        ]
    else:
        amounts = [("SubTotal", f"{doc.subtotal:.2f}"), ("Moneda", doc.moneda)]
        if doc.moneda != "MXN":
            amounts.append(("TipoCambio", f"{rng.uniform(16.5, 20.5):.4f}"))
        amounts.append(("Total", f"{doc.total:.2f}"))
    ppd = tipo == "I" and rng.random() < 0.3
    root = [
        *declarations,
        ("xsi:schemaLocation", " ".join(locations)),
        ("Version", version),
        ("Serie", tipo + "A"),
        ("Folio", str(rng.randrange(1, 10**6))),
        ("Fecha", _iso(doc.fecha_emision)),
        ("Sello", sello),
        *(
            [("FormaPago", "99" if ppd or tipo == "N" else rng.choice(("01", "03", "04", "28")))]
            if tipo in ("I", "E", "N")
            else []
        ),
        ("NoCertificado", _certificate_number(doc.rfc_emisor)),
        ("Certificado", _certificate(doc.rfc_emisor)),
        *amounts,
        ("TipoDeComprobante", tipo),
        *([("Exportacion", "01")] if version == "4.0" else []),
        *([("MetodoPago", "PPD" if ppd else "PUE")] if tipo in ("I", "E", "N") else []),
        ("LugarExpedicion", _postal_code(doc.rfc_emisor)),
    ]
    if rng.random() < 0.5:  # issuers order attributes differently
        head, tail = root[: len(declarations) + 1], root[len(declarations) + 1 :]
        root = head + sorted(tail)
    w.open("Comprobante", root)
    if tipo == "E" and rng.random() < 0.8:
        w.open("CfdiRelacionados", [("TipoRelacion", "01")])
        for _ in range(1 + int(rng.expovariate(1.5))):
            w.empty("CfdiRelacionado", [("UUID", _random_uuid(rng))])
        w.close("CfdiRelacionados")
    generic = doc.rfc_receptor == GENERIC_RFC
    emisor = [
        ("Rfc", _x(doc.rfc_emisor)),
        ("Nombre", _x(doc.nombre_emisor)),
        ("RegimenFiscal", _regimen(doc.rfc_emisor)),
    ]
    uso = {"P": "CP01", "T": "S01", "E": "G02", "N": "CN01"}.get(tipo, "G03")
    receptor = [("Rfc", _x(doc.rfc_receptor)), ("Nombre", _x(doc.nombre_receptor))]
    if version == "4.0":
        receptor += [
            (
                "DomicilioFiscalReceptor",
                _postal_code(doc.rfc_emisor if generic else doc.rfc_receptor),
            ),
            (
                "RegimenFiscalReceptor",
                "616" if generic else ("605" if tipo == "N" else _regimen(doc.rfc_receptor)),
            ),
        ]
    receptor.append(("UsoCFDI", "S01" if generic and version == "4.0" else uso))
    w.empty("Emisor", emisor)
    w.empty("Receptor", receptor)
    if tipo in ("I", "E"):
        totals, base, iva = _conceptos(w, doc, rng, version)
        w.open("Impuestos", totals)
        w.open("Traslados")
        traslado = [
            ("Impuesto", "002"),
            ("TipoFactor", "Tasa"),
            ("TasaOCuota", "0.160000"),
            ("Importe", _cents(iva)),
        ]
        w.empty("Traslado", ([("Base", _cents(base))] if version == "4.0" else []) + traslado)
        w.close("Traslados")
        w.close("Impuestos")
    else:
        text = {"P": "Pago", "N": "Pago de nómina", "T": "Traslado de mercancía"}[tipo]
        clave = {"P": "84111506", "N": "84111505", "T": "78101800"}[tipo]
        cents = int(doc.subtotal * 100) if tipo == "N" else 0
        w.open("Conceptos")
        attributes = [
            ("ClaveProdServ", clave),
            ("Cantidad", "1"),
            ("ClaveUnidad", "ACT"),
            ("Descripcion", text),
            ("ValorUnitario", _cents(cents)),
            ("Importe", _cents(cents)),
        ]
        if tipo == "N":
            attributes.append(("Descuento", f"{doc.subtotal - doc.total:.2f}"))
        if version == "4.0":
            attributes.append(("ObjetoImp", "01"))
        w.empty("Concepto", attributes)
        w.close("Conceptos")
    w.open("Complemento")
    if tipo == "P":
        _pagos(w, doc, rng, version)
    elif tipo == "N":
        _nomina(w, doc, rng)
    elif tipo == "T":
        _carta_porte(w, doc, rng, version)
    if local_taxes:
        _impuestos_locales(w)
    _stamp(w, doc, sello, rng, style.tfd_on_root)
    w.close("Complemento")
    if padding > 0:  # sized by the caller, instead of a drawn Addenda (there is at most one)
        padded = addenda(doc.uuid, prefix or "cfdi", padding)
        w.raw(padded if prefix else padded.replace("cfdi:Addenda>", "Addenda>"))
    elif rng.random() < 0.125:
        _addenda(w, doc, rng)
    w.close("Comprobante")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + (style.newline or "\n")
        + w.text()
        + (style.newline or "\n")
    )


def real_retenciones_xml(doc: Document, padding: int = 0) -> str:
    """A real-shaped Retenciones 1.0 (lower-case names) or 2.0 with its stamp."""
    rng = stream("real", doc.uuid)
    version = "1.0" if rng.random() < 0.33 else "2.0"
    style = style_of(doc.rfc_emisor)
    namespace = _RET[version]
    sello = signature(doc.uuid, "ret", _bits(rng))
    retenido = doc.monto_retenido or Decimal("0.00")
    kind = doc.complementos[0] if doc.complementos else ""
    clave = {"dividendos": "14", "intereses": "16"}.get(kind, "25")
    w = _Writer(style, "retenciones")
    old = version == "1.0"
    root = [
        ("xmlns:retenciones", namespace),
        ("xmlns:xsi", _XSI_NS),
        ("Version", version),
        ("FolioInt", str(rng.randrange(10**6))),
        ("Sello", sello),
        ("NumCert" if old else "NoCertificado", _certificate_number(doc.rfc_emisor)),
        ("Cert" if old else "Certificado", _certificate(doc.rfc_emisor)),
        ("FechaExp", _iso(doc.fecha_emision) + ("-06:00" if old else "")),
        *([] if old else [("LugarExpRetenc", _postal_code(doc.rfc_emisor))]),
        ("CveRetenc", clave),
        *([("DescRetenc", "Otras retenciones")] if clave == "25" else []),
    ]
    if style.tfd_on_root:
        root.insert(2, ("xmlns:tfd", _TFD_NS))
    w.open("Retenciones", root)
    if old:
        w.empty(
            "Emisor", [("RFCEmisor", _x(doc.rfc_emisor)), ("NomDenRazSocE", _x(doc.nombre_emisor))]
        )
        w.open("Receptor", [("Nacionalidad", "Nacional")])
        w.empty(
            "Nacional",
            [("RFCRecep", _x(doc.rfc_receptor)), ("NomDenRazSocR", _x(doc.nombre_receptor))],
        )
    else:
        w.empty(
            "Emisor",
            [
                ("RfcE", _x(doc.rfc_emisor)),
                ("NomDenRazSocE", _x(doc.nombre_emisor)),
                ("RegimenFiscalE", _regimen(doc.rfc_emisor)),
            ],
        )
        w.open("Receptor", [("NacionalidadR", "Nacional")])
        w.empty(
            "Nacional",
            [
                ("RfcR", _x(doc.rfc_receptor)),
                ("NomDenRazSocR", _x(doc.nombre_receptor)),
                ("DomicilioFiscalR", _postal_code(doc.rfc_receptor)),
            ],
        )
    w.close("Receptor")
    issued = doc.fecha_emision
    w.empty(
        "Periodo",
        [
            ("MesIni", str(issued.month)),
            ("MesFin", str(issued.month)),
            ("Ejerc" if old else "Ejercicio", str(issued.year)),
        ],
    )
    names = (
        ("montoTotOperacion", "montoTotGrav", "montoTotExent", "montoTotRet")
        if old
        else ("MontoTotOperacion", "MontoTotGrav", "MontoTotExent", "MontoTotRet")
    )
    values = (doc.total, doc.subtotal, doc.total - doc.subtotal, retenido)
    w.open("Totales", [(name, f"{value:.2f}") for name, value in zip(names, values, strict=True)])
    w.empty(
        "ImpRetenidos",
        [
            ("BaseRet", f"{doc.subtotal:.2f}"),
            ("Impuesto" if old else "ImpuestoRet", "01" if old else "001"),
            ("montoRet" if old else "MontoRet", f"{retenido:.2f}"),
            ("TipoPagoRet", "Pago definitivo" if old else "01"),
        ],
    )
    w.close("Totales")
    w.open("Complemento")
    if kind == "dividendos":
        w.open(
            "dividendos:Dividendos",
            [
                ("xmlns:dividendos", "http://www.sat.gob.mx/esquemas/retencionpago/1/dividendos"),
                ("Version", "1.0"),
            ],
        )
        w.empty(
            "dividendos:DividOUtil",
            [
                ("CveTipDivOUtil", "01"),
                ("MontISRAcredRetMexico", f"{retenido:.2f}"),
                ("MontISRAcredRetExtranjero", "0.00"),
                ("TipoSocDistrDiv", "Sociedad Nacional"),
            ],
        )
        w.close("dividendos:Dividendos")
    elif kind == "intereses":
        w.empty(
            "intereses:Intereses",
            [
                ("xmlns:intereses", "http://www.sat.gob.mx/esquemas/retencionpago/1/intereses"),
                ("Version", "1.0"),
                ("SistFinanciero", "SI"),
                ("RetiroAORESRetInt", "NO"),
                ("OperFinancDerivad", "NO"),
                ("MontIntNominal", f"{doc.total:.2f}"),
                ("MontIntReal", f"{doc.subtotal:.2f}"),
                ("Perdida", "0.00"),
            ],
        )
    _stamp(w, doc, sello, rng, style.tfd_on_root)
    w.close("Complemento")
    if padding > 0:
        w.raw(addenda(doc.uuid, "retenciones", padding))
    w.close("Retenciones")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + (style.newline or "\n")
        + w.text()
        + (style.newline or "\n")
    )
