"""Summarize one CFDI (3.2, 3.3, 4.0) or Retenciones (1.0, 2.0) XML into a typed ``CfdiSummary``.

The UUID is the ``UUID`` attribute of ``tfd:TimbreFiscalDigital`` directly inside one of the
document's ``Complemento`` elements (CFDI 3.3 allows several, and the stamp may be in any of
them); UUIDs under ``CfdiRelacionados`` or inside an Addenda are never taken.

A CFDI is first read by ``summary_scan.scan_cfdi``, which finds the root, Emisor, Receptor and
the Complemento elements without parsing the rest (Conceptos and Addendas are most of the
bytes). Anything it does not handle, Retenciones, and every document that is wrong in some way
are parsed whole with lxml, hardened: no DTD (a document with a DOCTYPE is refused), no entity
expansion, no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any, cast

from lxml import etree

from .errors import MalformedDocumentError
from .summary_scan import Fields, scan_cfdi

__all__ = ["CfdiSummary", "summarize_xml"]

_CFDI = "cfdi"
_RETENCIONES = "retenciones"
#: Root namespaces this reader knows, and the kind of document each one is.
NAMESPACES = {
    "http://www.sat.gob.mx/cfd/4": _CFDI,
    "http://www.sat.gob.mx/cfd/3": _CFDI,
    "http://www.sat.gob.mx/esquemas/retencionpago/2": _RETENCIONES,
    "http://www.sat.gob.mx/esquemas/retencionpago/1": _RETENCIONES,
}
_TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


_PARSER = _parser()


@dataclass(frozen=True, slots=True)
class CfdiSummary:
    """What most users need from a document, typed.

    ``kind`` is ``"cfdi"`` or ``"retenciones"``. For Retenciones, ``total`` is MontoTotOperacion,
    ``subtotal`` is MontoTotGrav, ``total_retenido`` is MontoTotRet, ``fecha`` is FechaExp, and
    ``moneda`` and ``tipo_de_comprobante`` are ``None``. ``uuid`` is upper-cased.
    ``complementos`` lists the local names of the Complemento's children, in document order,
    e.g. ``("Pagos", "TimbreFiscalDigital")``.
    """

    uuid: str
    kind: str
    version: str
    rfc_emisor: str
    nombre_emisor: str | None
    rfc_receptor: str | None
    nombre_receptor: str | None
    fecha: datetime
    fecha_timbrado: datetime
    subtotal: Decimal | None
    total: Decimal
    moneda: str | None
    tipo_de_comprobante: str | None
    complementos: tuple[str, ...]
    total_retenido: Decimal | None = None


class _ScannedSummary:
    """Builds a ``CfdiSummary`` from its fields in order (``summary_of``, ``unpack_summaries``).

    ``CfdiSummary`` is frozen, so its own ``__init__`` sets each of its 15 fields through
    ``object.__setattr__`` (several times as slow as plain slot stores). This class has the same
    slots, sets them plainly, then becomes a ``CfdiSummary`` (an assignment of ``__class__``,
    allowed between classes of one layout): the result is an ordinary, frozen ``CfdiSummary``.
    """

    __slots__ = CfdiSummary.__slots__
    uuid: str
    kind: str
    version: str
    rfc_emisor: str
    nombre_emisor: str | None
    rfc_receptor: str | None
    nombre_receptor: str | None
    fecha: datetime
    fecha_timbrado: datetime
    subtotal: Decimal | None
    total: Decimal
    moneda: str | None
    tipo_de_comprobante: str | None
    complementos: tuple[str, ...]
    total_retenido: Decimal | None

    def __init__(
        self,
        uuid: str,
        kind: str,
        version: str,
        rfc_emisor: str,
        nombre_emisor: str | None,
        rfc_receptor: str | None,
        nombre_receptor: str | None,
        fecha: datetime,
        fecha_timbrado: datetime,
        subtotal: Decimal | None,
        total: Decimal,
        moneda: str | None,
        tipo_de_comprobante: str | None,
        complementos: tuple[str, ...],
        total_retenido: Decimal | None = None,
    ) -> None:
        self.uuid = uuid
        self.kind = kind
        self.version = version
        self.rfc_emisor = rfc_emisor
        self.nombre_emisor = nombre_emisor
        self.rfc_receptor = rfc_receptor
        self.nombre_receptor = nombre_receptor
        self.fecha = fecha
        self.fecha_timbrado = fecha_timbrado
        self.subtotal = subtotal
        self.total = total
        self.moneda = moneda
        self.tipo_de_comprobante = tipo_de_comprobante
        self.complementos = complementos
        self.total_retenido = total_retenido
        self.__class__ = CfdiSummary  # type: ignore[assignment]


def summary_of(fields: Fields) -> CfdiSummary:
    """``CfdiSummary(*fields)`` for ``scan_cfdi``'s fields, faster."""
    return cast(CfdiSummary, _ScannedSummary(*fields))


