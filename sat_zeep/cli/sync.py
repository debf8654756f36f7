"""``sat-zeep sync``: everything issued and received in a period, into a folder, resumable.

    sat-zeep sync --efirma ./efirma --start 2025-01-01 --end 2025-12-31 --out ./facturas
    sat-zeep sync --config despacho.toml          # many taxpayers, each in its own folder

Run the same command again at any time: it resumes (state in ``<out>/.sat-zeep-sync.sqlite3``).
The exit codes are in ``SYNC_EXIT_CODES`` (shown by ``sat-zeep sync --help``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..catalog import Catalog, CatalogFeeder, IndexResult
from ..client.codes import TipoSolicitud
from ..client.parameters import YEARS_AVAILABLE, earliest_start
from ..client.sat_client import MEXICO_TIME
from ..errors import RequestValidationError, SatError
from ..soap.endpoints import ServiceType
from ..soap.transport import bound_calls
from ..sync import PollPolicy, SyncEngine, SyncJob, SyncSummary
from ..sync import state as sync_state
from ..sync.fleet.scheduler import FleetScheduler
from ..sync.retry import RetryPolicy
from ..sync.side_by_side import SideBySide
from ..sync.store import FILE_NAME
from .config import Taxpayer, load_config
from .durations import parse_duration, parse_size
from .exit_codes import Interrupted, describe, exit_code_of
from .options import Settings, sat_client, sat_options
from .output import plural
from .progress import Reporter
from .redact import SecretFilter, verbose_logging

COMPLETE, PENDING, FAILED = 0, 11, 12
SAT_FAILING, UNREACHABLE, LOCAL = 6, 7, 10
_KINDS = {"metadata": TipoSolicitud.METADATA, "cfdi": TipoSolicitud.CFDI}

#: What each exit code of ``sync`` means (``--help`` and the README show this table).
SYNC_EXIT_CODES = (
    (0, "complete: everything asked for is on disk, checked"),
    (2, "usage: bad options or --config file (nothing was sent)"),
    (3, "the e.firma cannot be used (wrong password, expired, a CSD)"),
    (4, "invalid period (end before start, in the future, older than six years)"),
    (6, "SAT answered every call with an error (HTTP 5xx, faults): retried later, nothing lost"),
    (7, "SAT could not be reached (network, DNS, TLS): nothing was sent, nothing spent"),
    (10, "local: --out unwritable or below --min-free, disk full (no download is spent)"),
    (11, "not done yet: SAT is still preparing, or parts wait for a retry; run it again later"),
    (12, "some parts failed for good (see the 'failed:' lines and 'next:')"),
    (13, "--out holds the state of another RFC or service: use another --out"),
    (14, "--out is in use by another sync (its pid, host and start are shown)"),
    (15, "the state is missing, empty or damaged beside packages: sat-zeep state rebuild"),
    (130, "interrupted (Ctrl-C): run the same command again to resume"),
)

_EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in SYNC_EXIT_CODES)
_RESUME = (
    "interrupted; run the same command again to resume (what was done is kept, "
    "nothing is asked for twice)"
)
#: Taxpayers stepped at once (each step: its SAT calls, one after another).
MAX_STEPPING = 16
#: The scheduler never stops a run: each taxpayer's engine stops at its own --max-wait.
_FOREVER = timedelta(days=3650)
#: Options that name one taxpayer's files: refused beside ``--config``, which names them.
_PER_TAXPAYER = ("out", "cer", "key", "efirma", "password_file")


def mexico_today() -> date:
    """Today in Mexico City, as SAT counts days."""
    return datetime.now(MEXICO_TIME).date()


def check_period(start: date, end: date, today: date) -> None:
    """``RequestValidationError`` (exit 4) for a period SAT would refuse; before anything runs."""
    problems = []
    if end < start:
        problems.append(f"the period ends ({end}) before it starts ({start}): swap them")
    if start > today:
        problems.append(f"--start {start} is in the future (today is {today} in Mexico City)")
    earliest = earliest_start(today).date()
    if start < earliest:
        problems.append(
            f"--start {start} is older than SAT serves: start on or after {earliest} "
            f"({YEARS_AVAILABLE} years before today)"
        )
    if problems:
        raise RequestValidationError("sync", problems)


@dataclass
class _Run:
    """One taxpayer of the command: its job and folder, and what its run holds open."""

    name: str
    settings: Settings
    job: SyncJob
    output: Path
    options: dict[str, Any]
    secrets: SecretFilter
    #: Log lines instead of progress bars (many taxpayers share the terminal).
    plain: bool = False
    stack: ExitStack = field(default_factory=ExitStack)
    reporter: Reporter | None = None
    feeder: CatalogFeeder | None = None

    @property
    def label(self) -> str:
        return f"[{self.name}] " if self.name else ""

    def open(self) -> SyncEngine:
        """The taxpayer's client (its e.firma, token) and engine (its folder's lock and state)."""
        client = self.stack.enter_context(sat_client(self.settings, self.secrets))
        bound_calls(client.transport, self.options["max_wait"])  # a trickling SAT cannot hold it
        reporter = Reporter(as_json=self.settings.json, label=self.label, force_plain=self.plain)
        self.reporter = self.stack.enter_context(reporter)
        output = self.output
        if self.options.get("catalog", True):
            # Each package is indexed as it lands; ``_index`` then adds what earlier runs left.
            self.feeder = CatalogFeeder(lambda: Catalog.for_folder(output), reporter)
        engine_options = {name: value for name, value in self.options.items() if name != "catalog"}
        return SyncEngine(client, output, on_event=self.feeder or reporter, **engine_options)

    def finish(self, engine: SyncEngine | None, error: BaseException | None) -> SyncSummary:
        """Close the run; its summary shown, or the error that stopped it raised."""
        try:
            try:
                try:
                    if error is not None:
                        raise error
                    assert engine is not None  # an engine that never opened left an error
                    summary = engine.end()
                finally:
                    if engine is not None:
                        engine.close()
            finally:
                fed = self.feeder.close() if self.feeder is not None else None
        except sqlite3.Error as failure:  # the state's disk failed under a running sync
            raise sync_state.failure(failure, self.output / FILE_NAME) from None
        finally:
            self.feeder = None
        reporter = self.reporter
        assert reporter is not None
        if self.options.get("catalog", True) and summary.packages.get("downloaded"):
            _index(self.output, reporter, self.label, fed)
        self.stack.close()  # the token saved, the connections closed
        report(summary, self.output, reporter, self.label)
        return summary


def run_side_by_side(runs: list[_Run], downloads: int) -> list[SyncSummary | BaseException]:
    """Every taxpayer's sync at once on the fleet's scheduler; each one's summary or error.

    A taxpayer waiting for SAT holds no thread; the downloads of all share ``downloads``
    threads. The summaries are shown in the order of ``runs``, once all are over.
    """
    keys = {str(number): run for number, run in enumerate(runs)}
    side = SideBySide({key: (run.open, run.job) for key, run in keys.items()}, downloads)
    try:
        FleetScheduler(side, concurrency=min(len(runs), MAX_STEPPING)).run(max_wait=_FOREVER)
    except BaseException:
        side.close()  # no step runs any more, so no download either
        for key, run in keys.items():  # interrupted: free every folder, keep every token
            with contextlib.suppress(Exception):
                engine = side.engines.get(key)
                if engine is not None:
                    engine.close()
                if run.feeder is not None:
                    run.feeder.close()
            with contextlib.suppress(Exception):
                run.stack.close()
        raise
    results: list[SyncSummary | BaseException] = []
    for key, run in keys.items():
        try:
            results.append(run.finish(side.engines.get(key), side.errors.get(key)))
        except (SatError, OSError) as error:
            run.stack.close()
            results.append(error)
    return results


def _index(output: Path, reporter: Reporter, label: str, fed: IndexResult | None = None) -> None:
    """Add the packages the sync filed to the folder's catalog (``sat-zeep catalog report``).

    ``fed``: what was indexed as the packages landed. The packages are safe on disk whatever
    happens here: a catalog that cannot be written is a warning, and ``sat-zeep catalog
    update`` indexes them later.
    """
    try:
        with Catalog.for_folder(output) as catalog:
            result = catalog.update(output)
    except (SatError, OSError) as error:
        reporter.echo(
            f"{label}warning: the catalog was not updated ({error}); "
            f"run 'sat-zeep catalog update --out {output}'"
        )
        return
    indexed = len(result.indexed) + (len(fed.indexed) if fed is not None else 0)
    if indexed:
        reporter.echo(f"{label}catalog: {plural(indexed, 'package')} indexed")


def report(summary: SyncSummary, output: Path, reporter: Reporter, label: str = "") -> None:
    """The final summary: counts, failures and what to run next."""
    reporter.record({"event": "summary", "output": str(output), **summary.as_json()})
    documents = ", ".join(f"{count} {kind}" for kind, count in summary.documents.items()) or "0"
    reporter.echo(f"{label}output: {output}")
    reporter.echo(f"{label}requests: {_counts(summary.requests)}")
    reporter.echo(f"{label}packages: {_counts(summary.packages)}")
    reporter.echo(f"{label}documents: {documents}; {summary.bytes_downloaded / 1e6:.1f} MB")
    for again in summary.asked_again:
        reporter.echo(f"{label}asked again: {again}")
    for failure in summary.failures:
        reporter.echo(f"{label}failed: {failure}")
    reporter.echo(f"{label}next: {summary.next_step()}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {key}" for key, value in sorted(counts.items())) or "none"


def exit_code(summaries: list[SyncSummary]) -> int:
    """The code of the worst way a summary ended (see ``SYNC_EXIT_CODES``)."""
    if any(summary.blocked for summary in summaries):
        return LOCAL
    if any(summary.outage == "unreachable" for summary in summaries):
        return UNREACHABLE
    if any(summary.outage == "failing" for summary in summaries):
        return SAT_FAILING
    if any(summary.failures for summary in summaries):
        return FAILED
    return COMPLETE if all(summary.complete for summary in summaries) else PENDING


@dataclass(frozen=True)
class _Outcome:
    """How one taxpayer's run ended: a summary, or an error before or during it."""

    summary: SyncSummary | None = None
    code: int = 0


