"""Requests per second of the fake SAT's VerificaSolicitudDescarga with 8 concurrent clients.

    .venv/bin/python benchmarks/fake_sat_verify_rps.py [--seconds 10] [--threads 8]
                                                       [--modes separate,replay,inprocess]
                                                       [--prefill 100000]

``--prefill N`` first writes N accepted requests (other RFCs, distinct periods) into the
server's ledger, so the figures are those of a server that has seen a fleet's traffic.

One e.firma; each worker thread has its own ``SatClient`` (own HTTP session) and authenticates
once before the clock starts; one small Metadata request is made and driven to Terminada, then
every worker calls ``verifica_solicitud_descarga`` on it in a loop for ``--seconds``.

Modes (each prints its own figures):

* ``separate`` (the headline): the server is ``sat-zeep fake-sat serve`` in its own process, so
  the client's GIL does not slow it; the server's CPU is read from /proc.
* ``replay``: the same server process, but the workers replay one signed request captured with
  ``MockTransport`` through plain ``requests`` sessions: no zeep, no RSA signature per call on
  the client side, so this is closer to what the server alone can do.
* ``inprocess``: ``FakeSat`` in this process, sharing the GIL with the clients.

Client and server share the machine's cores, so every figure is a lower bound of the server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests
from _common import (
    ROOT,
    ServerProcess,
    cpu_seconds,
    machine_note,
    percentile,
    say,
    start_server,
)

from sat_zeep.client.codes import EstadoComprobante, TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.soap.transport import default_transport
from sat_zeep.testing.fake_sat import responses
from sat_zeep.testing.fake_sat.app import Clock
from sat_zeep.testing.fake_sat.ledger import Ledger
from sat_zeep.testing.fake_sat.ledger_store import FILE_NAME
from sat_zeep.testing.fake_sat.server import FakeSat, load_or_create_ca
from sat_zeep.testing.fake_sat.universe import Query, Universe
from sat_zeep.testing.mock_transport import MockTransport, SoapRequest, SoapResponse

RFC = "AAA010101AAA"
#: A small period (one day of the synthetic universe), so the request finishes at once.
START, END = datetime(2026, 10, 1, 0, 0, 0), datetime(2026, 10, 1, 23, 59, 59)

Call = Callable[[], bool]


@dataclass
class WorkerResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None


@dataclass
class Run:
    mode: str
    seconds: float
    workers: list[WorkerResult]
    server_cpu: float | None  # seconds of CPU the server process used during the run
    client_cpu: float  # seconds of CPU this process used during the run
    note: str

    def report(self) -> None:
        calls = [len(w.latencies) for w in self.workers]
        total = sum(calls)
        latencies = [value for w in self.workers for value in w.latencies]
        errors = sum(w.errors for w in self.workers)
        per_thread = [count / self.seconds for count in calls]
        say(f"-- mode {self.mode}: {self.note}")
        say(f"   threads {len(self.workers)}, {self.seconds:.1f} s, {total} ok calls")
        say(f"   requests/s total      {total / self.seconds:8.1f}")
        say(
            "   requests/s per thread "
            f"mean {sum(per_thread) / len(per_thread):.1f}, "
            f"min {min(per_thread):.1f}, max {max(per_thread):.1f}"
        )
        say(
            f"   latency ms            p50 {percentile(latencies, 0.50) * 1000:.1f}, "
            f"p95 {percentile(latencies, 0.95) * 1000:.1f}, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f}, "
            f"max {max(latencies, default=0) * 1000:.1f}"
        )
        say(f"   errors                {errors}")
        for worker in self.workers:
            if worker.first_error:
                say(f"   first error: {worker.first_error}")
                break
        if self.server_cpu is not None:
            say(
                f"   server CPU            {self.server_cpu:.1f} s "
                f"= {100 * self.server_cpu / self.seconds:.0f}% of one core "
                f"({1000 * self.server_cpu / max(total, 1):.2f} ms per call)"
            )
        say(
            f"   client CPU            {self.client_cpu:.1f} s "
            f"= {100 * self.client_cpu / self.seconds:.0f}% of one core"
            + (" (includes the in-process server)" if self.server_cpu is None else "")
        )


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def hammer(
    mode: str,
    calls: list[Call],
    seconds: float,
    server_pid: int | None,
    note: str,
) -> Run:
    """Run every ``calls[i]`` in its own thread for ``seconds``; a call returns success."""
    results = [WorkerResult() for _ in calls]
    barrier = threading.Barrier(len(calls) + 1)
    stop_at = [0.0]

    def work(call: Call, result: WorkerResult) -> None:
        barrier.wait()
        while True:
            began = time.perf_counter()
            if began >= stop_at[0]:
                return
            try:
                ok = call()
                error = None if ok else "unexpected answer"
            except Exception as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                result.latencies.append(time.perf_counter() - began)
            else:
                result.errors += 1
                result.first_error = result.first_error or error

    threads = [
        threading.Thread(target=work, args=(call, result), daemon=True)
        for call, result in zip(calls, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    server_before = cpu_seconds(server_pid) if server_pid is not None else None
    client_before = own_cpu()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    server_cpu = (
        cpu_seconds(server_pid) - server_before
        if server_pid is not None and server_before is not None
        else None
    )
    return Run(mode, elapsed, results, server_cpu, own_cpu() - client_before, note)


def prepare_request(client: SatClient) -> str:
    """A small Metadata request driven to Terminada; returns its IdSolicitud."""
    accepted = client.solicita_descarga_emitidos(
        START, END, TipoSolicitud.METADATA, estado_comprobante=EstadoComprobante.TODOS
    ).raise_for_status()
    id_solicitud = accepted.id_solicitud or ""
    for _ in range(10):
        if client.verifica_solicitud_descarga(id_solicitud).raise_for_status().is_finished:
            return id_solicitud
    raise RuntimeError("the request never finished")


def zeep_calls(fiel: Fiel, endpoints: Endpoints, threads: int) -> tuple[list[Call], str]:
    """One SatClient per thread, each authenticated once; the request made by the first."""
    clients = [SatClient(fiel, endpoints, transport=default_transport()) for _ in range(threads)]
    for client in clients:
        client.autentica()
    id_solicitud = prepare_request(clients[0])

    def make(client: SatClient) -> Call:
        def call() -> bool:
            return client.verifica_solicitud_descarga(id_solicitud).codigo_estado_solicitud == 5000

        return call

    return [make(client) for client in clients], id_solicitud


def replay_calls(fiel: Fiel, endpoints: Endpoints, threads: int) -> list[Call]:
    """One signed Verifica request captured once, replayed by plain requests sessions."""
    with SatClient(fiel, endpoints, transport=default_transport()) as real:
        token = real.autentica()
        id_solicitud = prepare_request(real)

    def canned(_request: SoapRequest) -> SoapResponse:
        answer = responses.verifica(
            code=5000, message="Solicitud Aceptada", estado=3, codigo_estado=5000, numero_cfdis=1
        )
        return SoapResponse(200, answer)

    recorder = MockTransport(canned)
    capture = SatClient(fiel, endpoints, transport=recorder)
    capture.token = token
    capture.verifica_solicitud_descarga(id_solicitud)
    (request,) = recorder.requests

    def make() -> Call:
        session = requests.Session()

        def call() -> bool:
            answer = session.post(request.url, data=request.body, headers=request.headers)
            return answer.status_code == 200 and b'CodigoEstadoSolicitud="5000"' in answer.content

        return call

    return [make() for _ in range(threads)]


def prefill(state: Path, count: int) -> None:
    """``count`` accepted Metadata requests of 100 other RFCs in the ledger of ``state``."""
    if count <= 0:
        return
    began = time.perf_counter()
    clock = Clock()
    ledger = Ledger(Universe(), state / "packages", clock)
    with ledger.batch():
        for index in range(count):
            start = datetime(2026, 1, 1) + timedelta(seconds=index)
            query = Query(
                "cfdi",
                "emitidos",
                f"AAA0101{index % 100:02d}AAA"[:12],
                start,
                start + timedelta(days=1),
            )
            ledger.submit(
                rfc_solicitante=query.rfc,
                serial_number=1,
                query=query,
                tipo_solicitud="Metadata",
            )
    ledger.store.close()
    size = (state / "packages" / FILE_NAME).stat().st_size
    say(
        f"prefilled the ledger with {count} requests in {time.perf_counter() - began:.1f} s "
        f"({size / 2**20:.1f} MiB)"
    )


def run_separate(
    work_dir: Path, threads: int, seconds: float, replay: bool, separate: bool, filled: int = 0
) -> list[Run]:
    state = work_dir / "state-separate"
    state.mkdir()
    prefill(state, filled)
    fiel = load_or_create_ca(state).issue_fiel(RFC).fiel()
    executable = Path(sys.executable).with_name("sat-zeep")
    command = [str(executable), "fake-sat", "serve", "--port", "0", "--state-dir", str(state)]
    server: ServerProcess = start_server(command, work_dir / "server-separate.log")
    runs: list[Run] = []
    try:
        endpoints = Endpoints.from_base_url(server.base_url, "cfdi")
        if separate:
            calls, _ = zeep_calls(fiel, endpoints, threads)
            runs.append(
                hammer(
                    "separate",
                    calls,
                    seconds,
                    server.pid,
                    "`sat-zeep fake-sat serve` in its own process, SatClient (zeep) workers",
                )
            )
        if replay:
            runs.append(
                hammer(
                    "replay",
                    replay_calls(fiel, endpoints, threads),
                    seconds,
                    server.pid,
                    "same server process, one captured signed request replayed by `requests`",
                )
            )
    finally:
        server.stop()
    return runs


def run_inprocess(work_dir: Path, threads: int, seconds: float) -> Run:
    state = work_dir / "state-inprocess"
    state.mkdir()
    with FakeSat(state) as sat:
        fiel = sat.issue_fiel(RFC).fiel()
        calls, _ = zeep_calls(fiel, sat.endpoints(), threads)
        return hammer(
            "inprocess",
            calls,
            seconds,
            None,
            "FakeSat in this process (shares the GIL with the clients)",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client threads")
    parser.add_argument(
        "--modes",
        default="separate,replay,inprocess",
        help="comma-separated: separate (headline), replay, inprocess",
    )
    parser.add_argument(
        "--prefill", type=int, default=0, help="requests written into the ledger first"
    )
    options = parser.parse_args()
    modes = {mode.strip() for mode in options.modes.split(",") if mode.strip()}
    unknown = modes - {"separate", "replay", "inprocess"}
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")

    say("== fake SAT: VerificaSolicitudDescarga requests per second")
    say(machine_note())
    say(
        "note: the clients and the server share this machine's cores; the client side (zeep, "
        "an RSA signature per call) competes with the server for CPU, so these figures are "
        "lower bounds of what the server alone can do."
    )
    work_dir = Path(tempfile.mkdtemp(prefix="bench-verify-rps-"))
    runs: list[Run] = []
    try:
        if {"separate", "replay"} & modes:
            runs += run_separate(
                work_dir,
                options.threads,
                options.seconds,
                replay="replay" in modes,
                separate="separate" in modes,
                filled=options.prefill,
            )
        if "inprocess" in modes:
            runs.append(run_inprocess(work_dir, options.threads, options.seconds))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    for run in runs:
        run.report()
    headline = next((run for run in runs if run.mode == "separate"), runs[0] if runs else None)
    if headline is not None:
        total = sum(len(w.latencies) for w in headline.workers) / headline.seconds
        say(f"HEADLINE verify rps ({headline.mode}, {options.threads} clients): {total:.1f}")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
