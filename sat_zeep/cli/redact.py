"""``--verbose``: log SOAP traffic at DEBUG with every secret redacted.

Two layers keep secrets out of the log:

- ``redact_xml`` blanks the elements that hold secrets or bulk (the token, signatures,
  certificates, packages) and ``redact_headers`` the ``Authorization`` header;
- ``SecretFilter`` on the handler replaces any registered literal (password, token, certificate)
  and any PEM private key in every record it formats, whatever logger wrote it.

``log_exchange`` is a ``requests`` response hook: it sees every request of the session, streamed
or not, after zeep's plugins signed it. ``log_answer`` logs each answer ``SatTransport`` read
whole (answers are streamed from the socket, within the call's deadline).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import escape

import requests
from lxml import etree

logger = logging.getLogger("sat_zeep.cli.traffic")

REDACTED = "[REDACTED]"
#: Local names of the elements whose text is never logged.
SECRET_ELEMENTS = frozenset(
    {"AutenticaResult", "BinarySecurityToken", "SignatureValue", "X509Certificate", "Paquete"}
)
_SECRET_ELEMENT_RE = re.compile(
    r"(<(?:[\w.-]+:)?(?P<name>" + "|".join(sorted(SECRET_ELEMENTS)) + r")\b[^>]*>)"
    r"[^<]*(</(?:[\w.-]+:)?(?P=name)\s*>)"
)
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def redact_xml(data: bytes | str | None) -> str:
    """The envelope as text with the content of ``SECRET_ELEMENTS`` replaced."""
    if not data:
        return ""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError:
        text = raw.decode("utf-8", errors="replace")
        return _SECRET_ELEMENT_RE.sub(rf"\1{REDACTED}\3", text)
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname in SECRET_ELEMENTS:
            element.text = f"{REDACTED} ({len(element.text or '')} chars)"
            for child in list(element):
                element.remove(child)
    return etree.tostring(root, encoding="unicode")


def redact_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """HTTP headers with ``Authorization`` (the WRAP token) replaced."""
    return {
        name: REDACTED if name.lower() in ("authorization", "cookie") else str(value)
        for name, value in headers.items()
    }


class SecretFilter(logging.Filter):
    """Replaces registered secrets (and PEM private keys) in every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Never log ``secret``, nor its XML-escaped form."""
        if secret and len(secret) >= 4:
            self._secrets.update({secret, escape(secret), escape(secret, {'"': "&quot;"})})

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return _PRIVATE_KEY_RE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


def log_exchange(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A ``requests`` response hook: log the request and the answer, redacted."""
    del args
    if not logger.isEnabledFor(logging.DEBUG):
        return response
    request = response.request
    logger.debug(
        "%s %s headers=%s\n%s",
        request.method,
        request.url,
        redact_headers(request.headers),
        redact_xml(request.body if isinstance(request.body, (bytes, str)) else None),
    )
    if kwargs.get("stream"):
        logger.debug("HTTP %s from %s (body read as it streams)", response.status_code, request.url)
    else:
        log_answer(response)
    return response


def log_answer(response: requests.Response) -> None:
    """Log an answer read whole (``SatTransport.on_answer``), redacted."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "HTTP %s from %s\n%s", response.status_code, response.url, redact_xml(response.content)
        )


@contextmanager
def verbose_logging(enabled: bool) -> Iterator[SecretFilter]:
    """While active (and ``enabled``), ``sat_zeep`` logs at DEBUG to stderr through the filter."""
    secrets = SecretFilter()
    if not enabled:
        yield secrets
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(secrets)
    package, zeep = logging.getLogger("sat_zeep"), logging.getLogger("zeep")
    levels = package.level, zeep.level
    package.addHandler(handler)
    package.setLevel(logging.DEBUG)
    zeep.setLevel(logging.INFO)  # zeep's own DEBUG dump of envelopes is not redacted
    try:
        yield secrets
    finally:
        package.removeHandler(handler)
        package.setLevel(levels[0])
        zeep.setLevel(levels[1])
