"""A zeep transport that answers from a Python function instead of the network.

    def handler(request: SoapRequest) -> SoapResponse:
        assert request.soap_action.endswith("/Autentica")
        return SoapResponse(200, b"<s:Envelope …>")

    client = SatClient(fiel, transport=MockTransport(handler))

Every request is kept in ``transport.requests`` with the exact bytes zeep would have sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.wsdl.utils import etree_to_string


@dataclass(frozen=True)
class SoapRequest:
    """One request as it would have gone on the wire."""

    url: str
    body: bytes
    headers: Mapping[str, str]

    @property
    def soap_action(self) -> str:
        return self.headers.get("SOAPAction", "").strip('"')

    def envelope(self) -> etree._Element:
        return etree.fromstring(self.body, etree.XMLParser(resolve_entities=False))


@dataclass(frozen=True)
class SoapResponse:
    """What the handler answers."""

    status_code: int
    body: bytes
    headers: Mapping[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/xml; charset=utf-8"}
    )


Handler = Callable[[SoapRequest], SoapResponse]


class MockTransport(zeep.Transport):  # type: ignore[misc]
    """A ``zeep.Transport`` whose ``post_xml`` calls ``handler`` and records the request."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[SoapRequest] = []

    def post_xml(self, address: str, envelope: etree._Element, headers: Any) -> requests.Response:
        request = SoapRequest(address, etree_to_string(envelope), dict(headers))
        self.requests.append(request)
        reply = self.handler(request)
        response = requests.Response()
        response.status_code = reply.status_code
        response._content = reply.body
        response.headers.update(reply.headers)
        response.url = address
        response.encoding = "utf-8"
        return response
