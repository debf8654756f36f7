"""``sat-zeep fleet …`` and ``sat-zeep worker``: many taxpayers, one database.

    sat-zeep fleet migrate --db postgresql://…            (the store's and procrastinate's schema)
    sat-zeep fleet add firms.toml --db …                  (or --efirma DIR --start/--since …)
    sat-zeep fleet run --db fleet.sqlite3 --out DIR       (every taxpayer, in this process)
    sat-zeep worker --db postgresql://… --out DIR         (a procrastinate worker; any number)
    sat-zeep fleet status --db … [--json]
    sat-zeep fleet import-state --db … --from SYNC_OUT --out DIR   (nothing is sent)

``--db`` is a path (SQLite, the default ``fleet.sqlite3`` in ``--out``) or a ``postgresql://``
URL; workers need PostgreSQL. No password, key or token is ever written to the database.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import click

from ..client.polling import PollPolicy
from ..sync.db import is_url
from ..sync.fleet.firms import TaxpayerEntry, efirma_pair, entry_from_efirma, load_firms
from ..sync.fleet.runtime import FleetRuntime, sat_endpoints
from ..sync.fleet.scheduler import FleetScheduler
from ..sync.fleet.status import status_rows, status_table
from ..sync.fleet.steps import StepSettings
from ..sync.fleet.store import FleetStore
from ..sync.fleet.times import utc_now
from .commands import STILL_WAITING
from .durations import parse_duration
from .output import plural

__all__ = ["fleet", "worker"]

_DB = click.option(
    "--db",
    "db",
    required=True,
    help="The fleet's database: an SQLite file, or a postgresql:// URL shared by workers.",
)
_BASE_URL = click.option(
    "--base-url", default=None, help="A server standing in for SAT (the fake SAT), not SAT."
)
_POLL = click.option(
    "--poll", default="30s", show_default=True, help="First wait between checks of a request."
)


@click.group()
def fleet() -> None:
    """Many taxpayers side by side, on SQLite or on PostgreSQL shared by workers."""


@fleet.command()
@_DB
def migrate(db: str) -> None:
    """Create or update the fleet's tables (and procrastinate's, on PostgreSQL)."""
    FleetStore.open(db).close()
    if is_url(db):
        from ..sync.fleet.worker import apply_queue_schema

        applied = apply_queue_schema(db)
        click.echo("queue schema applied" if applied else "queue schema already there")
    click.echo("fleet schema up to date")


@fleet.command()
@click.argument("firms", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_DB
@click.option(
    "--efirma",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A folder with one taxpayer's .cer and .key (instead of FIRMS).",
)
@click.option("--password-env", default=None, help="Environment variable holding its password.")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File holding its password.",
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day.")
@click.option("--since", default=None, help="A rolling window instead: the last N days (35d).")
def add(
    firms: Path | None,
    db: str,
    efirma: Path | None,
    password_env: str | None,
    password_file: Path | None,
    start: datetime | None,
    end: datetime | None,
    since: str | None,
) -> None:
    """Register taxpayers (FIRMS.toml, or one --efirma DIR); workers pick them up."""
    if (firms is None) == (efirma is None):
        raise click.UsageError("give a firms.toml file or --efirma DIR (one of the two)")
    if firms is not None:
        entries = load_firms(firms)
    else:
        assert efirma is not None
        cer, key = efirma_pair(efirma)
        entries = [
            entry_from_efirma(
                cer=cer,
                key=key,
                password_env=password_env,
                password_file=password_file,
                start=start.date() if start else None,
                end=end.date() if end else None,
                since=since,
            )
        ]
    register(db, entries)
    click.echo(
        f"{plural(len(entries), 'taxpayer')} registered: " + ", ".join(e.rfc for e in entries)
    )


def register(db: str, entries: list[TaxpayerEntry]) -> None:
    """Write the entries; on PostgreSQL each gets a waiting step for the workers."""
    now = utc_now()
    with FleetStore.open(db) as store:
        for entry in entries:
            store.add_taxpayer(now, **entry.columns())
        if is_url(db):
            from ..sync.fleet.worker import apply_queue_schema, enqueue_all, make_app

            apply_queue_schema(db)
            enqueue_all(make_app(db), store, now)


@fleet.command()
@_DB
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
def status(db: str, as_json: bool) -> None:
    """One row per taxpayer: periods, requests, packages, documents, bytes, errors, holder."""
    with FleetStore.open(db) as store:
        rows = status_rows(store)
    if as_json:
        click.echo(json.dumps({"taxpayers": rows}, ensure_ascii=False, indent=2))
    else:
        click.echo(status_table(rows), nl=False)


@fleet.command()
@_DB
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where packages go: OUT/<RFC>/…",
)
@click.option("--concurrency", default=16, show_default=True, help="Steps run at once.")
@click.option("--max-wait", default="2h", show_default=True, help="Stop waiting for SAT after.")
@_POLL
@_BASE_URL
def run(
    db: str, out: Path, concurrency: int, max_wait: str, poll: str, base_url: str | None
) -> None:
    """Drive every registered taxpayer in this process until nothing is due."""
    FleetStore.open(db).close()
    runtime = _runtime(db, out, poll, base_url)
    summary = FleetScheduler(runtime, concurrency).run(max_wait=parse_duration(max_wait))
    click.echo(
        f"{plural(summary.steps, 'step')}, {plural(summary.sat_calls, 'call')} to SAT"
        + (f", {len(summary.unfinished)} still waiting" if summary.unfinished else "")
    )
    for rfc, error in sorted(summary.errors.items()):
        click.echo(f"{rfc}: {error}", err=True)
    if summary.unfinished:
        raise click.exceptions.Exit(STILL_WAITING)


@click.command()
@_DB
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The shared folder packages go to: OUT/<RFC>/…",
)
@click.option("--concurrency", default=8, show_default=True, help="Jobs run at once.")
@_POLL
@_BASE_URL
def worker(db: str, out: Path, concurrency: int, poll: str, base_url: str | None) -> None:
    """A procrastinate worker running the fleet's steps (start any number, anywhere)."""
    if not is_url(db):
        raise click.UsageError("workers share a PostgreSQL database: --db postgresql://…")
    from ..sync.fleet.worker import apply_queue_schema, run_worker

    FleetStore.open(db).close()
    apply_queue_schema(db)
    run_worker(_runtime(db, out, poll, base_url), db, concurrency)


def _runtime(db: str, out: Path, poll: str, base_url: str | None) -> FleetRuntime:
    first = parse_duration(poll)
    settings = StepSettings(
        poll=PollPolicy(initial=first, maximum=max(first, timedelta(minutes=15)))
    )
    return FleetRuntime(db, out, endpoints_for=sat_endpoints(base_url), settings=settings)


@fleet.command("import-state")
@_DB
@click.option(
    "--from",
    "source",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The --out folder of a `sat-zeep sync` (its state file).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The fleet's folder: downloaded packages are linked into OUT/<RFC>/…",
)
def import_state_command(db: str, source: Path, out: Path) -> None:
    """Import a folder's sync state into the fleet, without sending anything to SAT."""
    from ..sync.fleet.import_state import import_state
    from ..sync.fleet.runtime import worker_name

    with FleetStore.open(db) as store:
        result = import_state(store, source, out, worker_name(), utc_now())
    click.echo(
        f"{result.rfc}: {plural(result.periods, 'period')}, {plural(result.attempts, 'attempt')}, "
        f"{plural(result.packages, 'package')} ({plural(result.files, 'file')} in place)"
    )
