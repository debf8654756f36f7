"""``SatClient``: the four services behind one object, with tokens handled for you.

    fiel = Fiel.from_files("FIEL.cer", "FIEL.key", password)
    with SatClient(fiel) as client:
        accepted = client.solicita_descarga_emitidos(
            date(2025, 1, 1), date(2025, 1, 31), TipoSolicitud.METADATA
        ).raise_for_status()
        state = client.wait_for_solicitud(accepted.id_solicitud, max_wait=timedelta(hours=6))
        for id_paquete in state.ids_paquetes:
            package = client.descargar(id_paquete).raise_for_status().paquete

Each method is a WSDL operation in snake_case. Parameters are checked before anything is sent;
SAT's answers come back as pydantic models whose ``raise_for_status()`` turns codes into errors.
"""

from __future__ import annotations

import enum
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

import zeep
from zeep.helpers import serialize_object

from ..errors import CredentialError, SatResponseError, SatSoapFault
from ..packages.damaged_copies import retire_damaged_copies
from ..packages.download import (
    MAX_IN_MEMORY,
    FileSink,
    MemorySink,
    find_paquete,
    refuse_too_large,
    respuesta_of,
    save_package,
)
from ..signing.fiel import Fiel
from ..signing.security_header import new_token_id
from ..soap.endpoints import Endpoints
from ..soap.plugins import (
    TOKEN_LIFETIME,
    RequestSigningPlugin,
    WrapAuthorizationPlugin,
    WsSecurityPlugin,
    utc_now,
)
from ..soap.port import Port, bind, token_lifetime
from ..soap.transport import call_deadline, default_transport, refuse_redirects
from ..soap.wsdl import Service, load_document, zeep_settings
from . import parameters
from .codes import EstadoComprobante, TipoComprobante, TipoSolicitud
from .models import (
    DescargarResult,
    SatResult,
    SolicitaDescargaResult,
    Token,
    VerificaSolicitudDescargaResult,
)
from .polling import PollPolicy

logger = logging.getLogger("sat_zeep")

#: Mexico has kept UTC-6 all year (no daylight saving) since October 2022.
MEXICO_TIME = timezone(timedelta(hours=-6), "America/Mexico_City")
#: A token is renewed when less than this remains of its life.
TOKEN_MARGIN = timedelta(seconds=30)


class _Default(enum.Enum):
    FIEL_RFC = "the e.firma's RFC"


#: Default of ``rfc_solicitante``: the RFC of the client's e.firma. Pass ``None`` to omit it.
FIEL_RFC: Literal[_Default.FIEL_RFC] = _Default.FIEL_RFC

RfcSolicitante = str | None | Literal[_Default.FIEL_RFC]
Fecha = date | datetime
ResultT = TypeVar("ResultT", bound=SatResult)
T = TypeVar("T")


