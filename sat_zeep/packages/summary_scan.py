"""The fast path of ``summarize_xml``: a CFDI's summary fields read without parsing the document.

A CFDI 3.2/3.3/4.0 is laid out, at the top level, as::

    <?xml version="1.0" encoding="UTF-8"?>
    <cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" Sello="…" …>
      <cfdi:CfdiRelacionados …>…</cfdi:CfdiRelacionados>      (optional)
      <cfdi:Emisor Rfc="…" Nombre="…"/>                        ← read
      <cfdi:Receptor Rfc="…" Nombre="…"/>                      ← read
      <cfdi:Conceptos>…</cfdi:Conceptos>                       skipped (most of the bytes)
      <cfdi:Impuestos …>…</cfdi:Impuestos>                     skipped
      <cfdi:Complemento>                                       ← children listed (3.3: several)
        <pago20:Pagos …>…</pago20:Pagos>                       skipped, its name kept
        <tfd:TimbreFiscalDigital UUID="…" FechaTimbrado="…"/>  ← read
      </cfdi:Complemento>
      <cfdi:Addenda>…</cfdi:Addenda>                           skipped
    </cfdi:Comprobante>

``scan_cfdi`` finds those landmarks with ``bytes.find`` and reads the start tags it needs with one
regular expression, decoding attribute values as XML does (entity and character references,
whitespace normalisation). It is strict about what it reads (namespaces bound and known,
duplicate attributes, the root closed at the end, UTF-8) and gives up, returning ``None``, on
anything it does not handle: a comment, CDATA, a DOCTYPE, an unusual prolog, a redeclared prefix,
a Retenciones document, a missing piece or a value that does not convert. ``summarize_xml`` then
parses the whole document with lxml, which gives the same summary or says what is wrong. The
skipped parts (Conceptos, Impuestos, the other complements' content, the Addenda) are not checked
for well-formedness: a package's CRC-32 already guards every byte.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

__all__ = ["scan_cfdi"]

_CFDI_NAMESPACES = frozenset({b"http://www.sat.gob.mx/cfd/4", b"http://www.sat.gob.mx/cfd/3"})
_TFD_NAMESPACE = b"http://www.sat.gob.mx/TimbreFiscalDigital"
_PROLOG = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml\s+version\s*=\s*[\"']1\.0[\"']"
    rb"(?:\s+encoding\s*=\s*[\"'](?:UTF|utf)-8[\"'])?(?:\s+standalone\s*=\s*[\"'](?:yes|no)[\"'])?"
    rb"\s*\?>)?\s*<"
)
#: A start tag from its name on: group 1 the name, 2 its attributes, 3 "/" if it is empty.
_TAG = re.compile(
    rb"([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)"
    rb"((?:\s+[^\s=<>/\"']+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>"
)
_ATTRIBUTE = re.compile(rb"([^\s=]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REFERENCE = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_WHITESPACE = str.maketrans("\t\n", "  ")
_SPACE = b" \t\r\n"


class _GiveUp(Exception):
    """Internal: let lxml read this document."""


Attributes = dict[bytes, bytes]
#: What ``scan_cfdi`` returns: CfdiSummary's fields, in order.
Fields = tuple[
    str,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    datetime,
    datetime,
    Decimal,
    Decimal,
    str | None,
    str | None,
    tuple[str, ...],
]


def scan_cfdi(data: bytes) -> Fields | None:
    """CfdiSummary's fields for a CFDI, or ``None`` to have lxml read ``data`` instead."""
    try:
        return _scan(data)
    except (_GiveUp, ValueError, ArithmeticError):  # UnicodeDecodeError is a ValueError
        return None


def _scan(data: bytes) -> Fields:
    if b"<!" in data:
        raise _GiveUp  # a DOCTYPE, comment or CDATA section: lxml decides
    prolog = _PROLOG.match(data)
    if prolog is None:
        raise _GiveUp
    name, attributes, position, empty = _start_tag(data, prolog.end())
    prefix, _, local = name.rpartition(b":")
    if local != b"Comprobante" or empty:
        raise _GiveUp
    declared = b"xmlns:" + prefix if prefix else b"xmlns"
    if attributes.get(declared) not in _CFDI_NAMESPACES:
        raise _GiveUp
    tag = b"<" + prefix + b":" if prefix else b"<"
    close = b"</" + name + b">"
    if data.rstrip(_SPACE)[-len(close) :] != close:
        raise _GiveUp  # not closed at the end: truncated, or something after the root
    try:
        head = _find_element(data, tag + b"Conceptos", position)
        body = data.find(b"</" + tag[1:] + b"Conceptos>", head)
    except _GiveUp:  # the schemas require Conceptos, but lxml reads a document without them
        head = body = _find_element(data, tag + b"Complemento", position)
    if (
        body < 0
        or data.find(b"xmlns", position, head) >= 0
        or data.find(b"<?", position, head) >= 0
    ):
        raise _GiveUp  # unclosed, a prefix (re)declared below the root, or an instruction
    emisor = _find_element(data, tag + b"Emisor", position, head)
    receptor = _find_element(data, tag + b"Receptor", position, head)
    emisor_attributes = _start_tag(data, emisor + 1)[1]
    receptor_attributes = _start_tag(data, receptor + 1)[1]
    stamp, complementos = _complementos(data, tag, body, attributes)
    version = _text(attributes, b"Version", b"version")
    return (
        _text(stamp, b"UUID").strip().upper(),
        "cfdi",
        version,
        _text(emisor_attributes, b"Rfc", b"rfc"),
        _optional(emisor_attributes, b"Nombre", b"nombre"),
        _text(receptor_attributes, b"Rfc", b"rfc"),
        _optional(receptor_attributes, b"Nombre", b"nombre"),
        datetime.fromisoformat(_text(attributes, b"Fecha", b"fecha").strip()),
        datetime.fromisoformat(_text(stamp, b"FechaTimbrado").strip()),
        _amount(attributes, b"SubTotal", b"subTotal"),
        _amount(attributes, b"Total", b"total"),
        None if (moneda := attributes.get(b"Moneda")) is None else _value(moneda),
        _optional(attributes, b"TipoDeComprobante", b"tipoDeComprobante"),
        complementos,
    )


