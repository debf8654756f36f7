"""``sat-zeep request emitidos|recibidos|folio``: the three SolicitaDescarga operations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click

from ..client.codes import EstadoComprobante, TipoComprobante, TipoSolicitud
from ..client.models import SolicitaDescargaResult
from .options import Settings, sat_client, sat_options
from .output import emit

F = TypeVar("F", bound=Callable[..., Any])


def _fecha(ctx: click.Context, param: click.Parameter, value: str) -> date | datetime:
    """``YYYY-MM-DD`` (the whole day) or ``YYYY-MM-DDTHH:MM:SS`` (Mexico City time)."""
    del ctx
    text = value.strip()
    try:
        if "T" in text:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not YYYY-MM-DD nor YYYY-MM-DDTHH:MM:SS", param=param
        ) from None


_TIPOS = {member.value.lower(): member for member in TipoSolicitud}
_ESTADOS = {member.value.lower(): member for member in EstadoComprobante}


def _choice(values: list[str]) -> click.Choice[str]:
    return click.Choice(values, case_sensitive=False)


def _period_options(command: F) -> F:
    options: tuple[Callable[[F], F], ...] = (
        click.option(
            "--start", callback=_fecha, required=True, metavar="DATE", help="First day (or second)."
        ),
        click.option(
            "--end", callback=_fecha, required=True, metavar="DATE", help="Last day (or second)."
        ),
        click.option(
            "--type", "tipo", type=_choice(list(_TIPOS)), required=True, help="What to download."
        ),
        click.option(
            "--tipo-comprobante",
            type=_choice([member.value for member in TipoComprobante]),
            help="Only this CFDI type (I, E, T, N, P).",
        ),
        click.option("--estado", type=_choice(list(_ESTADOS)), help="Vigente, cancelado or todos."),
        click.option("--terceros", metavar="RFC", help="RfcACuentaTerceros."),
        click.option("--complemento", help="Only documents with this complemento."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _filters(
    tipo_comprobante: str | None, estado: str | None, terceros: str | None, complemento: str | None
) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "tipo_comprobante": TipoComprobante(tipo_comprobante.upper()) if tipo_comprobante else None,
        "rfc_a_cuenta_terceros": terceros,
        "complemento": complemento,
    }
    if estado:
        filters["estado_comprobante"] = _ESTADOS[estado.lower()]
    return filters


def _report(settings: Settings, operation: str, result: SolicitaDescargaResult) -> None:
    result.raise_for_status()
    emit(
        settings.json,
        {
            "operation": operation,
            "id_solicitud": result.id_solicitud,
            "cod_estatus": int(result.cod_estatus),
            "mensaje": result.mensaje,
        },
        f"{result.id_solicitud}  ({int(result.cod_estatus)} {result.mensaje}); "
        f"check it with: sat-zeep verify {result.id_solicitud}",
    )


@click.group("request")
def request() -> None:
    """Ask SAT to prepare documents for download (SolicitaDescarga)."""


@request.command()
@_period_options
@click.option("--receptor", "receptores", multiple=True, metavar="RFC", help="Repeatable (≤ 5).")
@sat_options
def emitidos(
    settings: Settings,
    start: date,
    end: date,
    tipo: str,
    receptores: tuple[str, ...],
    tipo_comprobante: str | None,
    estado: str | None,
    terceros: str | None,
    complemento: str | None,
) -> None:
    """Request the documents the e.firma's RFC issued between --start and --end."""
    with sat_client(settings) as client:
        result = client.solicita_descarga_emitidos(
            start,
            end,
            _TIPOS[tipo.lower()],
            rfc_receptores=receptores,
            **_filters(tipo_comprobante, estado, terceros, complemento),
        )
    _report(settings, "SolicitaDescargaEmitidos", result)


@request.command()
@_period_options
@click.option("--emisor", metavar="RFC", help="Only documents issued by this RFC.")
@sat_options
def recibidos(
    settings: Settings,
    start: date,
    end: date,
    tipo: str,
    emisor: str | None,
    tipo_comprobante: str | None,
    estado: str | None,
    terceros: str | None,
    complemento: str | None,
) -> None:
    """Request the documents the e.firma's RFC received between --start and --end."""
    with sat_client(settings) as client:
        result = client.solicita_descarga_recibidos(
            start,
            end,
            _TIPOS[tipo.lower()],
            rfc_emisor=emisor,
            **_filters(tipo_comprobante, estado, terceros, complemento),
        )
    _report(settings, "SolicitaDescargaRecibidos", result)


@request.command()
@click.argument("uuid")
@sat_options
def folio(settings: Settings, uuid: str) -> None:
    """Request one document by its UUID (folio fiscal)."""
    with sat_client(settings) as client:
        result = client.solicita_descarga_folio(uuid)
    _report(settings, "SolicitaDescargaFolio", result)
