"""Namespaces and the safe lxml parser shared by the refresh modules."""

from __future__ import annotations

from lxml import etree

from ...signing.namespaces import DSIG
from .errors import WsdlParseError

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
XS = "http://www.w3.org/2001/XMLSchema"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSP15 = "http://www.w3.org/ns/ws-policy"

#: Short names used in the normalised description, so reports stay readable.
PREFIXES = {XS: "xs", DSIG: "ds"}


def parser() -> etree.XMLParser:
    """An lxml parser that loads no DTD, expands no entity and never touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse(data: bytes, source: str) -> etree._Element:
    """The root element of ``data``; ``WsdlParseError`` names ``source`` when it is not XML."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as error:
        raise WsdlParseError(
            f"{source} is not well-formed XML ({error}); check the URL serves a WSDL"
        ) from None
    if root is None:
        raise WsdlParseError(f"{source} is empty; check the URL serves a WSDL")
    return root


def qname(element: etree._Element, value: str) -> tuple[str, str]:
    """Resolve a ``prefix:name`` attribute value against ``element``'s namespace map."""
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None) or ""
    return namespace, local