def _start_tag(data: bytes, position: int) -> tuple[bytes, Attributes, int, bool]:
    """The start tag whose name begins at ``position``: name, attributes, end, whether empty."""
    match = _TAG.match(data, position)
    if match is None:
        raise _GiveUp
    pairs = _ATTRIBUTE.findall(data, *match.span(2))
    attributes = {key: double or single for key, double, single in pairs}
    if len(attributes) != len(pairs):
        raise _GiveUp  # a duplicate attribute: not well-formed, lxml says so
    return match.group(1), attributes, match.end(), bool(match.group(3))


def _find_element(data: bytes, opening: bytes, start: int, stop: int | None = None) -> int:
    """Where the first element opened by ``opening`` (``b"<cfdi:Emisor"``) starts."""
    at = data.find(opening, start, stop)
    while at >= 0:
        after = data[at + len(opening) : at + len(opening) + 1]
        if after in (b" ", b">", b"/", b"\t", b"\r", b"\n"):
            return at
        at = data.find(opening, at + 1, stop)  # e.g. <cfdi:ComplementoConcepto
    raise _GiveUp


def _complementos(
    data: bytes, tag: bytes, position: int, root: Attributes
) -> tuple[Attributes, tuple[str, ...]]:
    """The TimbreFiscalDigital's attributes and the Complemento children's local names.

    Walks the top level from the end of Conceptos: an optional Impuestos, then each Complemento
    (CFDI 3.3 allows several) child by child, each child skipped to its end tag.
    """
    opening = tag + b"Complemento"
    at = data.find(opening, position)
    if at < 0:
        raise _GiveUp  # lxml says: no Complemento, never stamped
    close_complemento = b"</" + tag[1:] + b"Complemento>"
    stamp: Attributes | None = None
    names: list[str] = []
    while data.startswith(opening, at):
        name, attributes, at, empty = _start_tag(data, at + 1)
        if name != opening[1:] or attributes:
            raise _GiveUp  # <cfdi:ComplementoX …>, or declarations on Complemento
        while not empty:
            at = _skip_space(data, at)
            if data.startswith(close_complemento, at):
                at += len(close_complemento)
                break
            if data[at : at + 1] != b"<" or data[at + 1 : at + 2] in (b"/", b"?"):
                raise _GiveUp  # text, or an unexpected end tag
            child, attributes, at, child_empty = _start_tag(data, at + 1)
            child_prefix, _, local = child.rpartition(b":")
            if local == b"TimbreFiscalDigital" and stamp is None:
                declared = b"xmlns:" + child_prefix if child_prefix else b"xmlns"
                namespace = attributes.get(declared, root.get(declared))
                if namespace is None:
                    raise _GiveUp
                if namespace == _TFD_NAMESPACE:
                    stamp = attributes
            names.append(local.decode("ascii"))
            if not child_empty:
                end_tag = b"</" + child + b">"
                end = data.find(end_tag, at)
                if end < 0 or data.find(b"<" + child, at, end) >= 0:
                    raise _GiveUp  # unclosed, or the same name nested inside
                at = end + len(end_tag)
        at = _skip_space(data, at)
    if stamp is None:
        raise _GiveUp  # lxml says: no TimbreFiscalDigital
    return stamp, tuple(names)


def _skip_space(data: bytes, position: int) -> int:
    while data[position : position + 1] in (b" ", b"\n", b"\r", b"\t"):
        position += 1
    return position


def _value(raw: bytes) -> str:
    """An attribute value as XML reads it: references decoded, whitespace characters → space."""
    text = raw.decode("utf-8")
    if "&" not in text and "\n" not in text and "\r" not in text and "\t" not in text:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_WHITESPACE)
    decoded = _REFERENCE.sub(_reference, text)
    if "&" in _REFERENCE.sub("", text):
        raise _GiveUp  # an undefined entity or a bare "&": lxml says it is not well-formed
    return decoded


def _reference(match: re.Match[str]) -> str:
    hexadecimal, decimal, named = match.groups()
    if named:
        return _NAMED[named]
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if (code < 0x20 and code not in (0x9, 0xA, 0xD)) or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _GiveUp  # not an XML character
    return chr(code)


def _optional(attributes: Attributes, *names: bytes) -> str | None:
    for name in names:
        raw = attributes.get(name)
        if raw:
            return _value(raw)
    return None


def _text(attributes: Attributes, *names: bytes) -> str:
    value = _optional(attributes, *names)
    if not value:
        raise _GiveUp  # lxml says which attribute is missing
    return value


def _amount(attributes: Attributes, *names: bytes) -> Decimal:
    value = Decimal(_text(attributes, *names).strip())
    if not value.is_finite():
        raise _GiveUp
    return value
