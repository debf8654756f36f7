"""Download a service's WSDL as one self-contained document.

``?singleWsdl`` first (WCF's all-in-one form); if that is not served, ``?wsdl`` plus every
``wsdl:import``/``xs:import``/``xs:include`` location it names, inlined into ``wsdl:types``.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urljoin

import requests
from lxml import etree

from .errors import WsdlError, WsdlFetchError, WsdlParseError
from .xml import WSDL, XS, parse

#: Seconds to wait for each document.
TIMEOUT = 30.0
#: Most documents one WSDL may pull in (imports of imports included).
MAX_DOCUMENTS = 50


def fetch_wsdl(address: str, session: requests.Session | None = None) -> etree._Element:
    """The ``wsdl:definitions`` of the service at ``address`` (a ``….svc`` URL), imports inlined.

    Raises ``WsdlFetchError`` (``not_published`` when the server answered without a WSDL) or
    ``WsdlParseError`` (not XML, or XML that is not a WSDL).
    """
    http = session or requests.Session()
    errors: list[WsdlError] = []
    for query in ("singleWsdl", "wsdl"):
        url = f"{address}?{query}"
        try:
            root = _get_xml(http, url, expect=f"{{{WSDL}}}definitions")
            return _Inliner(http).inline(root, url)
        except WsdlFetchError as failure:
            if not failure.not_published:
                raise
            errors.append(failure)
        except WsdlParseError as broken:
            errors.append(broken)
    for found in errors:
        if isinstance(found, WsdlParseError):
            raise found
    reasons = "; ".join(str(found) for found in errors)
    raise WsdlFetchError(
        f"no WSDL at {address} ({reasons})", url=address, not_published=True
    ) from None


def _get_xml(http: requests.Session, url: str, *, expect: str) -> etree._Element:
    try:
        response = http.get(url, timeout=TIMEOUT)
    except requests.ConnectionError as error:
        raise WsdlFetchError(
            f"cannot connect to {url} ({_reason(error)}); check --base-url and the network",
            url=url,
        ) from None
    except requests.Timeout:
        raise WsdlFetchError(
            f"{url} did not answer within {TIMEOUT:.0f} s; try again later", url=url
        ) from None
    except requests.RequestException as error:
        raise WsdlFetchError(f"cannot download {url}: {_reason(error)}", url=url) from None
    if response.status_code != 200:
        raise WsdlFetchError(
            f"{url} answered HTTP {response.status_code}", url=url, not_published=True
        )
    body = response.content
    content_type = response.headers.get("Content-Type", "").lower()
    if "html" in content_type or body.lstrip()[:14].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        raise WsdlFetchError(
            f"{url} answered an HTML page, not a WSDL", url=url, not_published=True
        )
    root = parse(body, url)
    if root.tag != expect:
        if etree.QName(root).localname.lower() == "html":
            raise WsdlFetchError(
                f"{url} answered an HTML page, not a WSDL", url=url, not_published=True
            )
        raise WsdlParseError(
            f"{url} is XML but not the expected document: root element {root.tag}, "
            f"expected {expect}; check the URL"
        )
    return root


def _reason(error: Exception) -> str:
    text = str(error)
    for known in ("Connection refused", "Name or service not known", "timed out"):
        if known in text:
            return known.lower()
    return text.splitlines()[0][:200] if text else type(error).__name__


class _Inliner:
    """Replaces import locations by the documents they point at."""

    def __init__(self, http: requests.Session) -> None:
        self.http = http
        self.seen: set[str] = set()

    def inline(self, root: etree._Element, url: str) -> etree._Element:
        self.seen.add(url)
        types = root.find(f"{{{WSDL}}}types")
        if types is None:
            types = etree.Element(f"{{{WSDL}}}types")
            root.insert(0, types)
        for wsdl_import in root.findall(f"{{{WSDL}}}import"):
            location = wsdl_import.get("location")
            root.remove(wsdl_import)
            if location:
                self._merge_definitions(root, types, urljoin(url, location))
        for schema in list(types.findall(f"{{{XS}}}schema")):
            self._inline_schema(types, schema, url)
        return root

    def _fetch(self, url: str, expect: str) -> etree._Element | None:
        if url in self.seen:
            return None
        if len(self.seen) >= MAX_DOCUMENTS:
            raise WsdlParseError(
                f"more than {MAX_DOCUMENTS} imported documents (last: {url}); "
                "the WSDL's imports loop or are not SAT's"
            )
        self.seen.add(url)
        try:
            return _get_xml(self.http, url, expect=expect)
        except WsdlFetchError as error:
            raise WsdlFetchError(f"an import failed: {error}", url=url) from None

    def _merge_definitions(self, root: etree._Element, types: etree._Element, url: str) -> None:
        imported = self._fetch(url, f"{{{WSDL}}}definitions")
        if imported is None:
            return
        self.inline(imported, url)
        for child in imported:
            if not isinstance(child.tag, str):
                continue
            if child.tag == f"{{{WSDL}}}types":
                for schema in child:
                    if isinstance(schema.tag, str):
                        types.append(with_namespaces(schema, imported.nsmap))
            else:
                root.append(with_namespaces(child, imported.nsmap))

    def _inline_schema(self, types: etree._Element, schema: etree._Element, url: str) -> None:
        for tag in ("import", "include"):
            for reference in schema.findall(f"{{{XS}}}{tag}"):
                location = reference.get("schemaLocation")
                if not location:
                    continue
                del reference.attrib["schemaLocation"]
                if tag == "include":
                    schema.remove(reference)
                target = urljoin(url, location)
                loaded = self._fetch(target, f"{{{XS}}}schema")
                if loaded is None:
                    continue
                types.append(loaded)
                self._inline_schema(types, loaded, target)


def with_namespaces(element: etree._Element, nsmap: dict[str | None, str]) -> etree._Element:
    """A copy of ``element`` that also declares ``nsmap`` (prefixes used in attribute values)."""
    merged: dict[Any, str] = dict(nsmap)
    merged.update(element.nsmap)
    clone = etree.Element(element.tag, nsmap=merged)
    clone.attrib.update(element.attrib)
    clone.text = element.text
    for child in element:
        clone.append(copy.deepcopy(child))
    return clone