#: ``pack_summaries`` output: the count, and one string per field (cheap to pickle).
Packed = tuple[int, tuple[str, ...]]
_FIELDS = tuple(CfdiSummary.__slots__)
_DATES = frozenset({"fecha", "fecha_timbrado"})
_AMOUNTS = frozenset({"subtotal", "total", "total_retenido"})
# Control characters XML 1.0 forbids in a document, so no attribute value holds them.
_NEXT, _NONE, _ITEM = "\x1f", "\x1e", "\x1d"


def pack_summaries(summaries: list[CfdiSummary]) -> Packed:
    """``summaries`` as one string per field (dates, amounts and tuples as text).

    A worker process sends summaries back this way for a fraction of the cost of pickling
    every dataclass and its Decimal and datetime objects; ``unpack_summaries`` rebuilds them.
    """
    packed: list[str] = []
    for name in _FIELDS:
        values: list[Any] = list(map(attrgetter(name), summaries))
        if name in _DATES:
            values = list(map(datetime.isoformat, values))
        elif name in _AMOUNTS:
            values = [_NONE if value is None else str(value) for value in values]
        elif name == "complementos":
            values = list(map(_ITEM.join, values))
        elif None in values:
            values = [_NONE if value is None else value for value in values]
        packed.append(_NEXT.join(values))
    return len(summaries), tuple(packed)


def unpack_summaries(packed: Packed) -> list[CfdiSummary]:
    """The summaries ``pack_summaries`` packed, equal to the originals."""
    count, texts = packed
    if not count:
        return []
    columns: list[list[Any]] = []
    for name, text in zip(_FIELDS, texts, strict=True):
        values: list[Any] = text.split(_NEXT)
        if name in _DATES:
            values = list(map(datetime.fromisoformat, values))
        elif name in _AMOUNTS:
            values = [None if value == _NONE else Decimal(value) for value in values]
        elif name == "complementos":
            values = [tuple(value.split(_ITEM)) if value else () for value in values]
        elif _NONE in text:
            values = [None if value == _NONE else value for value in values]
        columns.append(values)
    return cast(list[CfdiSummary], list(map(_ScannedSummary, *columns)))


class _Invalid(Exception):
    """Internal: why a document cannot be summarized."""


def summarize_xml(data: bytes) -> CfdiSummary:
    """Summarize one document's bytes; raise ``MalformedDocumentError`` saying what is wrong."""
    fields = scan_cfdi(data)
    if fields is not None:
        return summary_of(fields)
    return summarize_parsed(data)


def summarize_parsed(data: bytes) -> CfdiSummary:
    """``summarize_xml`` by parsing the whole document with lxml (slower; the reference the fast
    scanner agrees with)."""
    try:
        return _summarize_tree(_parse(data))
    except _Invalid as error:
        raise MalformedDocumentError(str(error)) from None


