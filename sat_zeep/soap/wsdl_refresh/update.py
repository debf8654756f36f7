"""Rewrite the vendored files from fetched WSDLs, keeping what sat_zeep authored on purpose.

Kept: the header comment (plus a note naming the source), the inline trimmed xmldsig schema in
place of SAT's, the CFDI production ``soap:address``, and the Descarga file when SAT serves none.
Dropped: WS-Policy and import locations (everything is inlined), so the file loads offline.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import requests
from lxml import etree

from ...signing.namespaces import DSIG
from ..wsdl import Service, wsdl_directory
from .diff import compare
from .errors import WsdlConflictError
from .fetch import with_namespaces
from .model import describe
from .refresh import ServiceResult, check, vendored_contract
from .xml import SOAP, SOAP12, WSDL, WSP, WSP15, XS

NOTE_PREFIX = " Refreshed by `sat-zeep wsdl update`"


def update(
    family_choice: str = "all",
    base_url: str | None = None,
    wsdl_dir: Path | None = None,
    session: requests.Session | None = None,
) -> list[ServiceResult]:
    """Fetch, then write into ``wsdl_dir`` each WSDL whose contract changed (or is missing there).

    A file whose contract is the same is not touched (same bytes, same mtime); the results say
    what changed and, in ``written``, which files were written.
    """
    has_files = wsdl_dir is not None and (wsdl_dir / Service.AUTENTICACION.wsdl_file).is_file()
    source_dir = wsdl_dir if has_files else None
    results = check(family_choice, base_url, source_dir, session)
    target = wsdl_dir or wsdl_directory()
    target.mkdir(parents=True, exist_ok=True)
    for service in Service:
        mine = [r for r in results if r.service is service]
        fetched = [r for r in mine if r.fetched is not None]
        _same_everywhere(fetched)
        path = target / service.wsdl_file
        if path.is_file() and not any(r.changes for r in mine):
            continue  # the same contract: the file stays as it is, byte for byte
        vendored, _ = vendored_contract(service, source_dir)
        if fetched and fetched[0].fetched is not None:
            text = absorb(fetched[0].fetched, vendored, fetched[0].source)
        else:
            text = ((source_dir or wsdl_directory()) / service.wsdl_file).read_bytes()
        path.write_bytes(text)
        for result in mine:
            result.written = True
    return results


def _same_everywhere(results: list[ServiceResult]) -> None:
    if len(results) < 2:
        return
    first = results[0]
    for other in results[1:]:
        assert first.fetched is not None and other.fetched is not None
        if compare(describe(first.fetched), describe(other.fetched)):
            raise WsdlConflictError(
                f"{first.file}: {first.family} and {other.family} serve different contracts, "
                "but one vendored file describes both; run the update with --service "
                f"{first.family} and review how the client should handle {other.family}"
            )


def absorb(fetched: etree._Element, vendored: etree._Element, source: str) -> bytes:
    """The bytes of the new file: ``fetched``'s contract inside ``vendored``'s authored frame."""
    root = copy.deepcopy(fetched)
    for node in list(root.iter()):
        if isinstance(node.tag, str) and etree.QName(node).namespace in (WSP, WSP15):
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    for wsdl_import in root.findall(f"{{{WSDL}}}import"):
        root.remove(wsdl_import)
    types = root.find(f"{{{WSDL}}}types")
    if types is not None:
        _keep_trimmed_xmldsig(types, vendored)
    address = _address(vendored)
    if address:
        for soap in (SOAP, SOAP12):
            for node in root.iter(f"{{{soap}}}address"):
                node.set("location", address)
    text = etree.tostring(root, encoding="unicode")
    pretty = etree.fromstring(text, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    body = etree.tostring(pretty, encoding="unicode", pretty_print=True)
    comments = [
        f"<!--{node.text}-->"
        for node in reversed(list(vendored.itersiblings(preceding=True)))
        if isinstance(node, etree._Comment) and not (node.text or "").startswith(NOTE_PREFIX)
    ]
    note = (
        f"<!--{NOTE_PREFIX} from {source}?singleWsdl on {date.today().isoformat()}. The comment\n"
        "  above describes the authored file; the contract below is what the server served,\n"
        "  with the authored xmldsig stand-in and soap:address kept (see wsdl/README.md). -->"
    )
    header = '<?xml version="1.0" encoding="utf-8"?>\n'
    return (header + "\n".join([*comments, note, body])).encode("utf-8")


def _keep_trimmed_xmldsig(types: etree._Element, vendored: etree._Element) -> None:
    """Replace the served xmldsig schema (or its import location) by the authored stand-in."""
    for schema in types.findall(f"{{{XS}}}schema"):
        if schema.get("targetNamespace") == DSIG:
            types.remove(schema)
        for reference in schema.iter(f"{{{XS}}}import", f"{{{XS}}}include"):
            if "schemaLocation" in reference.attrib:
                del reference.attrib["schemaLocation"]
    mine = vendored.find(f"{{{WSDL}}}types")
    if mine is None:
        return
    for schema in mine.findall(f"{{{XS}}}schema"):
        if schema.get("targetNamespace") == DSIG:
            types.append(with_namespaces(schema, vendored.nsmap))


def _address(vendored: etree._Element) -> str | None:
    for soap in (SOAP, SOAP12):
        for node in vendored.iter(f"{{{soap}}}address"):
            return node.get("location")
    return None