class SatClient:
    """A client of SAT's Descarga Masiva services for one e.firma and one service family."""

    def __init__(
        self,
        fiel: Fiel,
        endpoints: Endpoints | None = None,
        *,
        transport: zeep.Transport | None = None,
        clock: Callable[[], datetime] | None = None,
        token_id_factory: Callable[[], str] | None = None,
        check_validity: bool = True,
        max_in_memory: int = MAX_IN_MEMORY,
    ) -> None:
        self.fiel = fiel
        #: Bytes of package ``descargar`` keeps in memory without ``destino``.
        self.max_in_memory = max_in_memory
        self.endpoints = endpoints or Endpoints.cfdi()
        self._owns_transport = transport is None
        self.transport = transport or default_transport()
        refuse_redirects(self.transport.session)
        self._clock = clock or utc_now
        self._token_id_factory = token_id_factory or new_token_id
        self._check_validity = check_validity
        self._token: Token | None = None
        self._token_lock = threading.Lock()
        self._ports: dict[Service, Port] = {}
        self._check_fiel()

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP session, if this client created it."""
        if self._owns_transport:
            self.transport.session.close()

    def __enter__(self) -> SatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SatClient(rfc={self.fiel.rfc!r}, service={self.endpoints.service.value!r})"

    def now(self) -> datetime:
        """The client's clock (aware UTC): what its timestamps and validity checks use."""
        return self._clock()

    # -- token --------------------------------------------------------------------------------

    @property
    def token(self) -> Token | None:
        """The cached token (persist it with ``token.model_dump_json()``), or None."""
        return self._token

    @token.setter
    def token(self, token: Token | None) -> None:
        self._token = token

    def autentica(self) -> Token:
        """Call Autentica and cache the token it returns."""
        self._check_fiel()
        sent_at = self._clock()
        port = self._port(Service.AUTENTICACION)
        response = port.send("Autentica", {})
        value = port.read("Autentica", response)
        if not isinstance(value, str) or not value:
            raise SatResponseError(
                "Autentica: SAT's answer holds no token (AutenticaResult is empty)",
                raw=response.content,
                url=self.endpoints.autenticacion,
            )
        lifetime = token_lifetime(response.content) or TOKEN_LIFETIME
        token = Token(value=value, created=sent_at, expires=sent_at + lifetime)
        self._token = token
        logger.debug("authenticated %s until %s", self.fiel.rfc, token.expires.isoformat())
        return token

    def current_token(self) -> Token:
        """The cached token while it has more than a safety margin left, else a new one."""
        with self._token_lock:
            token = self._token
            if token is None or not token.is_valid(self._clock(), margin=TOKEN_MARGIN):
                token = self.autentica()
            return token

    # -- Solicitud ----------------------------------------------------------------------------

    def solicita_descarga_emitidos(
        self,
        fecha_inicial: Fecha,
        fecha_final: Fecha,
        tipo_solicitud: TipoSolicitud | str,
        *,
        rfc_receptores: Iterable[str] = (),
        rfc_solicitante: RfcSolicitante = FIEL_RFC,
        tipo_comprobante: TipoComprobante | str | None = None,
        estado_comprobante: EstadoComprobante | str | None = None,
        rfc_a_cuenta_terceros: str | None = None,
        complemento: str | None = None,
    ) -> SolicitaDescargaResult:
        """Request the documents the e.firma's RFC issued in a period (``RfcEmisor``)."""
        solicitud = parameters.emitidos(
            rfc_emisor=self.fiel.rfc,
            fecha_inicial=fecha_inicial,
            fecha_final=fecha_final,
            tipo_solicitud=tipo_solicitud,
            rfc_receptores=tuple(rfc_receptores),
            rfc_solicitante=self._solicitante(rfc_solicitante),
            tipo_comprobante=tipo_comprobante,
            estado_comprobante=estado_comprobante,
            rfc_a_cuenta_terceros=rfc_a_cuenta_terceros,
            complemento=complemento,
            service=self.endpoints.service,
            today=self._today(),
        )
        return self._solicita("SolicitaDescargaEmitidos", solicitud)

    def solicita_descarga_recibidos(
        self,
        fecha_inicial: Fecha,
        fecha_final: Fecha,
        tipo_solicitud: TipoSolicitud | str,
        *,
        rfc_emisor: str | None = None,
        rfc_solicitante: RfcSolicitante = FIEL_RFC,
        tipo_comprobante: TipoComprobante | str | None = None,
        estado_comprobante: EstadoComprobante | str | None = EstadoComprobante.VIGENTE,
        rfc_a_cuenta_terceros: str | None = None,
        complemento: str | None = None,
    ) -> SolicitaDescargaResult:
        """Request the documents the e.firma's RFC received in a period (``RfcReceptor``).

        ``estado_comprobante`` defaults to Vigente: SAT refuses XML requests for anything else.
        """
        solicitud = parameters.recibidos(
            rfc_receptor=self.fiel.rfc,
            fecha_inicial=fecha_inicial,
            fecha_final=fecha_final,
            tipo_solicitud=tipo_solicitud,
            rfc_emisor=rfc_emisor,
            rfc_solicitante=self._solicitante(rfc_solicitante),
            tipo_comprobante=tipo_comprobante,
            estado_comprobante=estado_comprobante,
            rfc_a_cuenta_terceros=rfc_a_cuenta_terceros,
            complemento=complemento,
            service=self.endpoints.service,
            today=self._today(),
        )
        return self._solicita("SolicitaDescargaRecibidos", solicitud)

    def solicita_descarga_folio(
        self, folio: str, *, rfc_solicitante: RfcSolicitante = FIEL_RFC
    ) -> SolicitaDescargaResult:
        """Request one document by its UUID (``Folio``)."""
        solicitud = parameters.folio(
            folio=folio, rfc_solicitante=self._solicitante(rfc_solicitante)
        )
        return self._solicita("SolicitaDescargaFolio", solicitud)

    # -- Verificación and Descarga ------------------------------------------------------------

    def verifica_solicitud_descarga(self, id_solicitud: str) -> VerificaSolicitudDescargaResult:
        """Ask how a request is going; when finished, the answer lists its package ids."""
        solicitud = parameters.verifica(id_solicitud=id_solicitud, rfc_solicitante=self.fiel.rfc)
        operation = "VerificaSolicitudDescarga"
        reply = self._call(Service.VERIFICACION, operation, {"solicitud": solicitud})
        result = self._model(VerificaSolicitudDescargaResult, operation, reply)
        foreign = result.foreign_packages(id_solicitud)
        if foreign:
            raise SatResponseError(
                f"{operation}: SAT's answer about {id_solicitud} lists {foreign[0]!r}, a package "
                "of another request; nothing was downloaded. Verify again later",
                url=self.endpoints.verificacion,
            )
        return result

    def wait_for_solicitud(
        self,
        id_solicitud: str,
        max_wait: timedelta,
        *,
        poll: PollPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> VerificaSolicitudDescargaResult:
        """Verify a request again and again, with backoff, until SAT is done or ``max_wait`` ends.

        SAT takes minutes to days to prepare a request. The result is the last answer: check
        ``is_finished`` (its ``ids_paquetes`` are ready), ``is_pending`` (still being prepared
        when ``max_wait`` ran out: ask again later, never request the same period anew), or
        ``raise_for_status()``.
        """
        policy = poll or PollPolicy()
        rng = random.Random()
        deadline = time.monotonic() + max_wait.total_seconds()
        checks = 0
        while True:
            state = self.verifica_solicitud_descarga(id_solicitud)
            checks += 1
            if not state.is_pending:
                return state
            pause = policy.delay(checks, rng).total_seconds()
            if time.monotonic() + pause > deadline:
                return state
            (sleep or time.sleep)(pause)

    def descargar(
        self,
        id_paquete: str,
        destino: str | os.PathLike[str] | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> DescargarResult:
        """Download one package (a ZIP); each package may be downloaded only twice.

        Without ``destino`` the package comes back in memory (``result.paquete``), up to
        ``max_in_memory`` bytes (``PackageTooLargeError`` beyond, as soon as it is known). With
        it, the answer is streamed to that file in constant memory, the ZIP is checked, and the
        result holds ``path``, ``size`` and ``sha256``; a transfer that breaks leaves nothing at
        ``destino``, keeps what arrived as ``<destino>.damaged`` and raises
        ``PackageTransferError``; a whole copy removes the damaged copies kept beside it. Both
        read the answer by the same rules (``sat_zeep.packages.download``), within the transport's
        deadline. ``progress`` is called with the number of package bytes decoded, chunk by
        chunk.
        """
        peticion = parameters.descarga(id_paquete=id_paquete, rfc_solicitante=self.fiel.rfc)
        payload = {"peticionDescarga": peticion}
        target = Path(destino) if destino is not None else None
        return self._with_token(
            Service.DESCARGA,
            "Descargar",
            lambda port: self._stream(port, payload, target, progress),
        )

    def _stream(
        self,
        port: Port,
        payload: Mapping[str, Any],
        destino: Path | None,
        progress: Callable[[int], None] | None,
    ) -> DescargarResult:
        id_paquete = payload["peticionDescarga"]["IdPaquete"]
        seconds = call_deadline(self.transport)
        ends = time.monotonic() + seconds
        response = port.send_streaming("Descargar", payload)
        with response:
            if destino is None:
                refuse_too_large(response, self.max_in_memory, id_paquete)
            found = find_paquete(response, id_paquete, ends, seconds)
            if found is None:
                reply = port.read("Descargar", response)
                result = self._descargar_result(respuesta_of(reply), None)
                if result.is_accepted:
                    raise SatResponseError(
                        f"Descargar {id_paquete}: SAT accepted the download (5000) but its "
                        "answer holds no package",
                        raw=response.content[:4096],
                        url=self.endpoints.descarga,
                    )
                return result
            answer, start = found
            sink = FileSink(destino) if destino is not None else MemorySink(self.max_in_memory)
            saved = save_package(
                response, answer, start, sink, id_paquete=id_paquete, progress=progress
            )
        result = self._descargar_result(saved.respuesta, None)
        if saved.sha256 is None:  # SAT did not accept: nothing was decoded nor written
            return result
        if saved.path is not None:
            retire_damaged_copies(saved.path)  # a whole copy is at destino now
        return result.model_copy(
            update={
                "paquete": saved.data,
                "path": saved.path,
                "sha256": saved.sha256,
                "file_size": saved.size,
            }
        )

    def _descargar_result(self, respuesta: Any, paquete: bytes | None) -> DescargarResult:
        if respuesta is None:
            raise SatResponseError(
                "Descargar: SAT's answer lacks the 'respuesta' header with its status",
                url=self.endpoints.descarga,
            )
        try:
            return DescargarResult.from_parts(respuesta, paquete)
        except ValueError as error:
            raise SatResponseError(
                f"Descargar: SAT's answer does not fit the contract: {error}",
                url=self.endpoints.descarga,
            ) from None

    # -- plumbing -----------------------------------------------------------------------------

    def _check_fiel(self) -> None:
        if self._check_validity:
            self.fiel.check_usable(self._clock())
        elif not self.fiel.is_fiel():
            raise CredentialError(
                "this certificate is a CSD (sello digital); SAT's bulk download needs the "
                "e.firma (FIEL) of the taxpayer"
            )

    def _solicitante(self, rfc_solicitante: RfcSolicitante) -> str | None:
        return self.fiel.rfc if rfc_solicitante is FIEL_RFC else rfc_solicitante

    def _today(self) -> date:
        return self._clock().astimezone(MEXICO_TIME).date()

    def _solicita(self, operation: str, solicitud: Mapping[str, Any]) -> SolicitaDescargaResult:
        reply = self._call(Service.SOLICITUD, operation, {"solicitud": dict(solicitud)})
        return self._model(SolicitaDescargaResult, operation, reply)

    def _call(self, service: Service, operation: str, payload: Mapping[str, Any]) -> Any:
        return self._with_token(
            service, operation, lambda port: port.read(operation, port.send(operation, payload))
        )

    def _with_token(self, service: Service, operation: str, call: Callable[[Port], T]) -> T:
        token = self.current_token()
        port = self._port(service)
        logger.debug("calling %s at %s", operation, port.address)
        try:
            return call(port)
        except SatSoapFault as fault:
            # SAT refused the token before doing anything (its clock may run ahead of ours,
            # or the token came from storage): authenticate again and retry once.
            if not fault.fault_code.endswith("InvalidSecurity"):
                raise
            with self._token_lock:
                if self._token is token:
                    self._token = None
            self.current_token()
            logger.debug("token refused; authenticated again for %s", operation)
            return call(port)

    def _model(self, model: type[ResultT], operation: str, reply: Any) -> ResultT:
        data = serialize_object(reply, dict)
        if not isinstance(data, dict):
            raise SatResponseError(f"{operation}: SAT's answer holds no result element")
        try:
            return model.model_validate(data)
        except ValueError as error:
            raise SatResponseError(
                f"{operation}: SAT's answer does not fit the contract: {error}"
            ) from None

    def _current_token_value(self) -> str:
        token = self._token
        if token is None:  # pragma: no cover - _call authenticates first
            raise RuntimeError("no token: call autentica() first")
        return token.value

    def _port(self, service: Service) -> Port:
        port = self._ports.get(service)
        if port is None:
            port = self._ports[service] = self._make_port(service)
        return port

    def _make_port(self, service: Service) -> Port:
        plugins: list[Any]
        if service is Service.AUTENTICACION:
            plugins = [
                WsSecurityPlugin(
                    self.fiel, clock=self._clock, token_id_factory=self._token_id_factory
                )
            ]
        else:
            plugins = [
                WrapAuthorizationPlugin(self._current_token_value),
                RequestSigningPlugin(self.fiel),
            ]
        client = zeep.Client(
            load_document(service),
            transport=self.transport,
            plugins=plugins,
            settings=zeep_settings(),
        )
        return bind(client, getattr(self.endpoints, service.value))
