"""A scheduler whose threads are all busy waits for one to finish; it does not spin."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import cast

from sat_zeep.sync.fleet.runtime import FleetRuntime, StepOutcome
from sat_zeep.sync.fleet.scheduler import FleetScheduler

STEP_SECONDS = 0.5


@dataclass
class SlowRuntime:
    """Stands in for the runtime: each step waits on SAT (sleeps), then nothing is due."""

    steps: list[str] = field(default_factory=list)

    def step(self, rfc: str) -> StepOutcome:
        self.steps.append(rfc)
        time.sleep(STEP_SECONDS)
        return StepOutcome(next_due=None)

    def clock(self) -> datetime:
        return datetime.now(timezone.utc)

    def close(self) -> None:
        pass


def test_a_full_pool_with_taxpayers_due_holds_no_cpu() -> None:
    runtime = SlowRuntime()
    scheduler = FleetScheduler(cast(FleetRuntime, runtime), concurrency=1)
    cpu, wall = time.process_time(), time.monotonic()
    summary = scheduler.run(["AAA010101AAA", "BBB010101BBB", "CCC010101CCC"])
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert sorted(runtime.steps) == ["AAA010101AAA", "BBB010101BBB", "CCC010101CCC"]
    assert summary.steps == 3 and not summary.errors
    assert wall >= 3 * STEP_SECONDS
    # Two taxpayers wait for the one thread during 1.5 s: a spinning loop burns that time.
    assert cpu < 0.3 * wall, f"the scheduler used {cpu:.2f} s of CPU in {wall:.2f} s"
