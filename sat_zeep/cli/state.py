"""``sat-zeep state rebuild``: a sync state rebuilt from the packages on disk, offline.

    sat-zeep state rebuild --out facturas --rfc SZP200101AB1      # or --cer FIEL.cer
    sat-zeep state rebuild --out facturas --from-backup           # the backup + the packages

Nothing is sent to SAT; no password is needed (the RFC is given, or read from the certificate).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..client.parameters import is_rfc, rfc_problem
from ..signing.fiel import certificate_file_rfc
from ..soap.endpoints import ServiceType
from ..sync.identity import StateOwner
from ..sync.rebuild import rebuild_state
from .output import emit, plural


@click.group("state")
def state() -> None:
    """The sync's state in an output folder (``.sat-zeep-sync.sqlite3``)."""


@state.command()
@click.option(
    "--out",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    metavar="DIR",
    help="The sync's output folder.",
)
@click.option("--rfc", metavar="RFC", help="Whose packages they are (or --cer / --efirma).")
@click.option(
    "--cer",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the RFC from this e.firma certificate (no key or password needed).",
)
@click.option(
    "--efirma",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read the RFC from the one .cer in this folder.",
)
@click.option(
    "--service",
    type=click.Choice([kind.value for kind in ServiceType]),
    default=ServiceType.CFDI.value,
    show_default=True,
    help="Which service's packages (the folder's first level).",
)
@click.option(
    "--from-backup",
    is_flag=True,
    help="Start from the newest readable backup (.bak, .bak.1), which keeps the requests still "
    "at SAT, and merge the packages on disk into it (the RFC is then the backup's).",
)
@click.option("--force", is_flag=True, help="Rebuild even a readable state (moved aside).")
@click.option("--json", "as_json", is_flag=True, help="The result as one JSON object.")
def rebuild(
    out: Path,
    rfc: str | None,
    cer: Path | None,
    efirma: Path | None,
    service: str,
    from_backup: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Rebuild the state of --out from its packages (checked), without asking SAT anything."""
    given = any(value is not None for value in (rfc, cer, efirma))
    owner = StateOwner(_rfc(rfc, cer, efirma), service) if given or not from_backup else None
    report = rebuild_state(out, owner, force=force, from_backup=from_backup)
    owner = report.owner
    documents = ", ".join(f"{count} {kind}" for kind, count in report.documents.items()) or "0"
    lines = [
        f"rebuilt {report.state} for {owner.describe()} from the packages on disk; nothing was "
        "sent to SAT",
        f"requests: {report.requests} finished; packages: {report.packages} checked "
        f"({report.bytes / 1e6:.1f} MB); documents: {documents}",
    ]
    if report.restored_from:
        lines.append(f"restored from the backup {report.restored_from}, the packages merged in")
    if report.moved_aside:
        lines.append(f"the previous state was moved to {report.moved_aside}")
    for path in report.damaged:
        lines.append(f"damaged: {path} (kept); the next sync downloads it again")
    for id_paquete in report.missing:
        lines.append(f"missing: {id_paquete}; the next sync downloads it")
    if report.ignored:
        ignored = plural(len(report.ignored), "file")
        lines.append(f"ignored: {ignored} not laid out as {service} packages (left alone)")
    lines.append("next: run the same sync command as before; it continues from this state")
    emit(
        as_json,
        {
            "state": report.state,
            "rfc": owner.rfc,
            "service": owner.service,
            "requests": report.requests,
            "packages": report.packages,
            "bytes": report.bytes,
            "documents": report.documents,
            "damaged": [str(path) for path in report.damaged],
            "missing": report.missing,
            "ignored": [str(path) for path in report.ignored],
            "moved_aside": report.moved_aside,
            "restored_from": report.restored_from,
        },
        "\n".join(lines),
    )


def _rfc(rfc: str | None, cer: Path | None, efirma: Path | None) -> str:
    if sum(value is not None for value in (rfc, cer, efirma)) != 1:
        raise click.UsageError("say whose packages they are: pass one of --rfc, --cer or --efirma")
    if rfc is not None:
        text = rfc.strip().upper()
        if not is_rfc(text):
            raise click.BadParameter(
                f"{rfc!r} is not an RFC: {rfc_problem(text)}", param_hint="--rfc"
            )
        return text
    if efirma is not None:
        cers = sorted(efirma.glob("*.cer"))
        if len(cers) != 1:
            raise click.UsageError(f"--efirma {efirma} must hold exactly one .cer")
        cer = cers[0]
    assert cer is not None
    return certificate_file_rfc(cer)
