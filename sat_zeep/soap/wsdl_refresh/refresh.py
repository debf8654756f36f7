"""Fetch each service's WSDL and compare it with the vendored file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
from lxml import etree

from ..endpoints import Endpoints, ServiceType
from ..wsdl import Service, wsdl_directory
from .diff import Change, compare
from .errors import WsdlFetchError, WsdlParseError
from .fetch import fetch_wsdl
from .model import Contract, describe
from .xml import parse

#: What the report says when SAT serves no Descarga WSDL.
NOT_PUBLISHED = (
    "not published by SAT; the vendored file is authored from SAT's sample messages and a "
    "third-party WCF message contract (CONTRACT.md §5, §8), so there is nothing to compare"
)


@dataclass
class ServiceResult:
    """The outcome for one WSDL file of one service family."""

    family: str
    service: Service
    source: str
    changes: list[Change] = field(default_factory=list)
    #: Set instead of ``changes`` when nothing could be compared (Descarga not published).
    note: str = ""
    fetched: etree._Element | None = None
    #: Set by ``update`` when it wrote this file.
    written: bool = False

    @property
    def file(self) -> str:
        return self.service.wsdl_file


def families(choice: str) -> list[ServiceType]:
    """``cfdi``, ``retenciones`` or ``all``."""
    if choice == "all":
        return [ServiceType.CFDI, ServiceType.RETENCIONES]
    return [ServiceType(choice)]


def endpoints(family: ServiceType, base_url: str | None) -> Endpoints:
    """SAT's production URLs, or the ``{base}/{family}/…svc`` layout of a test server."""
    if base_url:
        return Endpoints.from_base_url(base_url, family)
    return Endpoints.cfdi() if family is ServiceType.CFDI else Endpoints.retenciones()


def vendored_contract(service: Service, wsdl_dir: Path | None) -> tuple[etree._Element, Contract]:
    """The parsed vendored file of ``service`` and its description."""
    path = (wsdl_dir or wsdl_directory()) / service.wsdl_file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WsdlParseError(
            f"cannot read the vendored {path} ({error.strerror}); pass --wsdl-dir with the "
            "four WSDL files, or restore wsdl/"
        ) from None
    root = parse(data, str(path))
    return root, describe(root, str(path))


def check(
    family_choice: str = "all",
    base_url: str | None = None,
    wsdl_dir: Path | None = None,
    session: requests.Session | None = None,
    services: Sequence[Service] = tuple(Service),
) -> list[ServiceResult]:
    """Fetch every service of the chosen families and compare each with the vendored file."""
    http = session or requests.Session()
    results: list[ServiceResult] = []
    for family in families(family_choice):
        urls = endpoints(family, base_url)
        for service in services:
            address = getattr(urls, service.value)
            _, mine = vendored_contract(service, wsdl_dir)
            results.append(_compare_one(family.value, service, address, mine, http))
    return results


def _compare_one(
    family: str, service: Service, address: str, mine: Contract, http: requests.Session
) -> ServiceResult:
    try:
        fetched = fetch_wsdl(address, http)
    except WsdlFetchError as error:
        if error.not_published and service is Service.DESCARGA:
            return ServiceResult(family, service, address, note=NOT_PUBLISHED)
        raise
    theirs = describe(fetched, f"the WSDL of {address}")
    return ServiceResult(family, service, address, compare(mine, theirs), fetched=fetched)
