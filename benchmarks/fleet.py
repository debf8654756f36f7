"""Fleet makespan against SAT's delay: N taxpayers in one process and with 4 workers.

    .venv/bin/python benchmarks/fleet.py --taxpayers 1,10,100 --delays 5,20 --rss-taxpayers 1000

For each SAT delay (the fake SAT's ``--seconds-until-ready``) and each number of taxpayers (one
month each, both directions, Metadata and CFDI: four requests per taxpayer), it registers the
taxpayers in a new store and measures the makespan (until every period is finished or empty and
every package downloaded) of:

* ``one process`` — ``FleetScheduler`` (16 threads) on SQLite;
* ``4 workers`` — four ``sat-zeep worker`` processes (concurrency 4 each) on one PostgreSQL.

It prints makespan, its ratio to one taxpayer at the same delay, steps per second (jobs/s for the
workers; a step is one fence taken), SAT calls, and the database round trips per step (statements
plus BEGIN/COMMIT, counted in the one-process mode) and the client's CPU time per SAT call (the
one-process mode; the fake SAT's CPU is its own process's). Then the peak RSS of one process holding
``--rss-taxpayers`` taxpayers (their e.firmas, clients and tokens, each after one step).
The fake SAT runs in its own process; all share the machine's cores.
"""

# ruff: noqa: T201
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, machine_note, start_server
from sat_zeep.client.polling import PollPolicy
from sat_zeep.sync.fleet import FleetStore
from sat_zeep.sync.fleet.runtime import FleetRuntime, sat_endpoints
from sat_zeep.sync.fleet.scheduler import FleetScheduler
from sat_zeep.sync.fleet.steps import StepSettings
from sat_zeep.testing.certificates import TestCertificateAuthority
from sat_zeep.testing.postgres import PostgresServer

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CACHE = Path("/tmp/sat_zeep-bench-cache/fleet-efirmas")