def _summarize_tree(root: etree._Element) -> CfdiSummary:
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise _Invalid("it declares a DOCTYPE (DTDs are refused: SAT documents never have one)")
    tag = root.tag
    namespace = tag[1 : tag.find("}")] if isinstance(tag, str) and tag[:1] == "{" else ""
    kind = NAMESPACES.get(namespace)
    if kind is None:
        raise _Invalid(f"its root <{_local(tag)}> in namespace {namespace!r} is not a CFDI")
    complementos_elements = root.findall(f"{{{namespace}}}Complemento")
    if not complementos_elements:
        raise _Invalid("it has no Complemento, so no TimbreFiscalDigital: it was never stamped")
    stamp = next(
        (found for c in complementos_elements if (found := c.find(_TFD)) is not None), None
    )
    if stamp is None:
        raise _Invalid("its Complemento has no TimbreFiscalDigital: it was never stamped")
    uuid = stamp.get("UUID")
    if not uuid:
        raise _Invalid("its TimbreFiscalDigital has no UUID")
    complementos = tuple(
        _local(child.tag)
        for element in complementos_elements
        for child in element
        if isinstance(child.tag, str)
    )
    children = {_local(child.tag): child for child in root if isinstance(child.tag, str)}
    emisor, receptor = children.get("Emisor"), children.get("Receptor")
    if emisor is None or receptor is None:
        raise _Invalid("it lacks its Emisor or Receptor")
    fecha_timbrado = _datetime(stamp, "FechaTimbrado")
    attrib = root.attrib
    if kind == _CFDI:
        return CfdiSummary(
            uuid=uuid.strip().upper(),
            kind=kind,
            version=_required(root, "Version", "version"),
            rfc_emisor=_required(emisor, "Rfc", "rfc"),
            nombre_emisor=emisor.get("Nombre") or emisor.get("nombre"),
            rfc_receptor=_required(receptor, "Rfc", "rfc"),
            nombre_receptor=receptor.get("Nombre") or receptor.get("nombre"),
            fecha=_datetime(root, "Fecha", "fecha"),
            fecha_timbrado=fecha_timbrado,
            subtotal=_amount(root, "SubTotal", "subTotal"),
            total=_amount(root, "Total", "total"),
            moneda=attrib.get("Moneda"),
            tipo_de_comprobante=attrib.get("TipoDeComprobante") or attrib.get("tipoDeComprobante"),
            complementos=complementos,
        )
    person = receptor.find(f"{{{namespace}}}Nacional")
    if person is None:
        person = receptor.find(f"{{{namespace}}}Extranjero")
    totales = children.get("Totales")
    if totales is None:
        raise _Invalid("it lacks its Totales")
    return CfdiSummary(
        uuid=uuid.strip().upper(),
        kind=kind,
        version=_required(root, "Version", "version"),
        rfc_emisor=_required(emisor, "RfcE", "RFCEmisor"),
        nombre_emisor=emisor.get("NomDenRazSocE"),
        rfc_receptor=None if person is None else (person.get("RfcR") or person.get("RFCRecep")),
        nombre_receptor=None if person is None else person.get("NomDenRazSocR"),
        fecha=_datetime(root, "FechaExp"),
        fecha_timbrado=fecha_timbrado,
        subtotal=_amount(totales, "MontoTotGrav", "montoTotGrav"),
        total=_amount(totales, "MontoTotOperacion", "montoTotOperacion"),
        moneda=None,
        tipo_de_comprobante=None,
        complementos=complementos,
        total_retenido=_amount(totales, "MontoTotRet", "montoTotRet"),
    )


def _parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise _Invalid(f"it is not well-formed XML ({error})") from None


def _local(tag: object) -> str:
    text = str(tag)
    return text[text.find("}") + 1 :]


def _required(element: etree._Element, *names: str) -> str:
    for name in names:
        value = element.get(name)
        if value:
            return value
    raise _Invalid(f"<{_local(element.tag)}> lacks its {names[0]} attribute")


def _datetime(element: etree._Element, *names: str) -> datetime:
    text = _required(element, *names)
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise _Invalid(f"<{_local(element.tag)}> {names[0]}={text!r} is not a date") from None


def _amount(element: etree._Element, *names: str) -> Decimal:
    text = _required(element, *names)
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise _Invalid(f"<{_local(element.tag)}> {names[0]}={text!r} is not an amount")
    return value
