"""SOAP envelopes in SAT's own shape, and the canonical form that signatures cover.

zeep writes ``<soap-env:Envelope>`` with ``ns0``-style prefixes. SAT's samples, and the production
client whose signatures SAT accepts, use ``s``, ``des`` and a default namespace for Autentica::

    <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
                xmlns:des="http://DescargaMasivaTerceros.sat.gob.mx">
      <s:Header/>
      <s:Body><des:VerificaSolicitudDescarga>…</des:VerificaSolicitudDescarga></s:Body>
    </s:Envelope>

``normalize_envelope`` rewrites zeep's envelope into that shape before anything is signed.
"""

from __future__ import annotations

from lxml import etree

from ..signing.namespaces import DESCARGA_MASIVA, SAT_PREFIXES, SOAP_ENV

_ENVELOPE = etree.QName(SOAP_ENV, "Envelope").text
_HEADER = etree.QName(SOAP_ENV, "Header").text
_BODY = etree.QName(SOAP_ENV, "Body").text


def normalize_envelope(envelope: etree._Element) -> etree._Element:
    """A copy of ``envelope`` with SAT's prefixes, ``s:Header``, sorted attributes, no whitespace.

    Idempotent: a normalized envelope comes back equal to itself.
    """
    root_nsmap: dict[str | None, str] = {"s": SOAP_ENV}
    if any(_namespace(node) == DESCARGA_MASIVA for node in envelope.iter()):
        root_nsmap["des"] = DESCARGA_MASIVA
    result = etree.Element(_ENVELOPE, nsmap=root_nsmap)  # type: ignore[arg-type]
    for name in (_HEADER, _BODY):
        section = etree.SubElement(result, name)
        original = envelope.find(name)
        for child in original if original is not None else ():
            _copy_into(section, child)
    return result


def body_operation(envelope: etree._Element) -> etree._Element:
    """The single element inside ``s:Body``: the operation wrapper."""
    body = envelope.find(_BODY)
    if body is None or len(body) != 1:
        raise ValueError("the SOAP envelope must hold exactly one element in its Body")
    return body[0]


def header(envelope: etree._Element) -> etree._Element:
    """The envelope's ``s:Header``, created if it is missing."""
    found = envelope.find(_HEADER)
    if found is not None:
        return found
    created = etree.Element(_HEADER)
    envelope.insert(0, created)
    return created


def _namespace(node: etree._Element) -> str | None:
    return etree.QName(node).namespace if isinstance(node.tag, str) else None


def _copy_into(parent: etree._Element, node: etree._Element) -> None:
    if not isinstance(node.tag, str):  # comments and processing instructions are dropped
        return
    namespace = _namespace(node)
    nsmap: dict[str | None, str] = {}
    if namespace is not None and namespace not in parent.nsmap.values():
        prefix = SAT_PREFIXES.get(namespace, node.prefix)
        nsmap[prefix] = namespace
    attributes = sorted(node.attrib.items(), key=lambda item: _c14n_attribute_key(item[0]))
    copy = etree.SubElement(parent, node.tag, dict(attributes), nsmap=nsmap)  # type: ignore[arg-type]
    if node.text and node.text.strip():
        copy.text = node.text
    for child in node:
        _copy_into(copy, child)


def _c14n_attribute_key(name: str | bytes) -> tuple[str, str]:
    """Canonical XML's attribute order: unqualified first, then by namespace URI and local name."""
    qname = etree.QName(name)
    return (qname.namespace or "", qname.localname)