def rfc_for(index: int) -> str:
    letters = "".join(_LETTERS[(index // 26**p) % 26] for p in (2, 1, 0))
    return f"{letters}200101F{_LETTERS[index // 10 % 26]}{index % 10}"


def efirmas(count: int) -> tuple[Path, list[tuple[str, Path, Path, Path]]]:
    """``count`` e.firmas of one CA, cached between runs (1024-bit keys: many are issued)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if (CACHE / "ca.cer").exists():
        ca = TestCertificateAuthority.load(CACHE)
    else:
        ca = TestCertificateAuthority.create("fleet benchmark CA")
        ca.save(CACHE)
    issued = []
    for index in range(count):
        rfc = rfc_for(index)
        cer, key, password = (
            CACHE / f"{rfc}.cer",
            CACHE / f"{rfc}.key",
            CACHE / f"{rfc}-password.txt",
        )
        if not cer.exists():
            cer, key, password = ca.issue_fiel(rfc, key_size=1024).write(CACHE)
        issued.append((rfc, cer, key, password))
    return CACHE, issued


def register(
    target: str, chosen: list[tuple[str, Path, Path, Path]], month: tuple[date, date]
) -> None:
    now = datetime.now(timezone.utc)
    with FleetStore.open(target) as store:
        for rfc, cer, key, password in chosen:
            store.add_taxpayer(
                now,
                rfc=rfc,
                service="cfdi",
                certificate=str(cer),
                private_key=str(key),
                password_env=None,
                password_file=str(password),
                start_date=month[0].isoformat(),
                end_date=month[1].isoformat(),
                since_days=None,
                directions="emitidos,recibidos",
                kinds="Metadata,CFDI",
            )


def last_month() -> tuple[date, date]:
    first = date.today().replace(day=1)
    end = first - timedelta(days=1)
    return end.replace(day=1), end


class Counting:
    """A connector proxy counting round trips (statements, and BEGIN + COMMIT per transaction)."""

    trips = 0

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._db, name)
        if name in ("execute", "execute_many", "one", "all", "iterate", "script"):

            def counted(*args: Any, **kwargs: Any) -> Any:
                Counting.trips += 1
                return attribute(*args, **kwargs)

            return counted
        if name == "transaction":

            def transaction() -> Any:
                Counting.trips += 2
                return attribute()

            return transaction
        return attribute


def one_process(base_url: str, chosen: list[Any], folder: Path, poll: PollPolicy) -> dict[str, Any]:
    target = str(folder / "fleet.sqlite3")
    register(target, chosen, last_month())
    original = FleetStore.open

    def counting_open(target: Any, **options: Any) -> FleetStore:
        store = original(target, **options)
        store.db = Counting(store.db)  # type: ignore[assignment]
        return store

    FleetStore.open = counting_open  # type: ignore[method-assign]
    Counting.trips = 0
    try:
        runtime = FleetRuntime(
            target,
            folder / "out",
            endpoints_for=sat_endpoints(base_url),
            settings=StepSettings(poll=poll),
        )
        began, cpu = time.monotonic(), time.process_time()
        summary = FleetScheduler(runtime, concurrency=16).run(max_wait=timedelta(minutes=30))
        took, cpu = time.monotonic() - began, time.process_time() - cpu
    finally:
        FleetStore.open = original  # type: ignore[method-assign]
    check_done(target, len(chosen))
    return {
        "makespan": took,
        "steps": summary.steps,
        "calls": summary.sat_calls,
        "trips_per_step": Counting.trips / max(1, summary.steps),
        "cpu": cpu,
    }


def four_workers(base_url: str, chosen: list[Any], folder: Path, url: str) -> dict[str, Any]:
    register(url, chosen, last_month())
    command = [sys.executable, "-m", "sat_zeep.cli"]
    subprocess.run([*command, "fleet", "migrate", "--db", url], check=True, capture_output=True)
    from sat_zeep.sync.fleet.worker import enqueue_all, make_app

    workers = [
        subprocess.Popen(
            [
                *command,
                "worker",
                "--db",
                url,
                "--out",
                str(folder / "out"),
                "--base-url",
                base_url,
                "--poll",
                "2s",
                "--concurrency",
                "4",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        for _ in range(4)
    ]
    try:
        import psycopg

        while True:  # the clock starts once the four workers are up
            with psycopg.connect(url) as connection:
                row = connection.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
            if row and row[0] >= 4:
                break
            time.sleep(0.2)
        with FleetStore.open(url) as store:
            enqueue_all(make_app(url), store, datetime.now(timezone.utc))
        began = time.monotonic()
        while not is_done(url, len(chosen)):
            time.sleep(0.5)
        took = time.monotonic() - began
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    with FleetStore.open(url) as store:
        steps = sum(t.fence for t in store.taxpayers())
    return {"makespan": took, "steps": steps, "calls": None, "trips_per_step": None}


def is_done(target: str, count: int) -> bool:
    with FleetStore.open(target, migrate_schema=False) as store:
        rows = store.status()
        return len(rows) == count and all(
            r["periods_open"] == 0
            and r["periods_done"] > 0
            and r["packages"] == r["packages_downloaded"]
            for r in rows
        )


def check_done(target: str, count: int) -> None:
    if not is_done(target, count):
        raise SystemExit(f"the fleet in {target} did not finish")


def peak_rss(base_url: str, count: int, folder: Path) -> None:
    """A child process: one step (plan, authenticate, submit) for each of ``count`` taxpayers."""
    _, issued = efirmas(count)
    target = str(folder / "rss.sqlite3")
    register(target, issued[:count], last_month())
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from sat_zeep.sync.fleet.runtime import FleetRuntime, sat_endpoints\n"
        f"runtime = FleetRuntime({target!r}, Path({str(folder / 'rss-out')!r}), "
        f"endpoints_for=sat_endpoints({base_url!r}))\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'):\n"
        "            return int(line.split()[1])\n"
        "before = rss()\n"
        "for taxpayer in runtime.store().taxpayers():\n"
        "    runtime.step(taxpayer.rfc)\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(before, peak, len(runtime.clients))\n"
    )
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    before, after, clients = (int(x) for x in done.stdout.split())
    print(
        f"\npeak RSS of one process holding {clients} taxpayers (one step each, "
        f"{time.monotonic() - began:.0f} s): {after / 1024:.0f} MiB "
        f"(at start {before / 1024:.0f} MiB; {(after - before) / clients:.0f} KiB per taxpayer)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taxpayers", default="1,10,100")
    parser.add_argument("--delays", default="5,20", help="SAT's seconds per request")
    parser.add_argument("--modes", default="one,workers")
    parser.add_argument("--rss-taxpayers", type=int, default=1000)
    args = parser.parse_args()
    counts = [int(n) for n in args.taxpayers.split(",")]
    delays = [float(d) for d in args.delays.split(",")]
    modes = args.modes.split(",")
    print(machine_note())
    _, issued = efirmas(max(counts))
    postgres = PostgresServer.start_new() if "workers" in modes else None
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="fleet-bench-") as temporary:
            root = Path(temporary)
            for delay in delays:
                state = root / f"sat-{delay}"
                state.mkdir()
                for name in ("ca.cer", "ca.key", "ca.pem"):
                    if (CACHE / name).exists():
                        (state / name).write_bytes((CACHE / name).read_bytes())
                server = start_server(
                    [
                        sys.executable,
                        "-m",
                        "sat_zeep.cli",
                        "fake-sat",
                        "serve",
                        "--state-dir",
                        str(state),
                        "--seconds-until-ready",
                        str(delay),
                        "--documents-per-day",
                        "2",
                        "--threads",
                        "32",
                    ],
                    root / f"sat-{delay}.log",
                )
                try:
                    poll = PollPolicy(initial=timedelta(seconds=2), factor=1.0, jitter=0.0)
                    for mode in modes:
                        for count in counts:
                            folder = root / f"{mode}-{delay}-{count}"
                            folder.mkdir()
                            chosen = issued[:count]
                            if mode == "one":
                                result = one_process(server.base_url, chosen, folder, poll)
                            else:
                                assert postgres is not None
                                url = fresh_database(postgres, f"bench_{int(delay)}_{count}")
                                result = four_workers(server.base_url, chosen, folder, url)
                            rows.append((mode, delay, count, result))
                            report(rows[-1], rows)
                    if delay == delays[-1] and args.rss_taxpayers:
                        peak_rss(server.base_url, args.rss_taxpayers, root)
                finally:
                    server.stop()
    finally:
        if postgres is not None:
            postgres.remove()


def fresh_database(postgres: PostgresServer, name: str) -> str:
    import psycopg

    with psycopg.connect(postgres.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return postgres.url.replace("/sat_zeep?", f"/{name}?")


def report(row: tuple[str, float, int, dict[str, Any]], rows: list[Any]) -> None:
    mode, delay, count, result = row
    base = next((r[3]["makespan"] for r in rows if r[:2] == (mode, delay) and r[2] == 1), None)
    ratio = f"{result['makespan'] / base:.2f}x one taxpayer" if base else "-"
    label = "one process (SQLite, 16 threads)" if mode == "one" else "4 workers (PostgreSQL)"
    trips = result["trips_per_step"]
    print(
        f"{label:34} SAT {delay:>4.0f} s/request  {count:>5} taxpayers: makespan "
        f"{result['makespan']:7.1f} s ({ratio}), {result['steps']} steps = "
        f"{result['steps'] / result['makespan']:.1f} steps/s"
        + (f", {result['calls']} SAT calls, {trips:.1f} DB round trips/step" if trips else "")
        + (
            f", client CPU {result['cpu']:.1f} s = {1000 * result['cpu'] / result['calls']:.1f} ms"
            "/SAT call"
            if "cpu" in result
            else ""
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
