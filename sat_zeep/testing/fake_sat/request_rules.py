"""What the fake server checks in a signed request before it looks at the business rules.

``check_seal`` applies SAT's seal codes (300-305) to the request signature; ``read_solicitud``
turns the attributes of a Solicitud into a ``Query``, or a 301 message naming the bad value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from cryptography import x509
from lxml import etree

from ...client.complementos import complementos
from ...client.parameters import is_rfc, is_uuid
from ...errors import SignatureError
from ...signing.fiel import certificate_is_fiel, certificate_rfc
from ...signing.namespaces import DESCARGA_MASIVA
from ...signing.request_signature import verify_request
from ...soap.endpoints import ServiceType
from .authentication import issued_by_any
from .universe import Query

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")
TIPOS_SOLICITUD = ("Metadata", "CFDI", "PDF", "PDFCOCEMA", "TXTUUIDMASIVA")
ESTADOS = ("Todos", "Cancelado", "Vigente")
TIPOS_COMPROBANTE = ("I", "E", "T", "N", "P")
_NS = {"des": DESCARGA_MASIVA}
#: SAT's answer to a Recibidos CFDI request without ``EstadoComprobante="Vigente"``.
RECIBIDOS_CANCELADOS = (
    "XML Mal Formado:La solicitud de descarga no es válida. "
    "No se permite la descarga de xml que se encuentren cancelados."
)


class Refusal(Exception):
    """A request SAT answers with a status code rather than a fault."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Sealed:
    """The signer of a request whose seal passed."""

    certificate: x509.Certificate
    rfc: str


def check_seal(
    operation: etree._Element,
    *,
    token_serial: int,
    now: datetime,
    trust_anchors: Sequence[x509.Certificate],
) -> Sealed:
    """The request's signer, or a ``Refusal`` with SAT's seal code."""
    try:
        verified = verify_request(operation)
    except SignatureError as error:
        if error.reason == "certificate":
            raise Refusal(305, "Certificado Inválido") from None
        raise Refusal(302, "Sello Mal Formado") from None
    certificate = verified.certificate
    if not _trusted_fiel(certificate, tuple(trust_anchors)):
        raise Refusal(305, "Certificado Inválido")
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise Refusal(304, "Certificado Revocado o Caduco")
    if certificate.serial_number != token_serial:
        raise Refusal(300, "Usuario No Válido")
    return Sealed(certificate, _signer_rfc(certificate))


@functools.lru_cache(maxsize=4096)
def _trusted_fiel(certificate: x509.Certificate, anchors: tuple[x509.Certificate, ...]) -> bool:
    """Issued by an anchor and an e.firma: a quarter of a Verifica's CPU, so kept per certificate
    (certificates compare and hash by their DER bytes)."""
    return issued_by_any(certificate, anchors) and certificate_is_fiel(certificate)


@functools.lru_cache(maxsize=4096)
def _signer_rfc(certificate: x509.Certificate) -> str:
    return certificate_rfc(certificate)


def inner(operation: etree._Element) -> etree._Element:
    """``des:solicitud`` / ``des:peticionDescarga``: the operation's only child element."""
    children = [child for child in operation if isinstance(child.tag, str)]
    if len(children) != 1 or etree.QName(children[0]).namespace != DESCARGA_MASIVA:
        raise Refusal(301, "XML Mal Formado")
    return children[0]


