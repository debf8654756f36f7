"""``sat-zeep demo``: the whole job against the fake SAT, with a generated test e.firma.

It starts the fake SAT, issues an e.firma, syncs last month's emitidos and recibidos (metadata
and XML), reads the packages into CSV files, prints what it found, and ends by printing the
catalog's report (``sat-zeep catalog report``). Everything it writes goes to a new folder under
``--dir`` (default ``./sat-zeep-demo``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..catalog import Catalog
from ..packages import iter_cfdi_summaries, iter_metadata, write_csv
from ..sync import PollPolicy, SyncEngine, SyncJob
from ..testing.fake_sat.ledger import LedgerConfig
from ..testing.fake_sat.server import FakeSat
from .progress import Reporter
from .sync import report

DEMO_RFC = "DEM010101AB1"


@dataclass
class Totals:
    """One line of the demo's table."""

    packages: int = 0
    documents: int = 0
    cancelled: int = 0
    amount: Decimal = Decimal(0)


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("sat-zeep-demo"),
    show_default=True,
    help="Where the demo's run folder is created.",
)
@click.option("--json", "as_json", is_flag=True, help="Progress and summary as JSON lines.")
def demo(directory: Path, as_json: bool) -> None:
    """Sync a month from the fake SAT with a test e.firma, read it, and show the result."""
    started = time.monotonic()
    run = directory / datetime.now().strftime("run-%Y%m%d-%H%M%S")
    run.mkdir(parents=True)
    start, end = last_month(date.today())
    with FakeSat(run / "fake-sat", config=LedgerConfig(verifications_until_ready=1)) as sat:
        credential = sat.issue_fiel(DEMO_RFC, name="DEMOSTRACION SA DE CV")
        credential.write(run / "efirma")
        if not as_json:
            click.echo(f"fake SAT at {sat.base_url}; test e.firma {DEMO_RFC} in {run / 'efirma'}")
            click.echo(f"syncing {start} to {end} (emitidos and recibidos, metadata and XML)")
        output = run / "facturas"
        with (
            sat.client(credential.fiel()) as client,
            Reporter(as_json=as_json, force_plain=True) as reporter,
        ):
            engine = SyncEngine(
                client, output, poll=PollPolicy(initial=timedelta(seconds=0.2)), on_event=reporter
            )
            try:
                summary = engine.run(SyncJob(start, end))
            finally:
                engine.close()
        report(summary, output, reporter)
    table, files = read_packages(output, run / "csv")
    if as_json:
        return
    Console().print(table)
    for path in files:
        click.echo(f"CSV: {path}")
    click.echo(f"done in {time.monotonic() - started:.1f} s")
    click.echo(
        "Against SAT, with your own e.firma (password in SAT_ZEEP_PASSWORD):\n"
        f"  sat-zeep sync --cer FIEL.cer --key FIEL.key --start {start} --end {end} "
        "--out ./facturas"
    )
    with Catalog.for_folder(output) as catalog:
        catalog.update(output)
        click.echo(f"\nYour documents (sat-zeep catalog report --out {output}):")
        click.echo(catalog.report().to_table(), nl=False)


def read_packages(output: Path, csv_folder: Path) -> tuple[Table, list[Path]]:
    """Write one CSV per (direction, kind) and total what they hold."""
    csv_folder.mkdir(parents=True, exist_ok=True)
    table = Table(title="What the sync downloaded")
    for column in ("direction", "kind", "packages", "documents", "cancelled", "amount (MXN)"):
        table.add_column(column, justify="left" if column in ("direction", "kind") else "right")
    files = []
    for direction in ("emitidos", "recibidos"):
        for kind in ("metadata", "cfdi"):
            packages = sorted(output.glob(f"cfdi/{direction}/{kind}/*/*.zip"))
            totals = Totals(packages=len(packages))
            target = csv_folder / f"{direction}-{kind}.csv"
            rows = _metadata(packages, totals) if kind == "metadata" else _xml(packages, totals)
            write_csv(rows, target)
            files.append(target)
            table.add_row(
                direction,
                kind,
                str(totals.packages),
                str(totals.documents),
                str(totals.cancelled) if kind == "metadata" else "-",
                f"{totals.amount:,.2f}",
            )
    return table, files


def _metadata(packages: Iterable[Path], totals: Totals) -> Iterable[object]:
    for package in packages:
        for row in iter_metadata(package):
            totals.documents += 1
            totals.amount += getattr(row, "monto", 0) or 0
            totals.cancelled += 0 if getattr(row, "vigente", True) else 1
            yield row


def _xml(packages: Iterable[Path], totals: Totals) -> Iterable[object]:
    for package in packages:
        for summary in iter_cfdi_summaries(package):
            totals.documents += 1
            totals.amount += summary.total
            yield summary
