"""Download throughput and peak RSS of Descargar: streamed to a file vs whole answer in memory.

    .venv/bin/python benchmarks/download_throughput.py [--sizes 10,100] [--shape real|plain]
                                                       [--padding 0]     # --sizes 10,100,1024

Documents are real-shaped by default (``--shape real``: CFDI 3.3/4.0 of ~8 KB, deflated to about
half, see ``sat_zeep.testing.fake_sat.documents_real``); ``--padding`` adds an Addenda of that many
incompressible bytes to size packages with fewer, larger documents (the old default, 262144).

For each size (MiB of ZIP), a fake SAT runs in its own process (``sat-zeep fake-sat serve``) with
``documents_per_day`` chosen, as ``fake_sat_package_memory.py`` does, so that one month of
emitted CFDI is ONE package of about that size. A package may be downloaded only twice (the fake
SAT enforces it), so two requests are made for the same month, the second starting one second
later (and a third, two seconds later): packages A, B and C (same documents, within a few).

Each approach runs in its own child process, so its peak RSS is its own: the child
authenticates and prepares everything, records its RSS, resets its high-water mark
(``/proc/self/clear_refs``), downloads, then reports VmHWM − that RSS ("peak growth").

* ``stream`` (package A): ``SatClient.descargar(id, destino=path)`` — sat_zeep's streamed path;
* ``zeep-memory`` (package A): ``SatClient.descargar(id)`` — zeep parses the whole envelope and
  the package is base64-decoded in memory (what a zeep client without streaming does);
* ``raw-memory`` (package B): the signed envelope (captured from ``SatClient``) posted with
  ``requests.post(...).content`` → ``lxml.etree.fromstring(huge_tree)`` → ``Paquete.text`` →
  ``base64.b64decode``: what satcfdi (``SAT.recover_comprobante_download``) and cfdiclient
  (``DescargaMasiva.descargar_paquete``) do, minus their own signing code;
* ``cfdiclient`` (package B) / ``satcfdi`` (package C, a third request), ``--peers``: the peer's
  own download function pointed at the fake SAT, run with the peers venv's Python
  (``_peer_download.py``); the peer returns the base64 text, decoded as its docs tell users to;
* ``stream-floor`` (package C, with ``--floor``, which then keeps one peer): a minimal
  hand-written streamed download, the reference for what streaming in Python can reach;
* ``b64decode``: the baseline — ``base64.b64decode`` of package A's base64 text (the same bytes
  that crossed the wire), timed alone, in memory.

Throughput is MiB of ZIP (decoded package) per wall-clock second of the download call. Targets:
stream throughput ≥ 0.5 × the b64decode baseline, and stream peak RSS growth < 64 MB at every
size.
"""

from __future__ import annotations

import argparse
import base64
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _common import (
    BENCHMARKS,
    ROOT,
    fake_sat_command,
    machine_note,
    measure,
    mib,
    say,
    start_server,
)

RFC = "AAA010101AAA"
START, END = datetime(2026, 10, 1, 0, 0, 0), datetime(2026, 10, 31, 23, 59, 59)
PEERS_PYTHON = BENCHMARKS / ".venv-peers" / "bin" / "python"
STREAM_RSS_TARGET = 64 * 10**6
RATIO_TARGET = 0.5


# -- the child side --------------------------------------------------------------------------


