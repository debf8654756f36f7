"""``--verbose`` redaction, piece by piece: what a log reader sees in place of each secret.

(tests/cli/test_secrets.py runs the CLI against the fake SAT; these pin each rule on its own.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests

from sat_zeep.cli.redact import (
    SecretFilter,
    log_exchange,
    redact_headers,
    redact_xml,
    verbose_logging,
)

DSIG = "http://www.w3.org/2000/09/xmldsig#"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
CERTIFICATE = "MIIFxTCCA62gAwIBAgIUMDAwMDEwMDAwMDA1MDAwMDAwMDEw"
TOKEN_VALUE = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu"


def envelope() -> str:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        f'<o:Security xmlns:o="{WSSE}"><o:BinarySecurityToken u:Id="uuid-1" '
        'xmlns:u="urn:u">' + CERTIFICATE + "</o:BinarySecurityToken>"
        f'<Signature xmlns="{DSIG}"><SignatureValue>c2lnbmF0dXJl</SignatureValue>'
        f"<KeyInfo><X509Data><X509Certificate>{CERTIFICATE}</X509Certificate></X509Data>"
        "</KeyInfo></Signature></o:Security></s:Header><s:Body>"
        f"<AutenticaResponse><AutenticaResult>{TOKEN_VALUE}</AutenticaResult>"
        "<Paquete>UEsDBBQ<b>AAAA</b></Paquete><Mensaje>Solicitud Aceptada</Mensaje>"
        "</AutenticaResponse></s:Body></s:Envelope>"
    )


SECRETS = (CERTIFICATE, TOKEN_VALUE, "c2lnbmF0dXJl", "UEsDBBQ", "AAAA")


def test_each_secret_element_is_replaced_by_its_length() -> None:
    logged = redact_xml(envelope().encode())
    for secret in SECRETS:
        assert secret not in logged
    assert f">[REDACTED] ({len(CERTIFICATE)} chars)</o:BinarySecurityToken>" in logged
    assert f">[REDACTED] ({len(CERTIFICATE)} chars)</X509Certificate>" in logged
    assert "<SignatureValue>[REDACTED] (12 chars)</SignatureValue>" in logged
    assert f"<AutenticaResult>[REDACTED] ({len(TOKEN_VALUE)} chars)</AutenticaResult>" in logged
    assert "<Paquete>[REDACTED] (7 chars)</Paquete>" in logged, "nested content was logged"
    assert "<Mensaje>Solicitud Aceptada</Mensaje>" in logged


def test_text_that_is_not_xml_is_redacted_by_pattern() -> None:
    """A truncated answer cannot be parsed; prefixed tags, attributes and ``</x >`` still match."""
    text = envelope().replace("</AutenticaResult>", "</AutenticaResult >")[:-30]
    logged = redact_xml(text)
    for secret in (CERTIFICATE, TOKEN_VALUE, "c2lnbmF0dXJl"):
        assert secret not in logged
    assert (
        '<o:BinarySecurityToken u:Id="uuid-1" xmlns:u="urn:u">[REDACTED]</o:BinarySecurityToken>'
        in logged
    )
    assert "<AutenticaResult>[REDACTED]</AutenticaResult >" in logged
    assert "<Mensaje>Solicitud Aceptada</Mensaje>" in logged


def test_no_body_logs_as_nothing() -> None:
    assert redact_xml(None) == redact_xml(b"") == ""


def test_authorization_and_cookies_are_redacted_whatever_their_case() -> None:
    headers = {
        "authorization": 'WRAP access_token="t"',
        "Cookie": "session=1",
        "SOAPAction": '"urn:a"',
        "Content-Length": 12,
    }
    assert redact_headers(headers) == {
        "authorization": "[REDACTED]",
        "Cookie": "[REDACTED]",
        "SOAPAction": '"urn:a"',
        "Content-Length": "12",
    }


def scrubbed(secrets: SecretFilter, message: str) -> str:
    record = logging.LogRecord("sat_zeep", logging.DEBUG, __file__, 1, message, None, None)
    assert secrets.filter(record)
    return record.getMessage()


def test_registered_secrets_are_scrubbed_longest_first_and_in_xml_escaped_form() -> None:
    secrets = SecretFilter()
    secrets.add("pass")
    secrets.add('pass"word<1>')
    assert scrubbed(secrets, 'a pass"word<1> b') == "a [REDACTED] b"
    assert scrubbed(secrets, "in XML: pass&quot;word&lt;1&gt;") == "in XML: [REDACTED]"
    assert scrubbed(secrets, 'attribute: pass"word&lt;1&gt;') == "attribute: [REDACTED]"
    assert scrubbed(secrets, "pass") == "[REDACTED]"


def test_secrets_shorter_than_four_characters_are_not_registered() -> None:
    """Scrubbing every ``abc`` would make the log unreadable and betray the secret's length."""
    secrets = SecretFilter()
    secrets.add("abc")
    secrets.add(None)
    secrets.add("")
    assert scrubbed(secrets, "abc abcd") == "abc abcd"


