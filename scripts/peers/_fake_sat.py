"""Helpers for the peer scripts: run the fake SAT (project venv) and log raw HTTP exchanges.

The fake server runs as a subprocess of the project's ``sat-zeep`` CLI, so the peer can live in
another venv. ``SAT_ZEEP`` overrides the command of that CLI.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parents[1]
#: The command that runs the project's CLI (a shell-quoted string).
SAT_ZEEP = shlex.split(os.environ.get("SAT_ZEEP", str(ROOT / ".venv" / "bin" / "sat-zeep")))


@dataclass
class Server:
    base_url: str
    state_dir: Path
    cer: Path
    key: Path
    password: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_admin/stats") as answer:
            return dict(json.load(answer))


@contextmanager
def fake_sat(rfc: str, work: Path | None = None) -> Iterator[Server]:
    """Start ``sat-zeep fake-sat serve`` and issue an e.firma for ``rfc``."""
    work = work or Path(tempfile.mkdtemp(prefix="fake-sat-"))
    state, efirma = work / "state", work / "efirma"
    state.mkdir(parents=True, exist_ok=True)
    efirma.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [*SAT_ZEEP, "fake-sat", "serve", "--port", "0", "--state-dir", str(state), "--admin"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"fake SAT did not start: {line!r}")
        subprocess.run(
            [
                *SAT_ZEEP,
                "fake-sat",
                "issue-fiel",
                "--state-dir",
                str(state),
                "--rfc",
                rfc,
                "--out",
                str(efirma),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        yield Server(
            base_url=line.removeprefix("listening on ").rstrip("/"),
            state_dir=state,
            cer=efirma / f"{rfc}.cer",
            key=efirma / f"{rfc}.key",
            password=(efirma / f"{rfc}-password.txt").read_text().strip(),
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def log_exchanges(
    directory: Path, rewrite: dict[str, str] | None = None
) -> list[tuple[str, int, bytes]]:
    """Save every request/response body that ``requests`` sends under ``directory``.

    ``rewrite`` maps URL prefixes (SAT's hosts) to the fake server's, for peers whose URLs are
    literals inside their methods.
    """
    directory.mkdir(parents=True, exist_ok=True)
    seen: list[tuple[str, int, bytes]] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        for prefix, target in (rewrite or {}).items():
            if request.url and request.url.startswith(prefix):
                request.url = target + request.url[len(prefix) :]
        response = original(self, request, **kwargs)
        action = str(request.headers.get("SOAPAction", "")).strip('"').rsplit("/", 1)[-1]
        stem = directory / f"{len(seen):02d}-{action or 'none'}"
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        stem.with_suffix(".request.xml").write_bytes(body)
        stem.with_suffix(".response.xml").write_bytes(response.content[:20000])
        seen.append((action, response.status_code, response.content))
        return response

    requests.Session.send = send  # type: ignore[method-assign]
    return seen
