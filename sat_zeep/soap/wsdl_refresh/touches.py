"""Which parts of sat_zeep each WSDL operation feeds: client method, request builder, result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientUse:
    """How the client uses one operation."""

    method: str
    builder: str | None
    model: str


#: Every operation the client calls, and the code that depends on its request and response.
OPERATIONS: dict[str, ClientUse] = {
    "Autentica": ClientUse("SatClient.autentica", "security_header", "models.Token"),
    "SolicitaDescargaEmitidos": ClientUse(
        "SatClient.solicita_descarga_emitidos",
        "parameters.emitidos",
        "models.SolicitaDescargaResult",
    ),
    "SolicitaDescargaRecibidos": ClientUse(
        "SatClient.solicita_descarga_recibidos",
        "parameters.recibidos",
        "models.SolicitaDescargaResult",
    ),
    "SolicitaDescargaFolio": ClientUse(
        "SatClient.solicita_descarga_folio", "parameters.folio", "models.SolicitaDescargaResult"
    ),
    "VerificaSolicitudDescarga": ClientUse(
        "SatClient.verifica_solicitud_descarga",
        "parameters.verifica",
        "models.VerificaSolicitudDescargaResult",
    ),
    "Descargar": ClientUse("SatClient.descargar", "parameters.descarga", "models.DescargarResult"),
}


def touches(owners: Iterable[str]) -> tuple[str, ...]:
    """The client code reached through ``owners`` (``Operation:input|output|`` strings)."""
    found: set[str] = set()
    for owner in owners:
        operation, _, direction = owner.partition(":")
        if not operation:
            found.add("every client method")
            continue
        use = OPERATIONS.get(operation)
        if use is None:
            found.add(f"no client method for {operation} (add one to SatClient)")
            continue
        found.add(use.method)
        if direction == "input" and use.builder:
            found.add(use.builder)
        elif direction == "output":
            found.add(use.model)
    return tuple(sorted(found))
