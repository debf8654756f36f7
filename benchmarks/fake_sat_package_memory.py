"""Generate and stream one ~1 GB CFDI package from a fake SAT in its own process; watch its RSS.

    .venv/bin/python benchmarks/fake_sat_package_memory.py [--size-mb 1024] [--padding 262144]

The server runs in a child process (``sat-zeep fake-sat serve`` with ``--padding`` and the
package limits). ``documents_per_day`` is chosen so that one month of
emitted CFDI fills ONE package of about ``--size-mb``: the bytes a document adds to the ZIP are
measured by deflating a sample of real documents with that padding, then the synthetic universe
is asked how many documents the month holds.

Phases, all timed, with the server's RSS sampled every 50 ms from /proc:

1. idle baseline (after start, one authentication and a small finished probe request);
2. generation: the VerificaSolicitudDescarga call that finishes the request writes the ZIP (the
   call lasts as long as the generation); meanwhile a second client keeps verifying the small
   probe request, which shows whether other requests are served while a package is written;
3. download: Descargar replayed with ``requests`` (``stream=True``; chunks are counted and
   dropped), the signed envelope captured from ``SatClient.descargar`` with ``MockTransport``.

Target: the download must not grow the server's RSS by anything like the package (well under
100 MB over its idle baseline).
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import shutil
import statistics
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

import requests
from _common import (
    ROOT,
    RssSampler,
    cpu_seconds,
    fake_sat_command,
    machine_note,
    mib,
    percentile,
    rss_bytes,
    say,
    start_server,
)

from sat_zeep.client.codes import EstadoComprobante, TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.soap.endpoints import Endpoints
from sat_zeep.soap.transport import default_transport
from sat_zeep.testing.fake_sat import responses
from sat_zeep.testing.fake_sat.server import load_or_create_ca
from sat_zeep.testing.fake_sat.universe import Query, Universe
from sat_zeep.testing.mock_transport import MockTransport, SoapRequest, SoapResponse

RFC = "AAA010101AAA"
START, END = datetime(2026, 10, 1, 0, 0, 0), datetime(2026, 10, 31, 23, 59, 59)
#: The probe request: one hour of metadata of another month.
PROBE_START, PROBE_END = datetime(2026, 9, 1, 0, 0, 0), datetime(2026, 9, 1, 0, 59, 59)
#: Local file header (30) + central directory entry (46) + the name twice ("<UUID>.xml").
_ZIP_ENTRY_OVERHEAD = 30 + 46 + 2 * 40


@dataclass
class Plan:
    padding: int
    documents: int
    documents_per_day: float
    expected_zip: int
    per_document: float
    notes: list[str] = field(default_factory=list)


def month_query() -> Query:
    return Query(
        service="cfdi",
        direction="emitidos",
        rfc=RFC,
        start=START,
        end=END,
        estado_comprobante="Todos",
    )


def zip_bytes_per_document(seed: int, padding: int, shape: str = "plain") -> tuple[float, float]:
    """Mean (compressed ZIP bytes, raw XML bytes) of a document with ``padding``."""
    universe = Universe(seed=seed, documents_per_day=50, shape=shape)
    sample = list(islice(universe.documents(month_query()), 400))
    compressed, raw = [], []
    for document in sample:
        xml = document.xml(padding)
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        compressed.append(len(deflate.compress(xml) + deflate.flush()) + _ZIP_ENTRY_OVERHEAD)
        raw.append(len(xml))
    return statistics.fmean(compressed), statistics.fmean(raw)


def plan(size: int, padding: int, seed: int, max_documents: int, shape: str = "plain") -> Plan:
    notes: list[str] = []
    per_document, raw = zip_bytes_per_document(seed, padding, shape)
    if padding and per_document < 0.5 * raw:
        notes.append(
            f"the Addenda padding compresses (a {raw:.0f}-byte document deflates to "
            f"{per_document:.0f} bytes): padding is still compressible, so the package is "
            "filled with more documents and no padding instead (size = the ZIP produced)"
        )
        padding = 0
        per_document, raw = zip_bytes_per_document(seed, padding, shape)
    documents = math.ceil(size / per_document)
    if documents > max_documents:
        notes.append(
            f"{documents} documents would be needed; capped at --max-documents {max_documents}"
        )
        documents = max_documents
    query = month_query()
    documents_per_day = documents / 31
    for _ in range(3):
        counted = Universe(seed=seed, documents_per_day=documents_per_day).count(query)
        documents_per_day *= documents / max(counted, 1)
    counted = Universe(seed=seed, documents_per_day=documents_per_day).count(query)
    return Plan(
        padding, counted, documents_per_day, round(counted * per_document), per_document, notes
    )


@dataclass
class Probe:
    """Verifies a finished request in a loop, recording when each call started and its latency."""

    client: SatClient
    id_solicitud: str
    calls: list[tuple[float, float]] = field(default_factory=list)
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Probe:
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self.client.verifica_solicitud_descarga(self.id_solicitud).raise_for_status()
            except Exception:
                self.errors += 1
            self.calls.append((began, time.monotonic() - began))
            self._stop.wait(0.2)


def capture_descargar(client: SatClient, id_paquete: str) -> SoapRequest:
    """The exact signed Descargar request ``client`` would send (with its current token)."""

    def canned(_request: SoapRequest) -> SoapResponse:
        return SoapResponse(200, responses.descarga_refused(5004, "canned"))

    recorder = MockTransport(canned)
    capture = SatClient(client.fiel, client.endpoints, transport=recorder)
    capture.token = client.token
    capture.descargar(id_paquete)
    (request,) = recorder.requests
    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mb", type=float, default=1024.0, help="package size (MiB)")
    parser.add_argument(
        "--padding", type=int, default=256 * 1024, help="Addenda bytes per XML document"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-documents",
        type=int,
        default=1_000_000,
        help="never ask for more documents than this (when the padding compresses)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()
    size = int(options.size_mb * 2**20)

    say("== fake SAT: one large CFDI package, generation and streamed download")
    say(machine_note())
    say("note: the client and the server share this machine's cores.")
    chosen = plan(size, options.padding, options.seed, options.max_documents)
    for note in chosen.notes:
        say(f"NOTE: {note}")
    say(
        f"plan: {chosen.documents} documents in one month (documents_per_day "
        f"{chosen.documents_per_day:.1f}), padding {chosen.padding} B, about "
        f"{chosen.per_document:.0f} ZIP bytes per document, expected ZIP {mib(chosen.expected_zip)}"
    )

    work_dir = Path(tempfile.mkdtemp(prefix="bench-package-memory-"))
    state = work_dir / "state"
    state.mkdir()
    fiel = load_or_create_ca(state).issue_fiel(RFC).fiel()
    limit = max(chosen.documents, 200_000)
    command = fake_sat_command(
        state,
        seed=options.seed,
        documents_per_day=chosen.documents_per_day,
        padding=chosen.padding,
        max_xml=limit,
    )
    server = start_server(command, work_dir / "server.log")
    sampler = RssSampler(server.pid).start()
    try:
        endpoints = Endpoints.from_base_url(server.base_url, "cfdi")
        client = SatClient(fiel, endpoints, transport=default_transport(read_timeout=3600))
        client.autentica()

        probe_request = client.solicita_descarga_emitidos(
            PROBE_START, PROBE_END, TipoSolicitud.METADATA
        ).raise_for_status()
        probe_id = probe_request.id_solicitud or ""
        # Settled either way: a small package, or Rechazada 5004 when the hour holds nothing.
        while client.verifica_solicitud_descarga(probe_id).is_pending:
            pass
        time.sleep(1.0)
        idle_baseline = rss_bytes(server.pid)
        say(f"server idle RSS (after start, auth, a small request): {mib(idle_baseline)}")

        accepted = client.solicita_descarga_emitidos(
            START, END, TipoSolicitud.CFDI, estado_comprobante=EstadoComprobante.TODOS
        ).raise_for_status()
        id_solicitud = accepted.id_solicitud or ""
        probe_client = SatClient(fiel, endpoints, transport=default_transport())
        probe_client.token = client.token
        probe = Probe(probe_client, probe_id).start()
        cpu_before = cpu_seconds(server.pid)
        generation_start = time.monotonic()
        generation_call = 0.0
        while True:
            began = time.monotonic()
            state_now = client.verifica_solicitud_descarga(id_solicitud).raise_for_status()
            if state_now.is_finished:
                generation_call = time.monotonic() - began
                break
            if not state_now.is_pending:
                raise RuntimeError(f"the request ended {state_now!r}")
        generation_end = time.monotonic()
        generation_cpu = cpu_seconds(server.pid) - cpu_before
        probe.stop()
        (id_paquete,) = state_now.ids_paquetes
        (package_path,) = glob.glob(str(state / "packages" / "*" / f"{id_paquete}.zip"))
        package_size = os.path.getsize(package_path)
        generation_peak = sampler.peak(generation_start, generation_end)
        during = [latency for began, latency in probe.calls if began <= generation_end]
        say(
            f"generation: {state_now.numero_cfdis} documents -> ZIP {mib(package_size)} "
            f"({package_size} B) in {generation_call:.1f} s (the finishing Verifica call; "
            f"{generation_end - generation_start:.1f} s for the whole verify loop), "
            f"server CPU {generation_cpu:.1f} s, "
            f"{package_size / 2**20 / max(generation_call, 1e-9):.1f} MiB/s written"
        )
        say(
            f"generation: server peak RSS {mib(generation_peak)}, "
            f"+{mib(generation_peak - idle_baseline)} over the idle baseline"
        )
        say(
            f"generation: a 2nd client verifying another request made {len(during)} calls "
            f"meanwhile; latency max {max(during, default=0):.2f} s, "
            f"p50 {percentile(during, 0.5) * 1000:.0f} ms, errors {probe.errors}"
        )

        time.sleep(1.0)
        idle_after = rss_bytes(server.pid)
        say(f"server idle RSS after generation: {mib(idle_after)}")

        request = capture_descargar(client, id_paquete)
        head, tail = responses.descarga_frame()
        expected = len(head) + responses.base64_length(package_size) + len(tail)
        cpu_before = cpu_seconds(server.pid)
        download_start = time.monotonic()
        received = 0
        first = b""
        last = b""
        with requests.post(
            request.url,
            data=request.body,
            headers=dict(request.headers),
            stream=True,
            timeout=(15, 120),
        ) as answer:
            answer.raise_for_status()
            announced = int(answer.headers.get("Content-Length", "-1"))
            for chunk in answer.iter_content(chunk_size=1 << 20):
                if len(first) < len(head):
                    first += chunk[: len(head) - len(first)]
                last = (last + chunk)[-len(tail) :]
                received += len(chunk)
        download_end = time.monotonic()
        download_cpu = cpu_seconds(server.pid) - cpu_before
        transfer = download_end - download_start
        download_peak = sampler.peak(download_start, download_end)
        base64_received = received - len(head) - len(tail)
        framing_ok = first == head and last == tail and received == expected == announced
        say(
            f"download: {received} B received ({base64_received} B of base64 for a "
            f"{package_size} B ZIP), Content-Length {announced}, framing "
            f"{'ok' if framing_ok else 'WRONG'}"
        )
        say(
            f"download: {transfer:.1f} s, {received / 2**20 / transfer:.1f} MiB/s on the wire "
            f"({package_size / 2**20 / transfer:.1f} MiB/s of package), "
            f"server CPU {download_cpu:.1f} s"
        )
        say(
            f"download: server peak RSS {mib(download_peak)}, "
            f"+{mib(download_peak - idle_after)} over its idle RSS before the download, "
            f"+{mib(download_peak - idle_baseline)} over the first idle baseline"
        )
        growth = download_peak - idle_after
        verdict = "PASS" if growth < 100 * 2**20 else "FAIL"
        say(f"target: download RSS growth well under 100 MB: {verdict} (+{mib(growth)})")
        overall_peak = max(rss for _, rss in sampler.samples)
        say(
            f"overall: server peak RSS {mib(overall_peak)} "
            f"(+{mib(overall_peak - idle_baseline)} over the idle baseline); "
            f"{len(sampler.samples)} samples at 50 ms"
        )
        for reason in ("server.log",):
            log = (work_dir / reason).read_text()
            if "Traceback" in log or "ERROR" in log:
                say(f"server log has errors:\n{log[-2000:]}")
        client.close()
        probe_client.close()
    finally:
        sampler.stop()
        server.stop()
        if options.keep:
            say(f"kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
