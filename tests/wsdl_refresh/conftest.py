"""A tiny loopback HTTP server that serves WSDL copies at the fake SAT's paths."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sat_zeep.soap.wsdl import Service, wsdl_directory

PATHS = {
    Service.AUTENTICACION: "Autenticacion/Autenticacion.svc",
    Service.SOLICITUD: "SolicitaDescargaService.svc",
    Service.VERIFICACION: "VerificaSolicitudDescargaService.svc",
    Service.DESCARGA: "DescargaMasivaService.svc",
}
Route = tuple[int, str, bytes]


class WsdlServer:
    """``routes["/cfdi/SolicitaDescargaService.svc?singleWsdl"] = (200, content_type, body)``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, content_type, body = routes.get(
                    self.path, (404, "text/plain", b"not found")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, service: Service, body: bytes, *, families: tuple[str, ...] = ()) -> None:
        """Serve ``body`` as ``?singleWsdl`` and ``?wsdl`` of ``service``."""
        for family in families or ("cfdi", "retenciones"):
            for query in ("singleWsdl", "wsdl"):
                self.routes[f"/{family}/{PATHS[service]}?{query}"] = (200, "text/xml", body)

    def serve_vendored(self) -> None:
        """Serve the four vendored files unchanged, for both families."""
        for service in Service:
            self.serve(service, vendored(service))

    def fail(self, service: Service, status: int, content_type: str, body: bytes) -> None:
        for family in ("cfdi", "retenciones"):
            for query in ("singleWsdl", "wsdl"):
                self.routes[f"/{family}/{PATHS[service]}?{query}"] = (status, content_type, body)


def vendored(service: Service) -> bytes:
    return (wsdl_directory() / service.wsdl_file).read_bytes()


def repo_snapshot() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(wsdl_directory().iterdir())}


@pytest.fixture
def wsdl_server() -> Iterator[WsdlServer]:
    server = WsdlServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(5)


@pytest.fixture
def repo_wsdl_untouched() -> Iterator[None]:
    """Fails the test if it modified the repository's wsdl/ folder."""
    before = repo_snapshot()
    yield
    assert repo_snapshot() == before, "a test modified the vendored wsdl/ folder"


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "wsdl"
