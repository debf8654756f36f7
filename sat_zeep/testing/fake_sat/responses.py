"""The envelopes the fake server answers, written the way SAT's WCF services write them.

Each function returns bytes (or, for a package, a generator of bytes) ready for the wire::

    <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
      <SolicitaDescargaEmitidosResponse xmlns="http://DescargaMasivaTerceros.sat.gob.mx">
        <SolicitaDescargaEmitidosResult IdSolicitud="…" RfcSolicitante="…" CodEstatus="5000"
          Mensaje="Solicitud Aceptada"/></SolicitaDescargaEmitidosResponse></s:Body></s:Envelope>
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pybase64

from ...signing.namespaces import AUTENTICACION, DESCARGA_MASIVA, SOAP_ENV, WSSE, WSU
from ...signing.security_header import format_timestamp

_ENVELOPE_OPEN = f'<s:Envelope xmlns:s="{SOAP_ENV}">'
_ENVELOPE_CLOSE = "</s:Envelope>"
#: 3 × 2**16 bytes of ZIP become 4 × 2**16 characters of base64, with no padding in between.
_CHUNK = 3 * 65536

#: ``faultcode`` prefixes as SAT writes them: ``a`` for WS-Security, ``s`` for SOAP itself.
INVALID_SECURITY = ("a:InvalidSecurity", WSSE)
INVALID_SECURITY_TEXT = "An error occurred when verifying security for the message."
#: SOAP's own ``Client`` code: its prefix ``s`` is the envelope's, already declared.
CLIENT = ("s:Client", SOAP_ENV)
NOT_WELL_FORMED = "The message is not well-formed XML."
#: What WCF answers when the service itself fails (its dispatcher's namespace).
INTERNAL_SERVICE_FAULT = (
    "a:InternalServiceFault",
    "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher",
)
INTERNAL_SERVICE_FAULT_TEXT = (
    "The server was unable to process the request due to an internal error."
)
ACTION_NOT_SUPPORTED = (
    "a:ActionNotSupported",
    "http://schemas.microsoft.com/ws/2005/05/addressing/none",
)


def _envelope(body: str, header: str = "") -> bytes:
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return f"{_ENVELOPE_OPEN}{head}<s:Body>{body}</s:Body>{_ENVELOPE_CLOSE}".encode()


def _attributes(values: dict[str, str | None]) -> str:
    return "".join(
        f" {name}={quoteattr(value)}" for name, value in values.items() if value is not None
    )


def fault(code: tuple[str, str], text: str) -> bytes:
    """A SOAP 1.1 fault, e.g. ``fault(INVALID_SECURITY, INVALID_SECURITY_TEXT)``."""
    name, namespace = code
    prefix = name.split(":", 1)[0]
    # ``s`` is bound on the Envelope; redeclaring it (or binding a prefix to "") is not XML.
    declaration = "" if prefix == "s" else f' xmlns:{prefix}="{namespace}"'
    return _envelope(
        f"<s:Fault><faultcode{declaration}>{escape(name)}</faultcode>"
        f'<faultstring xml:lang="en-US">{escape(text)}</faultstring></s:Fault>'
    )


def internal_error() -> bytes:
    """WCF's fault for a failure inside the service (never a bare text/plain 500)."""
    return fault(INTERNAL_SERVICE_FAULT, INTERNAL_SERVICE_FAULT_TEXT)


def action_not_supported(action: str) -> bytes:
    """What SAT answers a SOAPAction it does not know (``SolicitaDescarga`` since May 2025)."""
    return fault(
        ACTION_NOT_SUPPORTED,
        f"The message with Action '{action}' cannot be processed at the receiver, due to a "
        "ContractFilter mismatch at the EndpointDispatcher. This may be because of either a "
        "contract mismatch (mismatched Actions between sender and receiver) or a binding/security "
        "mismatch between the sender and the receiver.  Check that sender and receiver have the "
        "same contract and the same binding (including security requirements, e.g. Message, "
        "Transport, None).",
    )