def overall_code(outcomes: list[_Outcome]) -> int:
    """The command's code: the first taxpayer's error, else what the summaries say."""
    errors = [outcome.code for outcome in outcomes if outcome.summary is None]
    if errors:
        return errors[0]
    return exit_code([outcome.summary for outcome in outcomes if outcome.summary is not None])


@click.command(epilog=_EPILOG)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="First day (YYYY-MM-DD); required unless --config.",
)
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Last day (default: today in Mexico City; a later end stops at today).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Output folder; required unless --config.",
)
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
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Parallel downloads (at least 1).",
)
@click.option(
    "--max-wait",
    default="30m",
    show_default=True,
    help="Stop waiting for SAT after; also bounds each call and download (at least 10m).",
)
@click.option("--poll", default="30s", show_default=True, help="First wait between checks.")
@click.option(
    "--retry-wait",
    default="2s",
    show_default=True,
    help="First wait after a transient failure (doubling, with jitter, up to 5m).",
)
@click.option(
    "--min-free",
    default="512M",
    show_default=True,
    help="Free space to keep in --out: below it no download is started (e.g. 2G, 0).",
)
@click.option("--rerequest-expired", is_flag=True, help="Ask again for expired packages.")
@click.option(
    "--no-catalog",
    is_flag=True,
    help="Do not index the downloaded packages in the folder's document catalog.",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file listing several taxpayers (see the README); it names each one's "
    "e.firma and folder, so --out, --cer, --key, --efirma and --password-file are refused "
    "beside it, while --start and --end apply to every taxpayer.",
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
    retry_wait: str,
    min_free: str,
    rerequest_expired: bool,
    no_catalog: bool,
    config: Path | None,
) -> None:
    """Download every document of the period into --out, and resume where a run stopped."""
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "max_wait": parse_duration(max_wait),
        "poll": PollPolicy(initial=parse_duration(poll)),
        "retry": RetryPolicy(initial=parse_duration(retry_wait)),
        "min_free": parse_size(min_free),
        "catalog": not no_catalog,
    }
    first, last = _day(start), _day(end)
    if config is None:
        if first is None or out is None:
            raise click.UsageError("--start and --out are needed (or a --config listing them)")
        taxpayers = [Taxpayer(name="", settings=settings, output=out, start=first, end=last)]
    else:
        taxpayers = _from_config(config, settings, first, last, out)
    today = mexico_today()

    def job_for(taxpayer: Taxpayer) -> SyncJob:
        if taxpayer.start is None or taxpayer.output is None:
            raise click.UsageError(
                f"taxpayer {taxpayer.name!r} needs a start and an out ([defaults] or its own)"
            )
        end_day = taxpayer.end or today
        check_period(taxpayer.start, end_day, today)
        return SyncJob(
            taxpayer.start,
            end_day,
            directions=directions or ("emitidos", "recibidos"),
            kinds=tuple(_KINDS[kind] for kind in kinds) or tuple(_KINDS.values()),
            service=taxpayer.settings.service or ServiceType.CFDI,
            rerequest_expired=rerequest_expired,
        )

    try:
        code = _run_all(settings, taxpayers, job_for, options, single=config is None)
    except KeyboardInterrupt:
        raise Interrupted(_RESUME) from None
    if code:
        raise click.exceptions.Exit(code)


