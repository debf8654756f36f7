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
_NAME = re.compile(rb"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?")
#: A start tag with its values cut out, in the usual form: `cfdi:Emisor Rfc=" Nombre="/`.
_KEYS = re.compile(rb"[A-Za-z_][\w.:-]*(?:\s+[A-Za-z_][\w.:-]*=\")*\s*/?")
#: Checked tag skeletons (``joined`` in ``_start_tag``): their name, attribute names, emptiness.
_SKELETONS: dict[bytes, tuple[bytes, list[bytes], bool]] = {}
_SKELETONS_KEPT = 4096
_ATTRIBUTE = re.compile(rb"([^\s=]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REFERENCE = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_WHITESPACE = str.maketrans("\t\n", "  ")
_SPACE = b" \t\r\n"
_AFTER_NAME = frozenset(b" \t\r\n/>")
_SLASH = ord("/")
_SPACES = re.compile(rb"[ \t\r\n]*")
#: Stands for a missing Moneda (an empty one is kept as ""): not XML, so no value equals it.
_ABSENT = b"\x01"
_ABSENT_TEXT = "\x01"


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


class _Marks:
    """The byte strings a document with this root prefix is searched for (made once per prefix)."""

    def __init__(self, prefix: bytes) -> None:
        tag = b"<" + prefix + b":" if prefix else b"<"
        self.declared = b"xmlns:" + prefix if prefix else b"xmlns"
        self.close = b"</" + tag[1:] + b"Comprobante>"
        self.conceptos = tag + b"Conceptos"
        self.conceptos_end = b"</" + tag[1:] + b"Conceptos>"
        self.emisor, self.receptor = tag + b"Emisor", tag + b"Receptor"
        self.complemento = tag + b"Complemento"
        self.complemento_tag = self.complemento + b">"
        self.complemento_end = b"</" + tag[1:] + b"Complemento>"
        self.impuestos_end = b"</" + tag[1:] + b"Impuestos>"
        self.addenda = tag + b"Addenda"


_MARKS: dict[bytes, _Marks] = {}


def _scan(data: bytes) -> Fields:
    if b"!" in data and b"<!" in data:  # (one byte is found much faster than two)
        raise _GiveUp  # a DOCTYPE, comment or CDATA section: lxml decides
    prolog = _PROLOG.match(data)
    if prolog is None:
        raise _GiveUp
    name, attributes, position, empty = _start_tag(data, prolog.end())
    prefix, _, local = name.rpartition(b":")
    if local != b"Comprobante" or empty:
        raise _GiveUp
    marks = _MARKS.get(prefix)
    if marks is None:
        marks = _MARKS.setdefault(prefix, _Marks(prefix))
    if attributes.get(marks.declared) not in _CFDI_NAMESPACES:
        raise _GiveUp
    tail = len(data[-64:].rstrip(_SPACE))
    if not data.endswith(marks.close, 0, len(data) - 64 + tail if len(data) > 64 else tail):
        raise _GiveUp  # not closed at the end: truncated, or something after the root
    # Emisor and Receptor come first (after CfdiRelacionados / InformacionGlobal, if any).
    at = data.find(marks.emisor, position)
    if at < 0 or data[at + len(marks.emisor)] not in _AFTER_NAME:
        at = _find_element(data, marks.emisor, position)  # after <cfdi:EmisorX …, if ever
    name, emisor, at, empty = _start_tag(data, at + 1)
    at = data.find(marks.receptor, at)
    if at < 0 or data[at + len(marks.receptor)] not in _AFTER_NAME:
        at = _find_element(data, marks.receptor, at)
    name, receptor, head, empty = _start_tag(data, at + 1)
    if (
        data.find(marks.conceptos, position, head) >= 0
        or data.find(b"xmlns", position, head) >= 0
        or (data.find(b"?", position, head) >= 0 and data.find(b"<?", position, head) >= 0)
    ):
        raise _GiveUp  # out of order, a prefix (re)declared below the root, an instruction
    stamp, complementos = _complementos(data, marks, head, attributes)
    get = attributes.get
    raws = (
        stamp.get(b"UUID"),
        get(b"Version") or get(b"version"),
        emisor.get(b"Rfc") or emisor.get(b"rfc"),
        emisor.get(b"Nombre") or emisor.get(b"nombre") or b"",
        receptor.get(b"Rfc") or receptor.get(b"rfc"),
        receptor.get(b"Nombre") or receptor.get(b"nombre") or b"",
        get(b"Fecha") or get(b"fecha"),
        stamp.get(b"FechaTimbrado"),
        get(b"SubTotal") or get(b"subTotal"),
        get(b"Total") or get(b"total"),
        get(b"Moneda", _ABSENT),
        get(b"TipoDeComprobante") or get(b"tipoDeComprobante") or b"",
    )
    if not (raws[0] and raws[1] and raws[2] and raws[4] and raws[6] and raws[7] and raws[8]):
        raise _GiveUp  # lxml says which attribute is missing
    if not raws[9]:
        raise _GiveUp
    joined = b"\x00".join(raws)  # type: ignore[arg-type]  # (None was excluded just above)
    if len(joined.translate(None, b"&\t\r\n")) == len(joined):
        texts = joined.decode("utf-8").split("\x00")  # NUL is not XML: no value holds one
    else:
        texts = [_value(raw) for raw in raws]  # type: ignore[arg-type]
    uuid, version, rfc_e, name_e, rfc_r, name_r, fecha, stamped, subtotal, total = texts[:10]
    moneda, tipo = texts[10:]
    amounts = Decimal(subtotal), Decimal(total)  # (Decimal allows surrounding whitespace)
    if not (amounts[0].is_finite() and amounts[1].is_finite()):
        raise _GiveUp
    return (
        uuid.strip().upper(),
        "cfdi",
        version,
        rfc_e,
        name_e or None,
        rfc_r,
        name_r or None,
        datetime.fromisoformat(fecha.strip()),
        datetime.fromisoformat(stamped.strip()),
        amounts[0],
        amounts[1],
        None if moneda == _ABSENT_TEXT else moneda,
        tipo or None,
        complementos,
    )


def _start_tag(data: bytes, position: int) -> tuple[bytes, Attributes, int, bool]:
    """The start tag whose name begins at ``position``: name, attributes, end, whether empty.

    The common case (values in double quotes) is cut with ``find`` and ``split``; a tag with a
    single quote goes through one regular expression.
    """
    end = data.find(b">", position)
    if end < 0:
        raise _GiveUp
    tag = data[position:end]
    parts = tag.split(b'"')
    if not len(parts) % 2 or b"'" in tag or b"<" in tag:
        # A ">" inside a value (an odd number of quotes before it), or single quotes.
        return _start_tag_slowly(data, position)
    joined = b'"'.join(parts[0::2])  # the tag without its values: 'cfdi:Emisor Rfc=" Nombre="/'
    known = _SKELETONS.get(joined)  # documents of one issuer share their tags' skeletons
    if known is None:
        if _KEYS.fullmatch(joined) is None:
            return _start_tag_slowly(data, position)  # spaces around "=", other names: be exact
        empty = joined.endswith(b"/")
        names = (joined[:-1] if empty else joined).replace(b'="', b" ").split()
        if len(set(names[1:])) != len(names) - 1:
            raise _GiveUp  # a duplicate attribute: not well-formed, lxml says so
        if len(_SKELETONS) >= _SKELETONS_KEPT:
            _SKELETONS.clear()
        known = _SKELETONS[joined] = (names[0], names[1:], empty)
    name, keys, empty = known
    return name, dict(zip(keys, parts[1::2], strict=True)), end + 1, empty


def _start_tag_slowly(data: bytes, position: int) -> tuple[bytes, Attributes, int, bool]:
    match = _TAG.match(data, position)
    if match is None:
        raise _GiveUp
    pairs = _ATTRIBUTE.findall(data, *match.span(2))
    attributes = {key: double or single for key, double, single in pairs}
    if len(attributes) != len(pairs):
        raise _GiveUp
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
    data: bytes, marks: _Marks, position: int, root: Attributes
) -> tuple[Attributes, tuple[str, ...]]:
    """The TimbreFiscalDigital's attributes and the Complemento children's local names.

    Walks the top level from the end of Conceptos to each Complemento (CFDI 3.3 allows several),
    then child by child; each child other than the stamp is skipped to its end tag.
    """
    opening, end_tag = marks.complemento, marks.complemento_end
    # The Complemento elements are the last children but the Addenda: find the last one from
    # the end, then step back over the ones just before it.
    at = data.rfind(marks.complemento_tag, position)
    if at < 0:
        raise _GiveUp  # lxml says: no Complemento, never stamped (or a rare spelling)
    while True:
        before = data[max(position, at - 80) : at].rstrip(_SPACE)
        if not before.endswith(end_tag):
            break
        earlier = data.rfind(marks.complemento_tag, position, at)
        if earlier < 0:
            raise _GiveUp
        at = earlier
    if not before.endswith((marks.conceptos_end, marks.impuestos_end)) and data[position:at].strip(
        _SPACE
    ):
        raise _GiveUp  # not a child of the root after Conceptos and Impuestos (or Receptor)
    stamp: Attributes | None = None
    names: list[str] = []
    while data.startswith(opening, at):
        if data.startswith(marks.complemento_tag, at):
            at += len(marks.complemento_tag)
            empty = False
        else:
            name, attributes, at, empty = _start_tag(data, at + 1)
            if name != opening[1:] or attributes:
                raise _GiveUp  # <cfdi:ComplementoX …>, or declarations on Complemento
        while not empty:
            at = _SPACES.match(data, at).end()  # type: ignore[union-attr]  # (always matches)
            if data.startswith(end_tag, at):
                at += len(end_tag)
                break
            if data[at : at + 1] != b"<":
                raise _GiveUp  # text, or an unexpected end tag
            match = _NAME.match(data, at + 1)
            if match is None:
                raise _GiveUp  # an end tag, an instruction
            child = match.group()
            local = child.rpartition(b":")[2]
            if local == b"TimbreFiscalDigital" and stamp is None:
                _, attributes, at, child_empty = _start_tag(data, at + 1)
                prefix = child.rpartition(b":")[0]
                declared = b"xmlns:" + prefix if prefix else b"xmlns"
                namespace = attributes.get(declared, root.get(declared))
                if namespace is None:
                    raise _GiveUp
                if namespace == _TFD_NAMESPACE:
                    stamp = attributes
            else:
                close = _tag_end(data, match.end())
                child_empty = data[close - 1] == _SLASH
                at = close + 1
            names.append(local.decode("ascii"))
            if not child_empty:
                child_end = b"</" + child + b">"
                end = data.find(child_end, at)
                if end < 0 or data.find(b"<" + child, at, end) >= 0:
                    raise _GiveUp  # unclosed, or the same name nested inside
                at = end + len(child_end)
        at = _SPACES.match(data, at).end()  # type: ignore[union-attr]
    if stamp is None:
        raise _GiveUp  # lxml says: no TimbreFiscalDigital
    if not (data.startswith(marks.addenda, at) or data.startswith(marks.close, at)):
        raise _GiveUp  # the Complemento found was not a child of the root
    return stamp, tuple(names)


def _tag_end(data: bytes, position: int) -> int:
    """Where the tag running at ``position`` ends: its ``>`` outside quoted values."""
    end = data.find(b">", position)
    while end >= 0 and (data.count(b'"', position, end) % 2 or data.count(b"'", position, end)):
        if data.count(b"'", position, end):
            raise _GiveUp  # single quotes: leave it to lxml
        end = data.find(b">", end + 1)  # that ">" was inside a value
    if end < 0:
        raise _GiveUp
    return end


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
