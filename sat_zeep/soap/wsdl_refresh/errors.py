"""Errors of the WSDL refresh tool; each says what is wrong and what to do."""

from __future__ import annotations

from ...errors import SatError


class WsdlError(SatError):
    """Base class: the refresh could not compare or update the WSDL files."""


class WsdlFetchError(WsdlError):
    """A WSDL or schema could not be downloaded (network, HTTP status, HTML page)."""

    def __init__(self, message: str, *, url: str, not_published: bool = False) -> None:
        super().__init__(message)
        self.url = url
        #: True when the server answered, but with an HTTP error or an HTML page (no WSDL there).
        self.not_published = not_published


class WsdlParseError(WsdlError):
    """A downloaded or vendored document is not a WSDL this tool can read."""


class WsdlConflictError(WsdlError):
    """CFDI and Retenciones serve different contracts, but one set of files describes both."""
