"""A hostile SAT for tests: a threaded HTTP server that answers each SOAPAction as it is told.

    with HostileServer({"Descargar": reply(200, body)}) as server:
        client = SatClient(fiel, server.endpoints)

Actions not given get SAT's usual answers (token, accepted request, finished verification).
A reply is a function that writes raw HTTP bytes to the socket, so it can trickle, lie about
lengths, or never stop. Every request is kept in ``server.received``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import random
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any

import requests
import zeep
from requests.adapters import HTTPAdapter

from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints

from ..canned_sat import RESPONSES, descarga_reply


@dataclass(frozen=True)
class Exchange:
    """One request the hostile server received."""

    path: str
    action: str
    headers: Mapping[str, str]
    body: bytes


Reply = Callable[[Exchange, BufferedIOBase], None]


def reply(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Reply:
    """A whole answer with a Content-Length."""

    def write(_: Exchange, out: BufferedIOBase) -> None:
        fields = {"Content-Type": "text/xml; charset=utf-8", **(headers or {})}
        fields["Content-Length"] = str(len(body))
        out.write(head(status, fields) + body)

    return write


def streamed(
    status: int, parts: Iterable[bytes], headers: Mapping[str, str] | None = None
) -> Reply:
    """An answer without a length, its parts written one by one until the client hangs up."""

    def write(_: Exchange, out: BufferedIOBase) -> None:
        out.write(head(status, {"Content-Type": "text/xml; charset=utf-8", **(headers or {})}))
        for part in parts:
            out.write(part)
            out.flush()

    return write


def head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1")


def fixture(name: str) -> Reply:
    return reply(200, (RESPONSES / name).read_bytes())


def canned_replies() -> dict[str, Reply]:
    """SAT's usual answers, by SOAPAction's last part."""
    return {
        "Autentica": fixture("autentica-token.xml"),
        "SolicitaDescargaEmitidos": fixture("solicita-Emitidos-aceptada.xml"),
        "SolicitaDescargaRecibidos": fixture("solicita-Recibidos-aceptada.xml"),
        "VerificaSolicitudDescarga": fixture("verifica-terminada.xml"),
        "Descargar": reply(200, descarga_reply(b"PK\x05\x06" + bytes(18)).body),
    }


class HostileServer:
    """A threaded HTTP server on 127.0.0.1 answering from ``replies`` (see the module docstring)."""

    def __init__(self, replies: Mapping[str, Reply] | None = None) -> None:
        self.replies = {**canned_replies(), **(replies or {})}
        self.received: list[Exchange] = []
        self.by_path: dict[str, Reply] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                action = self.headers.get("SOAPAction", "").strip('"').rsplit("/", 1)[-1]
                exchange = Exchange(self.path, action, dict(self.headers.items()), body)
                server.received.append(exchange)
                answer = server.by_path.get(self.path) or server.replies[action]
                self.close_connection = True
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    answer(exchange, self.wfile)

            do_GET = do_POST

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.from_base_url(self.url)

    def actions(self) -> list[str]:
        return [exchange.action for exchange in self.received]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@contextlib.contextmanager
def talking_to(
    fiel: Fiel, replies: Mapping[str, Reply] | None = None, **options: Any
) -> Iterator[tuple[HostileServer, SatClient]]:
    """A hostile server and a client of it (``options`` go to ``SatClient``)."""
    with HostileServer(replies) as server, SatClient(fiel, server.endpoints, **options) as client:
        yield server, client


class CountingAdapter(HTTPAdapter):
    """An adapter that keeps every raw answer, so a test can ask how many bytes were read."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Any] = []

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        self.answers.append(resp)
        return super().build_response(req, resp)

    def bytes_read(self) -> int:
        """Bytes of the last answer's body read from the socket so far."""
        return int(self.answers[-1].tell())


def counting(transport: zeep.Transport) -> CountingAdapter:
    """Mount a ``CountingAdapter`` on ``transport``'s session for http://."""
    adapter = CountingAdapter()
    transport.session.mount("http://", adapter)
    return adapter


ENVELOPE = (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
    '<h:respuesta CodEstatus="{code}" Mensaje="{mensaje}" '
    'xmlns:h="http://DescargaMasivaTerceros.sat.gob.mx" '
    'xmlns="http://DescargaMasivaTerceros.sat.gob.mx"/></s:Header><s:Body>'
    '<RespuestaDescargaMasivaTercerosSalida xmlns="http://DescargaMasivaTerceros.sat.gob.mx">'
)
CLOSING = b"</RespuestaDescargaMasivaTercerosSalida></s:Body></s:Envelope>"


def descarga_head(code: str = "5000", mensaje: str = "Solicitud Aceptada") -> bytes:
    """A Descargar answer up to the ``RespuestaDescargaMasivaTercerosSalida`` start tag."""
    return ENVELOPE.format(code=code, mensaje=mensaje).encode()


def descarga_body(package: bytes, code: str = "5000", *, text: bytes | None = None) -> bytes:
    """A whole Descargar answer; ``text`` replaces the package's base64 when given."""
    paquete = base64.b64encode(package) if text is None else text
    return descarga_head(code) + b"<Paquete>" + paquete + b"</Paquete>" + CLOSING


def zip_of(size: int, seed: int = 0) -> bytes:
    """A valid ZIP holding ``size`` bytes that do not compress."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data.bin", random.Random(seed).randbytes(size))
    return buffer.getvalue()
