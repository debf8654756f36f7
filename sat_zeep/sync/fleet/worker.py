"""The fleet's workers: procrastinate's, on the same PostgreSQL as the store.

Each step of a taxpayer is a job ``fleet:step(rfc=…)`` with ``lock=RFC`` (one job per RFC runs at
a time) and ``queueing_lock=RFC`` (one waiting job per RFC). A step does what is due (plan once a
day, submit, check, download) and defers the next one to when the taxpayer is next due, so a
taxpayer waiting days for SAT is one row in ``procrastinate_jobs`` and holds no worker::

    fleet:step(rfc)  ──run──▶  TaxpayerStep (fenced)  ──▶  defer fleet:step(rfc) at next_due

``fleet:daily`` (periodic) makes sure every taxpayer has a waiting job, so new periods are
planned each day. ``fleet:retry_stalled`` (periodic, every few seconds) hands the jobs of workers
whose heartbeat stopped (killed, paused, cut off) to the others. procrastinate runs a job at least
once; the store's guards and the fence make a second run harmless, and a step still running on a
worker given up for dead stops at its next write, having sent nothing more.
"""

from __future__ import annotations

import logging
from datetime import datetime

import procrastinate
import psycopg
from asgiref.sync import sync_to_async
from procrastinate import exceptions as procrastinate_errors
from procrastinate.job_context import JobContext

from .runtime import FleetRuntime
from .store import FleetStore

__all__ = [
    "HEARTBEAT_SECONDS",
    "STALLED_AFTER_SECONDS",
    "apply_queue_schema",
    "defer_step",
    "enqueue_all",
    "make_app",
    "run_worker",
]

logger = logging.getLogger("sat_zeep.fleet")

#: A worker updates its heartbeat this often; one silent for ``STALLED_AFTER_SECONDS`` is dead.
HEARTBEAT_SECONDS = 2.0
STALLED_AFTER_SECONDS = 10.0
#: The one runtime of this worker process (set by ``run_worker``).
_RUNTIME: dict[str, FleetRuntime] = {}
_APPS: dict[str, procrastinate.App] = {}

STEP_TASK = "fleet:step"


def step(context: JobContext, rfc: str) -> None:
    """One step of one taxpayer, then the next one deferred to when it is due."""
    runtime = _RUNTIME["runtime"]
    outcome = runtime.step(rfc)
    if outcome.error:
        logger.warning("%s: %s", rfc, outcome.error)
    if outcome.next_due is not None:
        defer_step(context.app, rfc, outcome.next_due)


def daily(context: JobContext, timestamp: int) -> None:
    """Every taxpayer gets a waiting step (which plans the day's new periods)."""
    del timestamp
    runtime = _RUNTIME["runtime"]
    for taxpayer in runtime.store().taxpayers():
        defer_step(context.app, taxpayer.rfc, runtime.clock())


async def retry_stalled(context: JobContext, timestamp: int) -> None:
    """Give the jobs of workers whose heartbeat stopped to the living ones; re-defer orphans."""
    del timestamp
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    for job in stalled:
        logger.warning("job %s (%s) of a stalled worker: retried", job.id, job.task_kwargs)
        await manager.retry_job(job)
    runtime = _RUNTIME["runtime"]
    orphans = await sync_to_async(lambda: runtime.store().db.all("orphans"))()
    for row in orphans:
        logger.warning("%s had no job: deferred again", row["rfc"])
        await sync_to_async(defer_step)(context.app, row["rfc"], runtime.clock())


def defer_step(app: procrastinate.App, rfc: str, when: datetime) -> bool:
    """Defer ``fleet:step(rfc)`` at ``when``; False when the RFC already has a waiting job."""
    task = app.tasks[STEP_TASK]
    try:
        task.configure(lock=rfc, queueing_lock=rfc, schedule_at=when).defer(rfc=rfc)
    except procrastinate_errors.AlreadyEnqueued:
        return False
    return True


def make_app(url: str) -> procrastinate.App:
    """The procrastinate app on ``url`` with the fleet's tasks (named ``fleet:*``).

    One per URL and process (deferring needs the app that registered the task).
    """
    app = _APPS.get(url)
    if app is None:
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
        app.task(name=STEP_TASK, pass_context=True)(step)
        app.periodic(cron="0 6 * * *", periodic_id="daily")(
            app.task(name="fleet:daily", queueing_lock="fleet:daily", pass_context=True)(daily)
        )
        app.periodic(cron="* * * * * */5", periodic_id="retry_stalled")(
            app.task(
                name="fleet:retry_stalled", queueing_lock="fleet:retry_stalled", pass_context=True
            )(retry_stalled)
        )
        _APPS[url] = app
    return app


def apply_queue_schema(url: str) -> bool:
    """procrastinate's own tables, applied once; False when they were there already.

    Two processes starting together: the second waits on an advisory lock, then finds them.
    """
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(hashtext('sat_zeep procrastinate schema'))")
        present = connection.execute(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
        ).fetchone()
        if present and present[0]:
            return False
        app = make_app(url)
        with app.open():
            app.schema_manager.apply_schema()
    return True


def enqueue_all(app: procrastinate.App, store: FleetStore, when: datetime) -> int:
    """A waiting step for every taxpayer that has none; how many were deferred."""
    with app.open():
        return sum(defer_step(app, t.rfc, when) for t in store.taxpayers())


def run_worker(runtime: FleetRuntime, url: str, concurrency: int = 8) -> None:
    """Run a procrastinate worker with the fleet's tasks until SIGTERM or SIGINT."""
    _RUNTIME["runtime"] = runtime
    app = make_app(url)
    try:
        app.run_worker(
            concurrency=concurrency,
            name=runtime.worker,
            update_heartbeat_interval=HEARTBEAT_SECONDS,
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
            fetch_job_polling_interval=1.0,
            delete_jobs="successful",
        )
    finally:
        runtime.close()