def child(approach: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One approach, in this (child) process. Prints nothing; returns the figures."""
    if approach == "b64decode":
        text = base64.b64encode(Path(spec["zip"]).read_bytes())

        def decode() -> int:
            return len(base64.b64decode(text))

        return measure(decode)

    import requests
    from lxml import etree

    from sat_zeep.client.sat_client import SatClient
    from sat_zeep.signing.fiel import Fiel
    from sat_zeep.soap.endpoints import Endpoints
    from sat_zeep.soap.transport import default_transport

    fiel = Fiel.from_files(spec["cer"], spec["key"], Path(spec["password"]).read_text())
    endpoints = Endpoints.from_base_url(spec["base_url"], "cfdi")
    client = SatClient(fiel, endpoints, transport=default_transport(read_timeout=3600))
    client.autentica()
    id_paquete = spec["id_paquete"]

    if approach == "stream":
        destino = Path(spec["work_dir"]) / f"{id_paquete}-stream.zip"

        def stream() -> int:
            result = client.descargar(id_paquete, destino=destino).raise_for_status()
            return result.file_size

        try:
            if not spec.get("profile"):
                return measure(stream)
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            figures = measure(lambda: profiler.runcall(stream))
            report = io.StringIO()
            pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(12)
            Path(spec["work_dir"], "profile.txt").write_text(report.getvalue())
            return figures
        finally:
            destino.unlink(missing_ok=True)

    if approach == "zeep-memory":

        def in_memory() -> int:
            result = client.descargar(id_paquete).raise_for_status()
            return len(result.paquete or b"")

        return measure(in_memory)

    if approach == "raw-memory":
        from fake_sat_package_memory import capture_descargar

        request = capture_descargar(client, id_paquete)
        headers = dict(request.headers)
        parser = etree.XMLParser(huge_tree=True)

        def raw() -> int:
            answer = requests.post(request.url, data=request.body, headers=headers, timeout=3600)
            answer.raise_for_status()
            root = etree.fromstring(answer.content, parser=parser)
            paquete = root.find("{*}Body/{*}RespuestaDescargaMasivaTercerosSalida/{*}Paquete")
            if paquete is None or not paquete.text:
                raise RuntimeError("no Paquete in the answer")
            return len(base64.b64decode(paquete.text))

        return measure(raw)

    if approach == "stream-floor":
        from fake_sat_package_memory import capture_descargar

        request = capture_descargar(client, id_paquete)
        headers = dict(request.headers)
        destino = Path(spec["work_dir"]) / f"{id_paquete}-floor.zip"

        def floor() -> int:
            return _stream_floor(request.url, request.body, headers, destino)

        try:
            return measure(floor)
        finally:
            destino.unlink(missing_ok=True)

    raise ValueError(f"unknown approach {approach!r}")


_BLANKS = b" \t\r\n"


def _stream_floor(url: str, body: bytes, headers: dict[str, str], destino: Path) -> int:
    """The least work a streamed download can do in Python: 1 MiB chunks, whitespace dropped with
    ``bytes.translate``, ``a2b_base64``, SHA-256, written to a file; no ZIP check, no XML parser
    (the envelope is cut at ``<Paquete>``/``</Paquete>``). A reference, not a product."""
    import binascii
    import hashlib

    import requests

    digest = hashlib.sha256()
    written = 0
    head = b""
    carry = b""
    inside = False
    with (
        requests.post(url, data=body, headers=headers, stream=True, timeout=3600) as answer,
        destino.open("wb") as output,
    ):
        answer.raise_for_status()
        for chunk in answer.iter_content(chunk_size=1 << 20):
            if not inside:
                head += chunk
                start = head.find(b"Paquete>")
                if start < 0:
                    continue
                inside, chunk = True, head[start + len(b"Paquete>") :]
            end = chunk.find(b"<")
            text = carry + (chunk if end < 0 else chunk[:end]).translate(None, _BLANKS)
            usable = len(text) - len(text) % 4
            data = binascii.a2b_base64(text[:usable])
            carry = text[usable:]
            digest.update(data)
            output.write(data)
            written += len(data)
            if end >= 0:
                break
    return written


# -- the parent side -------------------------------------------------------------------------


@dataclass
class Result:
    approach: str
    package: str
    ok: bool
    figures: dict[str, Any]
    error: str = ""

    @property
    def mib_per_s(self) -> float:
        return float(self.figures["bytes"]) / 2**20 / max(float(self.figures["seconds"]), 1e-9)

    @property
    def mib_per_cpu_s(self) -> float:
        """Package MiB per second of this process's CPU (all its threads)."""
        cpu = float(self.figures.get("cpu_seconds", 0.0))
        return float(self.figures["bytes"]) / 2**20 / max(cpu, 1e-9)

    @property
    def growth(self) -> int:
        return int(self.figures["peak"]) - int(self.figures["rss_before"])


def _cpu(result: Result) -> str:
    """The CPU the downloading child used (its own process, all its threads)."""
    cpu = float(result.figures.get("cpu_seconds", 0.0))
    if cpu <= 0:
        return ""
    return f"; client CPU {cpu:.2f} s = {result.mib_per_cpu_s:.0f} MiB per CPU-second"


def run_child(
    python: str, script: Path, approach: str, spec: dict[str, Any], spec_path: Path
) -> dict[str, Any]:
    spec_path.write_text(json.dumps(spec))
    done = subprocess.run(
        [python, str(script), "--child", approach, "--spec", str(spec_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=3600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise RuntimeError(f"exit {done.returncode}: " + " | ".join(line[:300] for line in tail))
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


def make_package(client: Any, shift: int) -> tuple[str, int]:
    """Request the month (start shifted by ``shift`` s), drive it to Terminada: (id, documents)."""
    from sat_zeep.client.codes import EstadoComprobante, TipoSolicitud

    accepted = client.solicita_descarga_emitidos(
        START + timedelta(seconds=shift),
        END,
        TipoSolicitud.CFDI,
        estado_comprobante=EstadoComprobante.TODOS,
    ).raise_for_status()
    id_solicitud = accepted.id_solicitud or ""
    while True:
        state = client.verifica_solicitud_descarga(id_solicitud).raise_for_status()
        if state.is_finished:
            (id_paquete,) = state.ids_paquetes
            return str(id_paquete), int(state.numero_cfdis or 0)
        if not state.is_pending:
            raise RuntimeError(f"the request ended {state!r}")
        time.sleep(0.2)


def measure_size(size_mib: int, options: argparse.Namespace, results_table: list[str]) -> bool:
    from fake_sat_package_memory import plan

    from sat_zeep.client.sat_client import SatClient
    from sat_zeep.soap.endpoints import Endpoints
    from sat_zeep.soap.transport import default_transport
    from sat_zeep.testing.fake_sat.server import load_or_create_ca

    chosen = plan(
        size_mib * 2**20, options.padding, options.seed, options.max_documents, options.shape
    )
    for note in chosen.notes:
        say(f"NOTE: {note}")
    work_dir = Path(tempfile.mkdtemp(prefix=f"bench-download-{size_mib}-"))
    state = work_dir / "state"
    state.mkdir()
    issued = load_or_create_ca(state).issue_fiel(RFC)
    cer, key, password = issued.write(work_dir / "fiel")
    limit = max(chosen.documents * 2, 200_000)
    command = fake_sat_command(
        state,
        seed=options.seed,
        documents_per_day=chosen.documents_per_day,
        padding=chosen.padding,
        max_xml=limit,
        shape=options.shape,
    )
    server = start_server(command, work_dir / "server.log")
    passed = True
    try:
        endpoints = Endpoints.from_base_url(server.base_url, "cfdi")
        peers = [name for name in options.peers.split(",") if name]
        if peers and not PEERS_PYTHON.exists():
            say(f"peers: {PEERS_PYTHON} missing (benchmarks/run creates it); peer runs skipped")
            peers = []
        count = 3 if len(peers) > 1 or options.floor else 2
        clients = []
        for _ in range(count):
            client = SatClient(
                issued.fiel(), endpoints, transport=default_transport(read_timeout=3600)
            )
            client.autentica()
            clients.append(client)
        began = time.monotonic()
        with ThreadPoolExecutor(2) as pool:  # the server deflates two at once (zlib drops the GIL)
            made = list(pool.map(make_package, clients, range(count)))
        generation = time.monotonic() - began
        token_client = clients.pop()
        for client in clients:
            client.close()
        zips = []
        for id_paquete, _ in made:
            (path,) = glob.glob(str(state / "packages" / "*" / f"{id_paquete}.zip"))
            zips.append(Path(path))
        sizes = [path.stat().st_size for path in zips]
        described = "; ".join(
            f"package {'ABC'[index]} {documents} CFDI, {mib(sizes[index])}"
            for index, (_, documents) in enumerate(made)
        )
        say(
            f"-- size {size_mib} MiB: {described}; generated in {generation:.1f} s "
            f"(shape {options.shape!r}, padding {chosen.padding} B/document)"
        )
        base = {
            "base_url": server.base_url,
            "cer": str(cer),
            "key": str(key),
            "password": str(password),
            "work_dir": str(work_dir),
        }
        plan_runs: list[tuple[str, str, int]] = [
            ("b64decode", "A", 0),
            ("stream", "A", 0),
            ("zeep-memory", "A", 0),
            ("raw-memory", "B", 1),
        ]
        if options.floor:
            plan_runs.append(("stream-floor", "C", 2))
        for number, peer in enumerate(peers[: 1 if options.floor else 2]):
            plan_runs.append((peer, "BC"[number], 1 + number))
        results: dict[str, Result] = {}
        for approach, package, index in plan_runs:
            spec: dict[str, Any] = {**base, "id_paquete": made[index][0], "zip": str(zips[index])}
            spec["profile"] = options.profile_stream and approach == "stream"
            python, script = sys.executable, Path(__file__)
            if approach in ("cfdiclient", "satcfdi"):
                python, script = str(PEERS_PYTHON), BENCHMARKS / "_peer_download.py"
                spec["token"] = token_client.autentica().value
                spec["rfc"] = RFC
            try:
                figures = run_child(python, script, approach, spec, work_dir / "spec.json")
                results[approach] = Result(approach, package, True, figures)
            except Exception as error:
                results[approach] = Result(approach, package, False, {}, str(error))
            if spec["profile"] and (work_dir / "profile.txt").exists():
                say("  stream profile (cProfile, slows it down; top by own time):")
                for line in (work_dir / "profile.txt").read_text().splitlines():
                    if line.strip():
                        say(f"    {line}")
        baseline = results["b64decode"]
        for approach, package, index in plan_runs:
            result = results[approach]
            if not result.ok:
                say(f"  {approach:<12} package {package}: FAILED: {result.error}")
                results_table.append(f"| {size_mib} | {approach} | failed | | | |")
                continue
            size_ok = result.figures["bytes"] == sizes[index]
            ratio = result.mib_per_s / baseline.mib_per_s if baseline.ok else float("nan")
            note = "" if result.figures["peak_reset"] else " (HWM not reset: upper bound)"
            say(
                f"  {approach:<12} package {package}: {result.mib_per_s:8.1f} MiB/s "
                f"({result.figures['seconds']:.2f} s), ×{ratio:.2f} of b64decode, peak RSS "
                f"+{mib(result.growth)} over {mib(result.figures['rss_before'])}{note}"
                f"{'' if size_ok else ' SIZE MISMATCH'}{_cpu(result)}"
            )
            results_table.append(
                f"| {size_mib} | {approach} | {result.mib_per_s:.0f} | {ratio:.2f} | "
                f"+{result.growth / 2**20:.1f} MiB | "
                f"{'ok' if size_ok else 'WRONG SIZE'} |"
            )
        stream = results["stream"]
        if stream.ok and baseline.ok:
            ratio = stream.mib_per_s / baseline.mib_per_s
            ratio_ok = ratio >= RATIO_TARGET
            rss_ok = stream.growth < STREAM_RSS_TARGET
            passed = ratio_ok and rss_ok
            say(
                f"  target stream/b64decode ≥ {RATIO_TARGET}: ×{ratio:.2f} "
                f"{'PASS' if ratio_ok else 'FAIL'}; stream peak RSS growth < 64 MB: "
                f"{stream.growth / 1e6:.1f} MB {'PASS' if rss_ok else 'FAIL'}"
            )
            for peer in ("zeep-memory", "raw-memory", *peers):
                other = results.get(peer)
                if other is not None and other.ok:
                    say(
                        f"  stream vs {peer}: ×{stream.mib_per_s / other.mib_per_s:.2f} "
                        f"throughput, peak RSS growth ×{stream.growth / max(other.growth, 1):.3f}"
                    )
        else:
            passed = False
        log = (work_dir / "server.log").read_text()
        if "Traceback" in log:
            say(f"  server log has errors:\n{log[-1500:]}")
        token_client.close()
    finally:
        server.stop()
        shutil.rmtree(work_dir, ignore_errors=True)
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes", default="10,100", help="package sizes, MiB, comma-separated (1024: 1 GiB)"
    )
    parser.add_argument(
        "--shape",
        choices=("real", "plain"),
        default="real",
        help="documents shaped like real stamped CFDI (~8 KB) or the old single template",
    )
    parser.add_argument(
        "--padding", type=int, default=0, help="Addenda bytes per XML (to size packages)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-documents", type=int, default=1_000_000)
    parser.add_argument(
        "--peers",
        default="cfdiclient,satcfdi",
        help="peers whose own download function runs too (comma-separated; '' for none)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time a minimal hand-written streamed download (package C; one peer only)",
    )
    parser.add_argument(
        "--profile-stream", action="store_true", help="print a cProfile of the stream approach"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        figures = child(options.child, json.loads(options.spec.read_text()))
        sys.stdout.write(json.dumps(figures) + "\n")
        return

    sizes = [int(part) for part in options.sizes.split(",") if part.strip()]
    say("== Descargar: streamed to a file vs whole answer in memory, and the b64decode baseline")
    say(machine_note())
    say("note: the fake SAT (its own process) and the downloading child share the machine's cores.")
    table: list[str] = [
        "| MiB | approach | MiB/s | × b64decode | peak RSS growth | size |",
        "|---|---|---|---|---|---|",
    ]
    verdicts = [measure_size(size, options, table) for size in sizes]
    say()
    say("\n".join(table))
    say(f"overall: {'PASS' if all(verdicts) else 'FAIL'} (targets at every size)")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(BENCHMARKS))
    main()