def autentica(token: str, created: datetime, expires: datetime) -> bytes:
    """Autentica's answer: the token, and a Timestamp whose span is its lifetime."""
    security = (
        f'<o:Security s:mustUnderstand="1" xmlns:o="{WSSE}">'
        f'<u:Timestamp u:Id="_0" xmlns:u="{WSU}">'
        f"<u:Created>{format_timestamp(created)}</u:Created>"
        f"<u:Expires>{format_timestamp(expires)}</u:Expires></u:Timestamp></o:Security>"
    )
    body = (
        f'<AutenticaResponse xmlns="{AUTENTICACION}">'
        f"<AutenticaResult>{escape(token)}</AutenticaResult></AutenticaResponse>"
    )
    return _envelope(body, security)


def solicita(
    operation: str,
    *,
    id_solicitud: str | None,
    rfc_solicitante: str | None,
    code: int,
    message: str,
) -> bytes:
    """``<{operation}Response><{operation}Result IdSolicitud=… CodEstatus=… Mensaje=…/>``."""
    attributes = _attributes(
        {
            "IdSolicitud": id_solicitud,
            "RfcSolicitante": rfc_solicitante,
            "CodEstatus": str(code),
            "Mensaje": message,
        }
    )
    return _envelope(
        f'<{operation}Response xmlns="{DESCARGA_MASIVA}">'
        f"<{operation}Result{attributes}/></{operation}Response>"
    )


def verifica(
    *,
    code: int,
    message: str,
    estado: int,
    codigo_estado: int | None,
    numero_cfdis: int,
    ids_paquetes: Sequence[str] = (),
) -> bytes:
    """``VerificaSolicitudDescargaResult`` with one ``IdsPaquetes`` element per package."""
    attributes = _attributes(
        {
            "CodEstatus": str(code),
            "EstadoSolicitud": str(estado),
            "CodigoEstadoSolicitud": None if codigo_estado is None else str(codigo_estado),
            "NumeroCFDIs": str(numero_cfdis),
            "Mensaje": message,
        }
    )
    packages = "".join(
        f"<IdsPaquetes>{escape(id_paquete)}</IdsPaquetes>" for id_paquete in ids_paquetes
    )
    return _envelope(
        f'<VerificaSolicitudDescargaResponse xmlns="{DESCARGA_MASIVA}">'
        f"<VerificaSolicitudDescargaResult{attributes}>{packages}</VerificaSolicitudDescargaResult>"
        "</VerificaSolicitudDescargaResponse>"
    )


def _descarga_header(code: int, message: str) -> str:
    return (
        f'<h:respuesta CodEstatus="{code}" Mensaje={quoteattr(message)} '
        f'xmlns:h="{DESCARGA_MASIVA}" xmlns="{DESCARGA_MASIVA}"/>'
    )


def descarga_refused(code: int, message: str) -> bytes:
    """A Descargar answer without a package: the status is only in the ``respuesta`` header."""
    return _envelope(
        f'<RespuestaDescargaMasivaTercerosSalida xmlns="{DESCARGA_MASIVA}"/>',
        _descarga_header(code, message),
    )


def descarga_frame(message: str = "Solicitud Aceptada") -> tuple[bytes, bytes]:
    """The bytes before and after the base64 text of a package in a successful Descargar."""
    head = (
        f"{_ENVELOPE_OPEN}<s:Header>{_descarga_header(5000, message)}</s:Header><s:Body>"
        f'<RespuestaDescargaMasivaTercerosSalida xmlns="{DESCARGA_MASIVA}"><Paquete>'
    )
    tail = f"</Paquete></RespuestaDescargaMasivaTercerosSalida></s:Body>{_ENVELOPE_CLOSE}"
    return head.encode(), tail.encode()


def base64_length(size: int) -> int:
    """Characters of base64 text for ``size`` bytes."""
    return 4 * ((size + 2) // 3)


def stream_base64(
    path: Path, *, limit: int | None = None, corrupt: bool = False
) -> Iterator[bytes]:
    """The base64 text of a file, produced chunk by chunk.

    ``limit`` stops early (a truncation); ``corrupt`` flips one byte of the first chunk, so the
    text stays valid base64 but the ZIP inside fails its CRC check.
    """
    sent = 0
    with path.open("rb") as package:
        while chunk := package.read(_CHUNK):
            if corrupt and sent == 0:
                middle = len(chunk) // 2
                chunk = chunk[:middle] + bytes([chunk[middle] ^ 0xFF]) + chunk[middle + 1 :]
            encoded = pybase64.b64encode(chunk)
            if limit is not None and sent + len(encoded) >= limit:
                yield encoded[: max(0, limit - sent)]
                return
            sent += len(encoded)
            yield encoded