def _run_all(
    settings: Settings,
    taxpayers: list[Taxpayer],
    job_for: Callable[[Taxpayer], SyncJob],
    options: dict[str, Any],
    single: bool,
) -> int:
    """Run every taxpayer side by side; the command's exit code.

    ``single`` (no ``--config``): an error is the command's own, raised as it is. With
    ``--config`` each taxpayer's error is reported under its name, and the others go on.
    """
    outcomes: dict[int, _Outcome] = {}
    runs: dict[int, _Run] = {}
    with verbose_logging(settings.verbose) as secrets:
        for number, taxpayer in enumerate(taxpayers):
            try:
                job = job_for(taxpayer)
            except (SatError, click.UsageError) as error:
                if single:
                    raise
                outcomes[number] = _failed(taxpayer, error)
                continue
            assert taxpayer.output is not None  # job_for checked it
            runs[number] = _Run(
                taxpayer.name,
                taxpayer.settings,
                job,
                taxpayer.output,
                options,
                secrets,
                plain=not single,
            )
        results = run_side_by_side(list(runs.values()), options["concurrency"]) if runs else []
    for (number, _), result in zip(runs.items(), results, strict=True):
        if isinstance(result, BaseException):
            if single:
                raise result
            outcomes[number] = _failed(taxpayers[number], result)
        else:
            outcomes[number] = _Outcome(result)
    return overall_code([outcomes[number] for number in sorted(outcomes)])