def test_a_traceback_that_quotes_a_secret_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    secrets = SecretFilter()
    secrets.add("hunter22")
    logger = logging.getLogger("sat_zeep.test_redaction")
    logger.addFilter(secrets)
    try:
        with caplog.at_level(logging.DEBUG, logger="sat_zeep.test_redaction"):
            try:
                raise ValueError("bad password hunter22")
            except ValueError:
                logger.exception("opening the key with %s failed", "hunter22")
    finally:
        logger.removeFilter(secrets)
    (record,) = caplog.records
    assert record.getMessage() == "opening the key with [REDACTED] failed"
    assert record.exc_text is not None and "bad password [REDACTED]" in record.exc_text
    assert "hunter22" not in caplog.text


@pytest.fixture
def traffic(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger="sat_zeep.cli.traffic"):
        yield caplog


def exchange(body: bytes | None, answer: bytes) -> requests.Response:
    request = requests.Request(
        "POST",
        "https://sat.example/Autenticacion.svc",
        headers={"Authorization": f'WRAP access_token="{TOKEN_VALUE}"'},
        data=body,
    ).prepare()
    response = requests.Response()
    response.request = request
    response.url = str(request.url)
    response.status_code = 200
    response._content = answer
    return response


def test_an_exchange_logs_request_and_answer_redacted(traffic: pytest.LogCaptureFixture) -> None:
    response = exchange(envelope().encode(), envelope().encode())
    assert log_exchange(response) is response
    request_line, answer_line = traffic.messages
    assert request_line.startswith(
        "POST https://sat.example/Autenticacion.svc headers={'Authorization': '[REDACTED]'"
    )
    assert answer_line.startswith(
        "HTTP 200 from https://sat.example/Autenticacion.svc\n<s:Envelope"
    )
    for secret in SECRETS:
        assert secret not in traffic.text


def test_a_streamed_answer_is_not_logged(traffic: pytest.LogCaptureFixture) -> None:
    """A streamed Descargar answer is the package itself: only its status is logged."""
    log_exchange(exchange(None, b"<Paquete>UEsDBBQ</Paquete>"), stream=True)
    request_line, answer_line = traffic.messages
    assert request_line.endswith("\n")  # no body to show
    assert answer_line == (
        "HTTP 200 from https://sat.example/Autenticacion.svc (body read as it streams)"
    )


def test_nothing_is_logged_without_verbose(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sat_zeep.cli.traffic"):
        log_exchange(exchange(envelope().encode(), envelope().encode()))
    assert caplog.records == []


def test_verbose_logging_adds_one_filtered_handler_and_restores_the_levels() -> None:
    package, zeep = logging.getLogger("sat_zeep"), logging.getLogger("zeep")
    before = (package.level, zeep.level, list(package.handlers))
    with verbose_logging(False) as secrets:
        assert isinstance(secrets, SecretFilter)
        assert (package.level, zeep.level, package.handlers) == before
    with verbose_logging(True) as secrets:
        (handler,) = [h for h in package.handlers if h not in before[2]]
        assert secrets in handler.filters
        assert package.level == logging.DEBUG
        assert zeep.level == logging.INFO, "zeep's own envelope dump is not redacted"
        assert handler.formatter is not None
        assert handler.formatter._fmt == "%(levelname)s %(name)s: %(message)s"
    assert (package.level, zeep.level, package.handlers) == before
