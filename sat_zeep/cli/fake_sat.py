"""``sat-zeep fake-sat``: run the fake SAT server and issue e.firmas it trusts."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType

import click

from ..testing.fake_sat.faults import KINDS, FaultPlan
from ..testing.fake_sat.ledger import LedgerConfig
from ..testing.fake_sat.server import FakeSat, load_or_create_ca


@click.group("fake-sat")
def fake_sat() -> None:
    """A strict stand-in for SAT's Descarga Masiva services, for integration tests."""


@fake_sat.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Keeps the CA (ca.pem for HTTPS clients), the token secret and the packages.",
)
@click.option("--tls", is_flag=True, help="Serve HTTPS with a certificate from the fake CA.")
@click.option("--admin", is_flag=True, help="Enable /_admin/stats and /_admin/clock (loopback).")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic taxpayers.")
@click.option("--documents-per-day", default=20.0, show_default=True, help="Volume of data.")
@click.option(
    "--verifications-until-ready",
    default=2,
    show_default=True,
    help="Verifications a request stays Aceptada/En proceso before it is Terminada.",
)
@click.option(
    "--seconds-until-ready",
    type=float,
    default=None,
    help="Seconds after its acceptance a request is Terminada (instead of verifications).",
)
@click.option("--token-lifetime", default=300.0, show_default=True, help="Seconds a token lives.")
@click.option(
    "--max-per-request",
    default=200_000,
    show_default=True,
    help="XML documents one request may cover before SAT answers 5003.",
)
@click.option(
    "--max-per-package",
    default=20_000,
    show_default=True,
    help="XML documents per package (metadata: 1,000,000).",
)
@click.option(
    "--padding",
    default=0,
    show_default=True,
    help="Incompressible bytes of Addenda added to every XML document (to size packages).",
)
@click.option(
    "--shape",
    type=click.Choice(["plain", "real"]),
    default="plain",
    show_default=True,
    help="How XML documents are written: one template (~3.4 KB) or shaped like real stamped "
    "CFDI 3.3/4.0 and Retenciones 1.0/2.0 (~8 KB, seals, conceptos, complements, Addendas).",
)
@click.option("--threads", default=16, show_default=True, help="Threads serving requests.")
@click.option("--fault-rate", default=0.0, show_default=True, help="Share of calls that fail.")
@click.option(
    "--fault-kinds",
    default=",".join(KINDS),
    show_default=True,
    help="Comma-separated fault kinds to draw from.",
)
@click.option("--fault-seed", default=0, show_default=True, help="Seed of the fault draw.")
def serve(
    host: str,
    port: int,
    state_dir: Path,
    tls: bool,
    admin: bool,
    seed: int,
    documents_per_day: float,
    verifications_until_ready: int,
    seconds_until_ready: float | None,
    token_lifetime: float,
    max_per_request: int,
    max_per_package: int,
    padding: int,
    shape: str,
    threads: int,
    fault_rate: float,
    fault_kinds: str,
    fault_seed: int,
) -> None:
    """Serve until stopped; the first line printed is ``listening on <base-url>``."""
    if seconds_until_ready is not None and seconds_until_ready < 0:
        raise click.UsageError("--seconds-until-ready must be 0 or more")
    if admin and host not in ("127.0.0.1", "::1", "localhost"):
        raise click.UsageError("--admin is only allowed on a loopback address")
    try:
        faults = FaultPlan(
            rate=fault_rate,
            kinds=[kind for kind in fault_kinds.split(",") if kind],
            seed=fault_seed,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    server = FakeSat(
        state_dir,
        host=host,
        port=port,
        tls=tls,
        admin=admin,
        seed=seed,
        documents_per_day=documents_per_day,
        padding=padding,
        shape=shape,
        config=LedgerConfig(
            verifications_until_ready=verifications_until_ready,
            seconds_until_ready=seconds_until_ready,
            max_xml_per_request=max_per_request,
            max_xml_per_package=max_per_package,
        ),
        token_lifetime=timedelta(seconds=token_lifetime),
        faults=faults,
        threads=threads,
    )
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with server:
        click.echo(f"listening on {server.base_url}")
        click.echo(f"CA certificate: {server.ca_pem}")
        stopped.wait()


@fake_sat.command("issue-fiel")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The server's state directory (its CA issues the e.firma).",
)
@click.option("--rfc", required=True, help="RFC of the taxpayer (12 or 13 characters).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to write <RFC>.cer, <RFC>.key and <RFC>-password.txt.",
)
@click.option("--csd", is_flag=True, help="Issue a seal certificate (CSD), which SAT refuses.")
@click.option("--expired", is_flag=True, help="Issue a certificate that has already expired.")
def issue_fiel(state_dir: Path, rfc: str, out: Path, csd: bool, expired: bool) -> None:
    """Write a test e.firma trusted by the server of STATE_DIR."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ca = load_or_create_ca(state_dir)
    try:
        credential = (
            ca.issue_csd(rfc, expired=expired) if csd else ca.issue_fiel(rfc, expired=expired)
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    certificate, key, password = credential.write(out)
    for path in (certificate, key, password):
        click.echo(str(path))
