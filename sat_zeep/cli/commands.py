"""``sat-zeep auth``, ``verify`` and ``download``."""

from __future__ import annotations

import random
import time
from pathlib import Path

import click

from ..packages.archive.stream_check import file_sha256
from ..sync import PollPolicy
from .durations import parse_duration
from .options import Settings, sat_client, sat_options
from .output import emit, plural

#: The exit code of a request SAT is still preparing when ``--wait`` runs out (as ``sync``'s).
STILL_WAITING = 11


@click.command()
@sat_options
def auth(settings: Settings) -> None:
    """Authenticate with the e.firma and print how long the token lasts (never the token)."""
    with sat_client(settings) as client:
        token = client.autentica()
    emit(
        settings.json,
        {
            "rfc": client.fiel.rfc,
            "service": settings.service,
            "created": token.created,
            "expires": token.expires,
            "token_file": settings.token_file,
        },
        f"authenticated {client.fiel.rfc} ({settings.service.value}); token valid "
        f"{token.created.isoformat()} to {token.expires.isoformat()}"
        + (f", kept in {settings.token_file}" if settings.token_file else ""),
    )


@click.command()
@click.argument("id_solicitud", metavar="ID")
@click.option(
    "--wait",
    metavar="DURATION",
    help="Ask again, with backoff, until the request ends or DURATION (90s, 30m, 2h) passes; "
    "still pending then: exit code 11.",
)
@click.option(
    "--poll",
    default="30s",
    show_default=True,
    metavar="DURATION",
    help="With --wait: the first pause between questions (it grows to 15 minutes).",
)
@sat_options
def verify(settings: Settings, id_solicitud: str, wait: str | None, poll: str) -> None:
    """Show how request ID is going; once finished, list its packages."""
    deadline = None if wait is None else time.monotonic() + parse_duration(wait).total_seconds()
    policy = PollPolicy(initial=parse_duration(poll))
    rng = random.Random()
    checks = 0
    with sat_client(settings) as client:
        while True:
            state = client.verifica_solicitud_descarga(id_solicitud).raise_for_status()
            checks += 1
            if deadline is None or not state.is_pending:
                break
            pause = policy.delay(checks, rng).total_seconds()
            if time.monotonic() + pause > deadline:
                break
            if not settings.json:
                estado = state.estado_solicitud
                click.echo(
                    f"{id_solicitud}: {estado.sat_name or estado.name}; asking again in "
                    f"{pause:.0f} s",
                    err=True,
                )
            time.sleep(pause)
    estado = state.estado_solicitud
    emit(
        settings.json,
        {
            "id_solicitud": id_solicitud,
            "estado": estado.sat_name or estado.name,
            "estado_solicitud": int(estado),
            "finished": state.is_finished,
            "pending": state.is_pending,
            "cod_estatus": int(state.cod_estatus),
            "mensaje": state.mensaje,
            "numero_cfdis": state.numero_cfdis,
            "ids_paquetes": list(state.ids_paquetes),
        },
        f"{id_solicitud}: {estado.sat_name or estado.name} ({int(estado)}), "
        f"{plural(state.numero_cfdis, 'document')}, {plural(len(state.ids_paquetes), 'package')}"
        + "".join(f"\n  {package}" for package in state.ids_paquetes),
    )
    if deadline is not None and state.is_pending:
        raise click.exceptions.Exit(STILL_WAITING)


@click.command()
@click.argument("ids_paquetes", metavar="ID...", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for <ID>.zip.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Download again a package already in --out (SAT allows two downloads per package).",
)
@sat_options
def download(settings: Settings, ids_paquetes: tuple[str, ...], out: Path, force: bool) -> None:
    """Stream each package to OUT/<ID>.zip and print its path, size and SHA-256."""
    out.mkdir(parents=True, exist_ok=True)
    with sat_client(settings) as client:
        for id_paquete in ids_paquetes:
            target = out / f"{Path(id_paquete).name}.zip"
            if target.exists() and not force:
                size, sha256, downloaded = target.stat().st_size, file_sha256(target), False
            else:
                result = client.descargar(id_paquete, destino=target).raise_for_status()
                size, sha256, downloaded = result.size, result.sha256 or file_sha256(target), True
            emit(
                settings.json,
                {
                    "id_paquete": id_paquete,
                    "path": target,
                    "size": size,
                    "sha256": sha256,
                    "downloaded": downloaded,
                },
                f"{target}  {size} bytes  sha256 {sha256}"
                + ("" if downloaded else "  (already there; --force downloads it again)"),
            )
