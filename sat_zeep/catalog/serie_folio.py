"""Serie and Folio of a document: attributes of its root element, read without parsing the rest.

::

    <cfdi:Comprobante … Serie="A" Folio="1042" …>       CFDI 3.3 and 4.0 (3.2: serie, folio)
    <retenciones:Retenciones … FolioInt="R-77" …>      Retenciones (no serie)

Only the bytes up to the end of the root's start tag are parsed (it holds the Certificado, a few
KiB); the parser refuses DTDs and entities, as the package readers do.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["serie_folio"]

_CHUNK = 16 * 1024
_SERIE = ("Serie", "serie")
_FOLIO = ("Folio", "folio", "FolioInt")


def serie_folio(data: bytes) -> tuple[str | None, str | None]:
    """(Serie, Folio) of the document ``data``; ``None`` for what it does not say."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            parser.feed(bytes(view[start : start + _CHUNK]))
            for _, root in parser.read_events():
                assert isinstance(root, etree._Element)  # "start" events carry elements
                attributes = root.attrib
                return _first(attributes, _SERIE), _first(attributes, _FOLIO)
    except etree.XMLSyntaxError:
        pass
    return None, None


def _first(attributes: etree._Attrib, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = attributes.get(name)
        if value:
            return str(value)
    return None