def _failed(taxpayer: Taxpayer, error: BaseException) -> _Outcome:
    """One taxpayer of a ``--config`` that failed: its error reported under its name."""
    label = f"[{taxpayer.name}] "
    if isinstance(error, click.UsageError):
        code, message = 2, " ".join(error.format_message().split())
    else:
        code, message = exit_code_of(error), describe(error)
    if taxpayer.settings.json:
        record = {"event": "error", "taxpayer": taxpayer.name, "error": message}
        click.echo(json.dumps({**record, "exit_code": code}, ensure_ascii=False))
    else:
        click.echo(f"{label}error: {message}", err=True)
    return _Outcome(None, code)


def _from_config(
    config: Path, settings: Settings, first: date | None, last: date | None, out: Path | None
) -> list[Taxpayer]:
    """The config's taxpayers; per-taxpayer options refused, --start/--end applied (and said)."""
    for name in _PER_TAXPAYER:
        value = out if name == "out" else getattr(settings, name)
        if value is not None:
            option = "--" + name.replace("_", "-")
            raise click.UsageError(
                f"{option} cannot be used with --config: {config} names each taxpayer's "
                f"{'folder (out)' if name == 'out' else 'e.firma'}; set it there"
            )
    taxpayers = load_config(config, settings)
    if first is not None:
        taxpayers = [replace(taxpayer, start=first) for taxpayer in taxpayers]
    if last is not None:
        taxpayers = [replace(taxpayer, end=last) for taxpayer in taxpayers]
    for option, value in (("start", first), ("end", last)):
        if value is None:
            continue
        note = f"--{option} {value} applies to every taxpayer of {config} (over the file's)"
        if settings.json:
            click.echo(json.dumps({"event": "note", "note": note}, ensure_ascii=False))
        else:
            click.echo(f"note: {note}", err=True)
    return taxpayers


def _day(value: Any) -> date | None:
    return None if value is None else value.date()


__all__ = ["SYNC_EXIT_CODES", "check_period", "sync"]
