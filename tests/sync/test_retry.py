"""The pause before a transient failure is tried again, and how a run tells an outage's kind.

The sync sleeps ``RetryPolicy.delay`` before asking SAT again (doubling, capped, with jitter), and
``RunHealth.outage()`` picks the exit code of a run where SAT never gave a usable answer:
``unreachable`` (7, nothing reached SAT) or ``failing`` (6, SAT answered with errors).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest

from sat_zeep.errors import SatHTTPError, SatTransportError
from sat_zeep.sync.retry import FAILING, UNREACHABLE, RetryPolicy, RunHealth, reached_sat


class Fixed(random.Random):
    """A jitter that always draws ``fraction`` of the way from ``a`` to ``b``."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


FULL, HALF = Fixed(1.0), Fixed(0.0)


def test_the_pause_doubles_after_each_failure_from_two_seconds() -> None:
    policy = RetryPolicy()
    pauses = [policy.delay(errors, FULL).total_seconds() for errors in (1, 2, 3, 4)]
    assert pauses == [2.0, 4.0, 8.0, 16.0]
    assert policy.delay(0, FULL) == timedelta(seconds=2)


def test_the_pause_never_exceeds_five_minutes() -> None:
    policy = RetryPolicy()
    assert policy.delay(8, FULL) == timedelta(seconds=256)
    assert policy.delay(9, FULL) == timedelta(minutes=5)
    assert policy.delay(1_000, FULL) == timedelta(minutes=5)


def test_jitter_shortens_the_pause_to_at_most_half() -> None:
    policy = RetryPolicy(initial=timedelta(seconds=10), maximum=timedelta(seconds=40))
    assert policy.delay(1, HALF) == timedelta(seconds=5)
    assert policy.delay(2, Fixed(0.5)) == timedelta(seconds=15)
    assert policy.delay(5, HALF) == timedelta(seconds=20)
    drawn = {policy.delay(1, random.Random(seed)) for seed in range(50)}
    assert all(timedelta(seconds=5) <= pause <= timedelta(seconds=10) for pause in drawn)
    assert len(drawn) > 1


def test_an_item_is_tried_three_times_per_run_by_default() -> None:
    assert RetryPolicy().per_run == 3


def test_only_a_call_that_was_never_sent_did_not_reach_sat() -> None:
    assert not reached_sat(SatTransportError("refused", reached=False))
    assert reached_sat(SatTransportError("reset"))
    assert reached_sat(SatHTTPError("HTTP 500", status_code=500))


def test_a_policy_is_fixed_once_made() -> None:
    policy = RetryPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.per_run = 10  # type: ignore[misc]


def test_a_run_with_one_answer_is_no_outage() -> None:
    health = RunHealth()
    assert health.last_error == "" and health.answered == 0
    health.failed(SatTransportError("refused", reached=False))
    health.failed("SAT said 5000 no")
    health.ok()
    health.ok()
    assert health.outage() is None
    assert health.answered == 2


def test_a_run_that_never_reached_sat_is_unreachable() -> None:
    health = RunHealth()
    assert health.outage() is None
    health.failed(SatTransportError("connection\n refused", reached=False))
    health.failed(SatTransportError("name not found", reached=False))
    assert (health.unreached, health.failing) == (2, 0)
    assert health.outage() == UNREACHABLE == "unreachable"
    assert health.last_error == "name not found"


def test_a_run_where_sat_only_failed_is_failing() -> None:
    health = RunHealth()
    health.failed(SatTransportError("refused", reached=False))
    health.failed(SatTransportError("reset by\n\tpeer"))
    assert (health.unreached, health.failing) == (1, 1)
    assert health.outage() == FAILING == "failing"
    assert health.last_error == "reset by peer"
    health.failed("HTTP 503")
    assert health.failing == 2 and health.last_error == "HTTP 503"
