"""A zeep transport that answers from a Python function instead of the network.

    def handler(request: SoapRequest) -> SoapResponse:
        assert request.soap_action.endswith("/Autentica")
        return SoapResponse(200, b"<s:Envelope …>")

    client = SatClient(fiel, transport=MockTransport(handler))

Every request is kept in ``transport.requests`` with the exact bytes zeep would have sent.
Requests posted straight through ``transport.session`` (streamed downloads) reach the handler
too, through an adapter mounted on the session.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import zeep
from lxml import etree
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
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
        adapter = _HandlerAdapter(self)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

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


class _HandlerAdapter(BaseAdapter):
    """A ``requests`` adapter answering from the transport's handler, body left unread."""

    def __init__(self, transport: MockTransport) -> None:
        super().__init__()
        self.transport = transport

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        del stream, timeout, verify, cert, proxies  # the handler answers at once, from memory
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        soap = SoapRequest(str(request.url), body, dict(request.headers))
        self.transport.requests.append(soap)
        reply = self.transport.handler(soap)
        response = requests.Response()
        response.status_code = reply.status_code
        response.headers = CaseInsensitiveDict(reply.headers)
        response.raw = io.BytesIO(reply.body)
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass
