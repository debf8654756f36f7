"""Serie and Folio of a document: attributes of its root element, read without parsing the rest.

::

    <cfdi:Comprobante … Serie="A" Folio="1042" …>       CFDI 3.3 and 4.0 (3.2: serie, folio)
    <retenciones:Retenciones … FolioInt="R-77" …>      Retenciones (no serie)

The root's start tag of a UTF-8 document is matched as text (about 3 µs; creating an lxml
parser per document costs over 100 µs): only a well-formed start tag matches (no ``<`` inside
a value), values are normalized and unescaped as XML says. Anything else (another encoding, an
entity the tag does not define…) goes to lxml, with DTDs and entities refused as the package
readers do.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["serie_folio"]

_SERIE = ("Serie", "serie")
_FOLIO = ("Folio", "folio", "FolioInt")
_NAME = r"[A-Za-z_][\w.:-]*"
_ROOT = re.compile(
    rb"\s*(?:<\?xml(?P<declaration>[^?]*)\?>\s*)?(?:<!--(?:[^-]|-[^-])*-->\s*|<\?[^?]*\?>\s*)*"
    rb"<" + _NAME.encode() + rb"(?P<attributes>(?:\s+" + _NAME.encode()
    + rb"\s*=\s*(?:\"[^\"<]*+\"|'[^'<]*+'))*+)\s*/?>"
)  # fmt: skip
#: The attributes wanted, in the root's start tag (matched whole by ``_ROOT``).
_WANTED = re.compile(rb"\s(Serie|serie|Folio|folio|FolioInt)\s*=\s*(?:\"([^\"]*+)\"|'([^']*+)')")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_BOM = b"\xef\xbb\xbf"


class _Unusual(Exception):
    """The fast path does not know this document: lxml reads it."""


def serie_folio(data: bytes) -> tuple[str | None, str | None]:
    """(Serie, Folio) of the document ``data``; ``None`` for what it does not say."""
    try:
        attributes = _root_attributes(data)
    except _Unusual:
        attributes = _parsed_root_attributes(data)
    return _first(attributes, _SERIE), _first(attributes, _FOLIO)


def _root_attributes(data: bytes) -> dict[str, str]:
    found = _ROOT.match(data[3:] if data.startswith(_BOM) else data)
    if found is None:
        raise _Unusual
    declaration = found.group("declaration")
    if declaration:
        encoding = _ENCODING.search(declaration)
        if encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
            raise _Unusual
    attributes = {}
    for match in _WANTED.finditer(found.group("attributes")):
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        try:
            attributes[match.group(1).decode("ascii")] = _unescape(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise _Unusual from None
    return attributes


def _unescape(value: str) -> str:
    """An attribute value as XML reads it: whitespace characters become spaces, then references."""
    value = value.replace("\r\n", " ").translate({9: " ", 10: " ", 13: " "})
    if "&" not in value:
        return value
    if value.count("&") != len(_REFERENCE.findall(value)):
        raise _Unusual  # a bare "&": not well-formed
    return _REFERENCE.sub(_reference, value)


def _reference(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    if name in _NAMED:
        return _NAMED[name]
    raise _Unusual


def _parsed_root_attributes(data: bytes) -> dict[str, str]:
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        parser.feed(data)
        for _, root in parser.read_events():
            assert isinstance(root, etree._Element)  # "start" events carry elements
            if getattr(root.getroottree().docinfo, "doctype", ""):
                return {}  # refused, as the package readers refuse it
            return {str(name): str(value) for name, value in root.attrib.items()}
    except etree.XMLSyntaxError:
        pass
    return {}


def _first(attributes: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = attributes.get(name)
        if value:
            return value
    return None
