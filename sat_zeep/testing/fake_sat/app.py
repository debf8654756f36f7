"""The fake SAT as a WSGI application: SAT's paths, SOAPActions, checks and answers.

Paths, under ``/cfdi`` or ``/retenciones``::

    POST /cfdi/Autenticacion/Autenticacion.svc          Autentica
    POST /cfdi/SolicitaDescargaService.svc              SolicitaDescarga{Emitidos,Recibidos,Folio}
    POST /cfdi/VerificaSolicitudDescargaService.svc     VerificaSolicitudDescarga
    POST /cfdi/DescargaMasivaService.svc                Descargar (the package is streamed)
    GET  …svc?wsdl | …svc?singleWsdl                    the vendored WSDL, pointing at this server
    GET  /_admin/stats, POST /_admin/clock              only when the admin interface is on

Security failures answer SOAP faults (HTTP 500), as WCF does; business refusals answer HTTP 200
with SAT's status code and message.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from lxml import etree

from ...signing.namespaces import AUTENTICACION, DESCARGA_MASIVA
from ...soap.endpoints import ServiceType
from ...soap.envelope import body_operation
from ...soap.wsdl import Service, wsdl_path
from . import responses
from .authentication import AuthenticationRejected, ReplayCache, verify_autentica
from .faults import ConnectionDropped, FaultPlan, InjectedFault
from .ledger import Ledger
from .request_body import BodyRefused, read_body
from .request_rules import Refusal, Sealed, check_seal, inner, read_solicitud
from .tokens import TokenIssuer, TokenRejected

logger = logging.getLogger("sat_zeep.fake_sat")

StartResponse = Callable[..., Any]

_PATHS = {
    "Autenticacion/Autenticacion.svc": Service.AUTENTICACION,
    "SolicitaDescargaService.svc": Service.SOLICITUD,
    "VerificaSolicitudDescargaService.svc": Service.VERIFICACION,
    "DescargaMasivaService.svc": Service.DESCARGA,
}
_ACTIONS = {
    Service.AUTENTICACION: {f"{AUTENTICACION}/IAutenticacion/Autentica"},
    Service.SOLICITUD: {
        f"{DESCARGA_MASIVA}/ISolicitaDescargaService/SolicitaDescarga{kind}"
        for kind in ("Emitidos", "Recibidos", "Folio")
    },
    Service.VERIFICACION: {
        f"{DESCARGA_MASIVA}/IVerificaSolicitudDescargaService/VerificaSolicitudDescarga"
    },
    Service.DESCARGA: {f"{DESCARGA_MASIVA}/IDescargaMasivaTercerosService/Descargar"},
}
_WRAP = re.compile(r'^WRAP access_token="([^"]+)"$')
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_XML = [("Content-Type", "text/xml; charset=utf-8")]
_LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


@dataclass
class Clock:
    """The server's clock: real time plus an offset that tests can advance."""

    offset: timedelta = field(default_factory=timedelta)
    source: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())

    def __call__(self) -> datetime:
        return self.source() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class FakeSatApp:
    """A WSGI callable that behaves like SAT's Descarga Masiva services."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        tokens: TokenIssuer,
        trust_anchors: list[x509.Certificate],
        clock: Clock,
        faults: FaultPlan | None = None,
        admin: bool = False,
    ) -> None:
        self.ledger = ledger
        self.tokens = tokens
        self.trust_anchors = trust_anchors
        self.clock = clock
        self.faults = faults or FaultPlan()
        self.admin = admin
        self.replays = ReplayCache()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Route one call; whatever goes wrong inside answers a well-formed SOAP fault.

        A bug of the fake (or a request nobody foresaw) must never reach the client as a bare
        ``500 text/plain`` from the WSGI server: it answers WCF's internal-error fault instead.
        """
        try:
            return self._route(environ, start_response)
        except Exception:
            logger.exception("the fake SAT failed on %s", environ.get("PATH_INFO", ""))
            self.ledger.stats.count("rejections", "internal-error")
            return _respond(
                start_response,
                "500 Internal Server Error",
                responses.internal_error(),
                exc_info=sys.exc_info(),
            )

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_admin/"):
            return self._admin(environ, start_response, path)
        kind, _, rest = path.lstrip("/").partition("/")
        service = _PATHS.get(rest)
        if kind not in ("cfdi", "retenciones") or service is None:
            return _plain(start_response, "404 Not Found", f"no SAT service at {path}\n")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            query = environ.get("QUERY_STRING", "").lower()
            if query in ("wsdl", "singlewsdl"):
                return self._wsdl(environ, start_response, service)
            return _plain(
                start_response, "200 OK", f"{service.value} service; ?wsdl for its WSDL\n"
            )
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST a SOAP envelope\n")
        service_type = ServiceType(kind)
        action = environ.get("HTTP_SOAPACTION", "").strip('"')
        self.ledger.stats.count("calls", action.rsplit("/", 1)[-1] or "(none)")
        injected = self.faults.pick(action.rsplit("/", 1)[-1])
        if injected is not None:
            early = injected.before_answer(start_response)
            if early is not None:
                return early
        if action not in _ACTIONS[service]:
            return self._fault(start_response, responses.action_not_supported(action), "action")
        try:
            body = read_body(environ)
        except BodyRefused as refused:
            self.ledger.stats.count("rejections", "body")
            return _respond(
                start_response,
                refused.status,
                responses.fault(responses.CLIENT, refused.message),
                close=True,
            )
        try:
            envelope = _parse(body)
            operation = body_operation(envelope)
        except (etree.XMLSyntaxError, ValueError):
            return self._fault(
                start_response, responses.fault(responses.CLIENT, responses.NOT_WELL_FORMED), "xml"
            )
        if service is Service.AUTENTICACION:
            return self._autentica(start_response, envelope, service_type)
        try:
            claims = self.tokens.check(_token(environ), self.clock(), service_type.value)
        except TokenRejected as rejected:
            self.ledger.stats.count("rejections", f"token-{rejected.reason}")
            return self._fault(
                start_response,
                responses.fault(responses.INVALID_SECURITY, responses.INVALID_SECURITY_TEXT),
                "token",
            )
        name = etree.QName(operation).localname
        try:
            if injected is not None and injected.kind == "error404":
                raise Refusal(404, "Error no Controlado")
            sealed = check_seal(
                operation,
                token_serial=claims.serial_number,
                now=self.clock(),
                trust_anchors=self.trust_anchors,
            )
            element = inner(operation)
            if service is Service.SOLICITUD:
                answer = self._solicita(name, element, service_type, sealed)
            elif service is Service.VERIFICACION:
                answer = self._verifica(element, sealed.rfc)
            else:
                return self._descargar(start_response, element, sealed.rfc, injected)
        except Refusal as refusal:
            self.ledger.stats.count("rejections", str(refusal.code))
            answer = _refusal(name, refusal)
        if injected is not None and injected.kind == "reset":
            start_response("200 OK", [*_XML, ("Content-Length", str(len(answer)))])
            return _dropped(answer[: len(answer) // 2])
        return _respond(start_response, "200 OK", answer)

    # -- operations ---------------------------------------------------------------------------

    def _autentica(
        self, start_response: StartResponse, envelope: etree._Element, service: ServiceType
    ) -> list[bytes]:
        now = self.clock()
        try:
            signer = verify_autentica(envelope, now=now, trust_anchors=self.trust_anchors)
            self.replays.check(signer, now)
        except AuthenticationRejected as rejected:
            logger.info("Autentica refused: %s", rejected.reason)
            self.ledger.stats.count("rejections", f"autentica-{rejected.reason}")
            return self._fault(
                start_response,
                responses.fault(responses.INVALID_SECURITY, responses.INVALID_SECURITY_TEXT),
                "autentica",
            )
        token, claims = self.tokens.issue(signer.rfc, signer.serial_number, now, service.value)
        self.ledger.stats.bump("tokens_issued")
        return _respond(
            start_response, "200 OK", responses.autentica(token, claims.issued_at, claims.expires)
        )

    def _solicita(
        self, name: str, element: etree._Element, service: ServiceType, sealed: Sealed
    ) -> bytes:
        today = self.clock().date()
        query, tipo, solicitante = read_solicitud(
            name, element, service=service, today=today, signer=sealed.rfc
        )
        outcome = self.ledger.submit(
            rfc_solicitante=solicitante,
            serial_number=sealed.certificate.serial_number,
            query=query,
            tipo_solicitud=tipo,
        )
        if outcome.code != 5000:
            self.ledger.stats.count("rejections", str(outcome.code))
        record = outcome.record
        return responses.solicita(
            name,
            id_solicitud=record.id_solicitud if record else None,
            rfc_solicitante=solicitante,
            code=outcome.code,
            message=outcome.message,
        )

    def _verifica(self, element: etree._Element, signer: str) -> bytes:
        _check_solicitante(element, signer)
        outcome = self.ledger.verify(element.get("IdSolicitud") or "", signer)
        record = outcome.record
        if record is None:
            self.ledger.stats.count("rejections", str(outcome.code))
            return responses.verifica(
                code=outcome.code,
                message=outcome.message,
                estado=0,
                codigo_estado=None,
                numero_cfdis=0,
            )
        finished = record.estado == 3
        return responses.verifica(
            code=outcome.code,
            message=outcome.message,
            estado=record.estado,
            codigo_estado=record.codigo,
            numero_cfdis=record.numero_cfdis,
            ids_paquetes=record.packages if finished else (),
        )

    def _descargar(
        self,
        start_response: StartResponse,
        element: etree._Element,
        signer: str,
        injected: InjectedFault | None,
    ) -> Iterable[bytes]:
        _check_solicitante(element, signer)
        outcome = self.ledger.download(element.get("IdPaquete") or "", signer)
        package = outcome.package
        if package is None:
            self.ledger.stats.count("rejections", str(outcome.code))
            return _respond(
                start_response, "200 OK", responses.descarga_refused(outcome.code, outcome.message)
            )
        head, tail = responses.descarga_frame()
        total = responses.base64_length(package.size)
        kind = injected.kind if injected is not None else None
        if kind == "truncate":
            # A clean end of an answer that stops mid-package: no length is promised.
            start_response("200 OK", list(_XML))
            return _package_stream(head, responses.stream_base64(package.path, limit=total // 2))
        start_response("200 OK", [*_XML, ("Content-Length", str(len(head) + total + len(tail)))])
        if kind == "reset":
            return _dropped_stream(head, responses.stream_base64(package.path, limit=total // 2))
        corrupt = kind == "corrupt"
        return _package_stream(head, responses.stream_base64(package.path, corrupt=corrupt), tail)

    # -- plumbing -----------------------------------------------------------------------------

    def _fault(self, start_response: StartResponse, body: bytes, reason: str) -> list[bytes]:
        logger.debug("fault (%s)", reason)
        return _respond(start_response, "500 Internal Server Error", body)

    def _wsdl(
        self, environ: dict[str, Any], start_response: StartResponse, service: Service
    ) -> list[bytes]:
        text = wsdl_path(service).read_text(encoding="utf-8")
        own_url = _own_url(environ)
        text = re.sub(r'(<soap:address\s+location=")[^"]*(")', rf"\g<1>{own_url}\g<2>", text)
        return _respond(start_response, "200 OK", text.encode())

    def _admin(
        self, environ: dict[str, Any], start_response: StartResponse, path: str
    ) -> list[bytes]:
        if not self.admin:
            return _plain(start_response, "404 Not Found", "the admin interface is off\n")
        if environ.get("REMOTE_ADDR") not in _LOOPBACK:
            return _plain(start_response, "403 Forbidden", "the admin interface is loopback only\n")
        if path == "/_admin/stats":
            body = json.dumps(self.stats(), indent=2, sort_keys=True).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if path == "/_admin/clock" and environ.get("REQUEST_METHOD") == "POST":
            try:
                seconds = float(json.loads(read_body(environ) or b"{}").get("advance_seconds", 0))
            except (ValueError, AttributeError, BodyRefused):
                return _plain(start_response, "400 Bad Request", 'send {"advance_seconds": N}\n')
            self.clock.advance(timedelta(seconds=seconds))
            body = json.dumps({"now": self.clock().isoformat()}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        return _plain(start_response, "404 Not Found", "GET /_admin/stats, POST /_admin/clock\n")

    def stats(self) -> dict[str, Any]:
        """Calls, rejections by code, downloads per package, tokens issued, and the ledger's
        lasting counts (``ledger_counts``: they survive a restart of the server)."""
        return {
            **self.ledger.stats.snapshot(),
            "requests": [
                {
                    key: value
                    for key, value in asdict(record).items()
                    if key in ("id_solicitud", "estado", "codigo", "numero_cfdis", "packages")
                }
                for record in self.ledger.requests()
            ],
            **ledger_counts(self.ledger),
            "now": self.clock().isoformat(),
        }


def ledger_counts(ledger: Ledger) -> dict[str, Any]:
    """What a soak or fleet test asserts, counted over the ledger's whole life::

    "solicitudes_by_rfc": {"AAA010101AAA": 12},
    "solicitudes_by_parameters": [{"rfc": …, "parameters": {…}, "count": 2,
                                   "codes": {"5000": 1, "5005": 1}}],
    "package_downloads": {"<IdPaquete>": 2},
    "max_sends_of_a_parameter_set": 2, "max_downloads_of_a_package": 2
    """
    by_rfc: dict[str, int] = {}
    by_parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for rfc, parameters, code, count in ledger.submissions():
        by_rfc[rfc] = by_rfc.get(rfc, 0) + count
        entry = by_parameters.setdefault(
            (rfc, parameters),
            {"rfc": rfc, "parameters": json.loads(parameters), "count": 0, "codes": {}},
        )
        entry["count"] += count
        entry["codes"][str(code)] = entry["codes"].get(str(code), 0) + count
    downloads = {package.id_paquete: package.downloads for package in ledger.packages()}
    return {
        "solicitudes_by_rfc": by_rfc,
        "solicitudes_by_parameters": list(by_parameters.values()),
        "package_downloads": downloads,
        "max_sends_of_a_parameter_set": max(
            (entry["count"] for entry in by_parameters.values()), default=0
        ),
        "max_downloads_of_a_package": max(downloads.values(), default=0),
    }


def _check_solicitante(element: etree._Element, signer: str) -> None:
    solicitante = element.get("RfcSolicitante")
    if solicitante is not None and solicitante != signer:
        raise Refusal(303, "Sello no corresponde con RfcSolicitante")


def _refusal(name: str, refusal: Refusal) -> bytes:
    if name == "VerificaSolicitudDescarga":
        return responses.verifica(
            code=refusal.code, message=refusal.message, estado=0, codigo_estado=None, numero_cfdis=0
        )
    if name == "PeticionDescargaMasivaTercerosEntrada":
        return responses.descarga_refused(refusal.code, refusal.message)
    return responses.solicita(
        name, id_solicitud=None, rfc_solicitante=None, code=refusal.code, message=refusal.message
    )


def _package_stream(head: bytes, body: Iterator[bytes], tail: bytes = b"") -> Iterator[bytes]:
    yield head
    yield from body
    if tail:
        yield tail


def _dropped_stream(head: bytes, body: Iterator[bytes]) -> Iterator[bytes]:
    yield from _package_stream(head, body)
    raise ConnectionDropped("fault injected: connection reset mid-package")


def _dropped(part: bytes) -> Iterator[bytes]:
    yield part
    raise ConnectionDropped("fault injected: connection reset mid-answer")


def _token(environ: dict[str, Any]) -> str:
    match = _WRAP.match(environ.get("HTTP_AUTHORIZATION", "").strip())
    if match is None:
        raise TokenRejected("missing")
    return match.group(1)


def _parse(body: bytes) -> etree._Element:
    """The envelope, refusing a DOCTYPE as WCF does (no DTD is processed, none is allowed)."""
    envelope = etree.fromstring(body, _PARSER)
    doctype: str = getattr(envelope.getroottree().docinfo, "doctype", "")
    if doctype:
        raise ValueError("a DOCTYPE is not allowed")
    return envelope


def _own_url(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('PATH_INFO', '')}"


def _respond(
    start_response: StartResponse,
    status: str,
    body: bytes,
    *,
    close: bool = False,
    exc_info: Any = None,
) -> list[bytes]:
    headers = [*_XML, ("Content-Length", str(len(body)))]
    if close:
        headers.append(("Connection", "close"))
    if exc_info is None:
        start_response(status, headers)
    else:
        start_response(status, headers, exc_info)
    return [body]


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
