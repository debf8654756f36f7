"""``sat-zeep verify ID --wait``: ask again with backoff until SAT is done, or give up with 11."""

from __future__ import annotations

import pytest

from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, Runner


def _request(run: Runner, sat_args: list[str]) -> str:
    accepted = run(
        "request", "emitidos", "--start", START, "--end", END, "--type", "metadata",
        *sat_args, "--json",
    )  # fmt: skip
    assert accepted.code == 0, accepted.err
    return str(accepted.records()[0]["id_solicitud"])


def test_wait_asks_until_the_request_is_finished(
    run: Runner, sat: FakeSat, sat_args: list[str]
) -> None:
    id_solicitud = _request(run, sat_args)
    result = run("verify", id_solicitud, "--wait", "1m", "--poll", "0.01", *sat_args, "--json")
    assert result.code == 0, result.err
    (state,) = result.records()  # one answer on stdout: the last
    assert state["finished"] and state["ids_paquetes"]
    assert sat.stats()["calls"]["VerificaSolicitudDescarga"] > 1
    assert result.err == ""  # JSON mode: no progress lines


def test_wait_that_runs_out_exits_11_with_the_last_state(
    run: Runner, sat: FakeSat, sat_args: list[str]
) -> None:
    id_solicitud = _request(run, sat_args)
    result = run("verify", id_solicitud, "--wait", "0s", *sat_args)
    assert result.code == 11, result.err
    assert id_solicitud in result.out
    assert sat.stats()["calls"]["VerificaSolicitudDescarga"] == 1


def test_progress_lines_go_to_stderr(run: Runner, sat_args: list[str]) -> None:
    id_solicitud = _request(run, sat_args)
    result = run("verify", id_solicitud, "--wait", "1m", "--poll", "0.01", *sat_args)
    assert result.code == 0, result.err
    assert "asking again in" in result.err
    assert "Terminada" in result.out


@pytest.mark.parametrize("duration", ["soon", "-5s", "nan", ""])
def test_a_bad_duration_is_a_usage_error(run: Runner, sat_args: list[str], duration: str) -> None:
    result = run("verify", "0e4f2b2c-5b1d-4a6e-9f3a-2d1c0b9a8e7f", "--wait", duration, *sat_args)
    assert result.code == 2
    assert "is not a duration" in result.err
