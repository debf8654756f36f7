"""One service endpoint: a zeep client bound to an address, and the reading of its replies.

A reply is read in this order, so that the most specific explanation wins:
transport failure → SOAP fault (whatever the HTTP status) → HTTP error status → unparseable body.
Every error keeps the raw bytes SAT sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.wsdl.utils import etree_to_string

from ..errors import (
    SatCertificateError,
    SatError,
    SatHTTPError,
    SatResponseError,
    SatSoapFault,
    SatTimeout,
    SatTransportError,
)
from ..signing.namespaces import WSU
from .transport import DeadlinePassed, request_may_have_reached


@dataclass
class Port:
    """A zeep client bound to one service address."""

    client: Any
    proxy: Any
    address: str

    def send(self, operation: str, payload: Mapping[str, Any]) -> requests.Response:
        """Build, sign (through the client's plugins) and post one request; return the raw reply."""
        try:
            response: requests.Response = self.proxy[operation](**payload)
        except requests.RequestException as error:
            raise self._transport_error(operation, error) from None
        return response

    def _transport_error(self, operation: str, error: requests.RequestException) -> SatError:
        if isinstance(error, DeadlinePassed):
            return SatTimeout(
                f"{operation}: {error} at {self.address}; SAT may be overloaded, try again later",
                url=self.address,
            )
        if isinstance(error, requests.Timeout):
            return SatTimeout(
                f"{operation}: SAT did not answer in time at {self.address}; it is often slow, "
                "try again later",
                url=self.address,
                reached=request_may_have_reached(error),
            )
        if isinstance(error, requests.exceptions.SSLError):
            return SatCertificateError(
                f"{operation}: the HTTPS certificate of {self.address} is not trusted "
                f"({_ssl_reason(error)}); trust the CA that issued it",
                url=self.address,
                reached=request_may_have_reached(error),
            )
        return SatTransportError(
            f"{operation}: could not reach SAT at {self.address} ({type(error).__name__}: "
            f"{error}); check the network and try again",
            url=self.address,
            reached=request_may_have_reached(error),
        )

    def send_streaming(self, operation: str, payload: Mapping[str, Any]) -> requests.Response:
        """Like ``send``, but the answer's body is left unread (``stream=True``) for the caller."""
        binding = self.proxy._binding
        envelope, headers = binding._create(
            operation, (), dict(payload), client=self.client, options=self.proxy._binding_options
        )
        transport = self.client.transport
        try:
            response: requests.Response = transport.session.post(
                self.address,
                data=etree_to_string(envelope),
                headers=headers,
                timeout=transport.operation_timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise self._transport_error(operation, error) from None
        return response

    def read(self, operation: str, response: requests.Response) -> Any:
        """The zeep result of a reply, or the matching ``SatError``."""
        binding = self.proxy._binding
        status, raw = response.status_code, response.content
        try:
            return binding.process_reply(self.client, binding.get(operation), response)
        except Fault as fault:
            if fault.code is None and status != 200:
                raise self._http_error(operation, status, raw) from None
            raise SatSoapFault(
                fault.code or "", fault.message or "", status_code=status, raw=raw, url=self.address
            ) from None
        except TransportError:
            if status != 200:
                raise self._http_error(operation, status, raw) from None
            raise SatResponseError(
                f"{operation}: SAT's answer is not valid XML ({len(raw)} bytes; see .raw)",
                raw=raw,
                url=self.address,
            ) from None
        except (ZeepError, etree.XMLSyntaxError, ValueError) as error:
            if status != 200:
                raise self._http_error(operation, status, raw) from None
            raise SatResponseError(
                f"{operation}: SAT's answer could not be read: {error}", raw=raw, url=self.address
            ) from None

    def _http_error(self, operation: str, status: int, raw: bytes) -> SatHTTPError:
        hint = "SAT is failing or overloaded; try again later" if status >= 500 else "check the URL"
        return SatHTTPError(
            f"{operation}: SAT answered HTTP {status} without a SOAP fault ({hint})",
            status_code=status,
            raw=raw,
            url=self.address,
        )


def bind(client: zeep.Client, address: str) -> Port:
    """A ``Port`` for the single binding of ``client``'s WSDL, posting to ``address``."""
    binding = next(iter(client.wsdl.bindings))
    return Port(client, client.create_service(binding, address), address)


def token_lifetime(reply: bytes) -> timedelta | None:
    """``Expires − Created`` of the WS-Security Timestamp in Autentica's reply, if it has one."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(reply, parser)
    except etree.XMLSyntaxError:
        return None
    created = document.findtext(f".//{{{WSU}}}Timestamp/{{{WSU}}}Created")
    expires = document.findtext(f".//{{{WSU}}}Timestamp/{{{WSU}}}Expires")
    if not created or not expires:
        return None
    try:
        start = datetime.fromisoformat(created.replace("Z", "+00:00"))
        end = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return None
    lifetime = end - start
    return lifetime if lifetime > timedelta(0) else None


def _ssl_reason(error: requests.exceptions.SSLError) -> str:
    """The TLS library's reason (``certificate verify failed: …``), without urllib3's wrapping."""
    text = str(error)
    found = re.search(r"certificate verify failed: [^(')]*", text)
    return found.group(0).strip() if found else type(error).__name__