def _rfc(value: str | None, name: str, *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise Refusal(301, f"XML Mal Formado: falta {name}")
        return None
    if not is_rfc(value):
        raise Refusal(301, f"XML Mal Formado: {name} '{value}' no es un RFC válido")
    return value


def _moment(value: str | None, name: str) -> datetime:
    if not value or not _DATE_TIME.match(value):
        raise Refusal(301, f"XML Mal Formado: {name} debe ser AAAA-MM-DDTHH:MM:SS")
    return datetime.fromisoformat(value)


def _choice(value: str | None, name: str, allowed: Sequence[str]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise Refusal(301, f"XML Mal Formado: {name} '{value}' no es un valor permitido")
    return value


def read_solicitud(
    operation_name: str,
    solicitud: etree._Element,
    *,
    service: ServiceType,
    today: date,
    signer: str,
) -> tuple[Query, str, str]:
    """The query, TipoSolicitud and RfcSolicitante of a Solicitud, or a ``Refusal``."""
    get = solicitud.get
    solicitante = _rfc(get("RfcSolicitante"), "RfcSolicitante", required=False) or signer
    if operation_name == "SolicitaDescargaFolio":
        folio = get("Folio") or ""
        if not is_uuid(folio):
            raise Refusal(301, "XML Mal Formado: Folio debe ser un UUID")
        if solicitante != signer:
            raise Refusal(303, "Sello no corresponde con RfcSolicitante")
        query = Query(
            service=service.value,
            direction="folio",
            rfc=signer,
            start=datetime(1970, 1, 1),
            end=datetime(1970, 1, 1),
            folio=folio.upper(),
        )
        return query, "CFDI", solicitante

    emitidos = operation_name == "SolicitaDescargaEmitidos"
    owner_attribute = "RfcEmisor" if emitidos else "RfcReceptor"
    owner = _rfc(get(owner_attribute), owner_attribute, required=True)
    # SAT's v1.5 tables name the owner's attribute in 303 for Emitidos and Recibidos.
    if owner != signer or solicitante != signer:
        raise Refusal(303, f"Sello no corresponde con {owner_attribute}")
    tipo = _choice(get("TipoSolicitud"), "TipoSolicitud", TIPOS_SOLICITUD)
    if tipo is None:
        raise Refusal(301, "XML Mal Formado: falta TipoSolicitud")
    start = _moment(get("FechaInicial"), "FechaInicial")
    end = _moment(get("FechaFinal"), "FechaFinal")
    if not start < end:
        raise Refusal(301, "XML Mal Formado: FechaInicial debe ser menor a FechaFinal")
    oldest = datetime(today.year - 6, today.month, min(today.day, 28))
    if start < oldest:
        raise Refusal(301, "XML Mal Formado: el periodo excede los 6 años permitidos")
    estado = _choice(get("EstadoComprobante"), "EstadoComprobante", ESTADOS)
    if not emitidos and tipo == "CFDI" and estado != "Vigente":
        # SAT since v1.5: received XML only when Vigente is asked for (no default applies).
        raise Refusal(301, RECIBIDOS_CANCELADOS)
    tipo_comprobante = _choice(get("TipoComprobante"), "TipoComprobante", TIPOS_COMPROBANTE)
    complemento = get("Complemento")
    if complemento is not None and complemento not in complementos(service):
        raise Refusal(301, f"XML Mal Formado: Complemento '{complemento}' no es válido")
    terceros = _rfc(get("RfcACuentaTerceros"), "RfcACuentaTerceros", required=False)
    if emitidos:
        # An empty <des:RfcReceptor/> (some clients always write one) filters nothing.
        receptores = tuple(
            text
            for node in solicitud.iterfind("des:RfcReceptores/des:RfcReceptor", namespaces=_NS)
            if (text := (node.text or "").strip())
        )
        if len(receptores) > 5:
            raise Refusal(301, "XML Mal Formado: máximo 5 RfcReceptor")
        for receptor in receptores:
            _rfc(receptor, "RfcReceptor", required=True)
        counterparts = receptores
    else:
        emisor = _rfc(solicitud.get("RfcEmisor"), "RfcEmisor", required=False)
        counterparts = (emisor,) if emisor else ()
    query = Query(
        service=service.value,
        direction="emitidos" if emitidos else "recibidos",
        rfc=signer,
        start=start,
        end=end,
        tipo_comprobante=tipo_comprobante,
        estado_comprobante=estado,
        counterparts=counterparts,
        complemento=complemento,
        rfc_a_cuenta_terceros=terceros,
    )
    return query, tipo, solicitante
