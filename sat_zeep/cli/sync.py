"""``sat-zeep sync``: everything issued and received in a period, into a folder, resumable.

    sat-zeep sync --efirma ./efirma --start 2025-01-01 --end 2025-12-31 --out ./facturas
    sat-zeep sync --config despacho.toml          # many taxpayers, each in its own folder

Run the same command again at any time: it resumes (state in ``<out>/.sat-zeep-sync.sqlite3``).
Exit codes: 0 complete, 11 still being prepared by SAT (run later), 12 something failed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from ..codes import TipoSolicitud
from ..endpoints import ServiceType
from ..sync import PollPolicy, SyncEngine, SyncJob, SyncSummary
from .config import Taxpayer, load_config
from .durations import parse_duration
from .options import Settings, sat_client, sat_options
from .progress import Reporter

COMPLETE, PENDING, FAILED = 0, 11, 12
_KINDS = {"metadata": TipoSolicitud.METADATA, "cfdi": TipoSolicitud.CFDI}


def run_sync(
    settings: Settings, job: SyncJob, output: Path, options: dict[str, Any], label: str = ""
) -> SyncSummary:
    """One taxpayer's sync, with its progress shown; returns its summary."""
    with sat_client(settings) as client, Reporter(as_json=settings.json, label=label) as reporter:
        engine = SyncEngine(client, output, on_event=reporter, **options)
        try:
            summary = engine.run(job)
        finally:
            engine.close()
    report(summary, output, reporter, label)
    return summary


def report(summary: SyncSummary, output: Path, reporter: Reporter, label: str = "") -> None:
    """The final summary: counts, failures and what to run next."""
    reporter.record({"event": "summary", "output": str(output), **summary.as_json()})
    documents = ", ".join(f"{count} {kind}" for kind, count in summary.documents.items()) or "0"
    reporter.echo(f"{label}output: {output}")
    reporter.echo(f"{label}requests: {_counts(summary.requests)}")
    reporter.echo(f"{label}packages: {_counts(summary.packages)}")
    reporter.echo(f"{label}documents: {documents}; {summary.bytes_downloaded / 1e6:.1f} MB")
    for failure in summary.failures:
        reporter.echo(f"{label}failed: {failure}")
    reporter.echo(f"{label}next: {summary.next_step()}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {key}" for key, value in sorted(counts.items())) or "none"


def exit_code(summaries: list[SyncSummary]) -> int:
    if any(summary.failures for summary in summaries):
        return FAILED
    return COMPLETE if all(summary.complete for summary in summaries) else PENDING


@click.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option(
    "--direction",
    "directions",
    type=click.Choice(["emitidos", "recibidos"]),
    multiple=True,
    help="Repeat for both (default: both).",
)
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(sorted(_KINDS)),
    multiple=True,
    help="metadata and/or cfdi (default: both).",
)
@click.option("--concurrency", default=4, show_default=True, help="Parallel downloads.")
@click.option("--max-wait", default="30m", show_default=True, help="Stop waiting for SAT after.")
@click.option("--poll", default="30s", show_default=True, help="First wait between checks.")
@click.option("--rerequest-expired", is_flag=True, help="Ask again for expired packages.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file listing several taxpayers (see the README).",
)
@sat_options
def sync(
    settings: Settings,
    start: Any,
    end: Any,
    out: Path | None,
    directions: tuple[str, ...],
    kinds: tuple[str, ...],
    concurrency: int,
    max_wait: str,
    poll: str,
    rerequest_expired: bool,
    config: Path | None,
) -> None:
    """Download every document of the period into --out, and resume where a run stopped."""
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "max_wait": parse_duration(max_wait),
        "poll": PollPolicy(initial=parse_duration(poll)),
    }
    taxpayers = (
        load_config(config, settings)
        if config
        else [Taxpayer(name="", settings=settings, output=out, start=_day(start), end=_day(end))]
    )
    summaries = []
    for taxpayer in taxpayers:
        first = taxpayer.start
        if first is None or taxpayer.output is None:
            raise click.UsageError("--start and --out are needed (or a --config listing them)")
        job = SyncJob(
            first,
            taxpayer.end or date.today(),
            directions=directions or ("emitidos", "recibidos"),
            kinds=tuple(_KINDS[kind] for kind in kinds) or tuple(_KINDS.values()),
            service=taxpayer.settings.service or ServiceType.CFDI,
            rerequest_expired=rerequest_expired,
        )
        label = f"[{taxpayer.name}] " if taxpayer.name else ""
        summaries.append(run_sync(taxpayer.settings, job, taxpayer.output, options, label))
    code = exit_code(summaries)
    if code:
        raise click.exceptions.Exit(code)


def _day(value: Any) -> date | None:
    return None if value is None else value.date()
