"""``sat-zeep sync --config``: its taxpayers run side by side, each in its own folder."""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import replace
from pathlib import Path

from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, Run, Runner

#: Seconds the fake SAT takes to prepare each request.
PREPARING = 3.0
OPTIONS = ["--poll", "0.2s", "--max-wait", "60s", "--kind", "metadata", "--direction", "emitidos"]
RFCS = ("AAA010101AA1", "BBB010101BB2", "CCC010101CC3")


def _config(tmp_path: Path, sat: FakeSat, rfcs: tuple[str, ...], name: str) -> Path:
    lines = [f"[defaults]\nstart = {START}\nend = {END}\nout = {name!r}\n"]
    for rfc in rfcs:
        folder = tmp_path / "efirmas" / rfc
        if not folder.exists():
            sat.issue_fiel(rfc).write(folder)
        lines.append(
            f'[[taxpayer]]\nname = "{rfc.lower()}"\n'
            f'cer = "efirmas/{rfc}/{rfc}.cer"\nkey = "efirmas/{rfc}/{rfc}.key"\n'
            f'password_file = "efirmas/{rfc}/{rfc}-password.txt"\n'
        )
    config = tmp_path / f"{name}.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


def _timed(run: Runner, *args: str | Path) -> tuple[Run, float]:
    started = time.monotonic()
    result = run(*args)
    return result, time.monotonic() - started


def test_three_taxpayers_take_about_as_long_as_one(
    run: Runner, sat: FakeSat, tmp_path: Path
) -> None:
    sat.ledger.config = replace(sat.ledger.config, seconds_until_ready=PREPARING)
    one = _config(tmp_path, sat, RFCS[:1], "uno")
    three = _config(tmp_path, sat, RFCS, "tres")
    single, alone = _timed(run, "sync", "--config", one, "--base-url", sat.base_url, *OPTIONS)
    assert single.code == 0, single.err
    between = sat.now()
    result, together = _timed(run, "sync", "--config", three, "--base-url", sat.base_url, *OPTIONS)
    assert result.code == 0, result.err
    for rfc in RFCS:
        assert f"[{rfc.lower()}] requests: 1 finished" in result.out
        assert f"[{rfc.lower()}] next: Everything is downloaded" in result.out
        assert (tmp_path / "tres" / rfc.lower() / ".sat-zeep-sync.sqlite3").exists()
    # Side by side: the three requests were all at SAT at once (one after another, each was
    # sent only once the one before it had been prepared, PREPARING seconds later).
    created = sorted(r.created for r in sat.ledger.requests() if r.created > between)
    assert len(created) == 3
    assert (created[-1] - created[0]).total_seconds() < PREPARING / 3, created
    # One after another would take three times as long. A check comes up to half a poll pause
    # (which grows by 1.5) after the request is ready, whence the slack beside the ratio.
    assert alone >= PREPARING
    assert together <= 1.3 * alone + 0.5 * PREPARING, (together, alone)


def test_verbose_side_by_side_logs_no_taxpayer_secret(
    run: Runner, sat: FakeSat, tmp_path: Path
) -> None:
    config = _config(tmp_path, sat, RFCS[:2], "dos")
    result = run("sync", "--config", config, "--base-url", sat.base_url, *OPTIONS, "--verbose")
    assert result.code == 0, result.err
    assert "SolicitaDescargaEmitidos" in result.err  # both taxpayers' envelopes were logged
    for rfc in RFCS[:2]:
        folder = tmp_path / "efirmas" / rfc
        password = (folder / f"{rfc}-password.txt").read_text(encoding="utf-8").strip()
        certificate = base64.b64encode((folder / f"{rfc}.cer").read_bytes()).decode()[:64]
        assert password not in result.err and password not in result.out
        assert certificate not in result.err
        assert f"[{rfc.lower()}] packages: 1 downloaded" in result.out
    assert "PRIVATE KEY" not in result.err and 'access_token="' not in result.err
    assert not logging.getLogger("sat_zeep").handlers  # one handler, removed at the end
