"""Network failures, HTML pages and malformed XML: exit 2, one line, no traceback."""

from __future__ import annotations

import socket

import pytest

from sat_zeep.cli import main
from sat_zeep.errors import SatError
from sat_zeep.soap.wsdl import Service
from sat_zeep.soap.wsdl_refresh import WsdlFetchError, WsdlParseError, check

from .conftest import WsdlServer

pytestmark = pytest.mark.usefixtures("repo_wsdl_untouched")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["wsdl", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


def test_connection_refused(capsys: pytest.CaptureFixture[str]) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    code, err = run(capsys, "check", "--base-url", base)
    assert code == 2
    assert err.count("\n") == 1
    assert "cannot connect to" in err and "connection refused" in err
    with pytest.raises(WsdlFetchError) as caught:
        check("cfdi", base)
    assert isinstance(caught.value, SatError)


def test_html_page_instead_of_a_wsdl(
    wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.fail(
        Service.VERIFICACION, 200, "text/html", b"<html><body>Mantenimiento</body></html>"
    )
    code, err = run(capsys, "check", "--service", "cfdi", "--base-url", wsdl_server.base_url)
    assert code == 2
    assert err.count("\n") == 1
    assert "VerificaSolicitudDescargaService.svc" in err and "HTML page" in err


def test_http_error(wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.fail(Service.AUTENTICACION, 503, "text/plain", b"busy")
    code, err = run(
        capsys, "update", "--base-url", wsdl_server.base_url, "--wsdl-dir", "/nonexistent/x"
    )
    assert code == 2
    assert "HTTP 503" in err and err.count("\n") == 1


def test_malformed_xml(wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.serve(Service.SOLICITUD, b'<?xml version="1.0"?><wsdl:definitions xmlns:wsdl="x">')
    code, err = run(capsys, "check", "--service", "retenciones", "--base-url", wsdl_server.base_url)
    assert code == 2
    assert err.count("\n") == 1
    assert "not well-formed XML" in err
    with pytest.raises(WsdlParseError):
        check("retenciones", wsdl_server.base_url)


def test_malformed_descarga_is_an_error_not_a_note(
    wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.serve(Service.DESCARGA, b"<definitions")
    code, err = run(capsys, "check", "--service", "cfdi", "--base-url", wsdl_server.base_url)
    assert code == 2 and "not well-formed XML" in err
