"""The deal lifecycle scenario with a real Redis broker and a worker pool.

The same scenario as tests/e2e/test_lifecycle_scenario.py, but messages go
through Redis (in a namespace of the test's own) and are taken by worker
threads. Draining works only on the in-process broker, so each step waits
until the observable state — change events, Rocketlane projects and the
audit trail — has stopped changing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handoff.actors.broker import build_broker
from handoff.ops.stack import Stack, start_stack
from handoff.settings import load_settings
from tests.conftest import REDIS_URL
from tests.e2e.test_lifecycle_scenario import (
    SCENARIO_POLICY,
    Scenario,
    capacity_projects,
    run_scenario,
)

pytestmark = pytest.mark.integration

QUIET_S = 1.5
SETTLE_TIMEOUT_S = 60.0


@pytest.fixture
def redis_stack(tmp_path: Path, unique_name: str) -> Iterator[Stack]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'handoff.db'}",
        broker_url=REDIS_URL,
        namespace=unique_name,
        min_backoff_ms=50,
        max_backoff_ms=500,
    )
    stack = start_stack(settings, broker=build_broker(settings), threads=4)
    stack.worker.runtime.policy = SCENARIO_POLICY
    yield stack
    stack.stop()


def observed(stack: Stack) -> tuple[Any, ...]:
    """What changes while anything is still being processed."""
    workspace = stack.sandboxes.workspace
    return (
        len(stack.sandboxes.org.bus.events),
        tuple(
            sorted((pid, p.get("updatedAt")) for pid, p in workspace.projects.items())
        ),
        len(stack.store.list_audit(limit=100_000)),
    )


def settle(stack: Stack) -> None:
    """Wait until events are delivered and nothing changes for QUIET_S."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last, quiet_since = observed(stack), time.monotonic()
    while time.monotonic() - quiet_since < QUIET_S:
        if time.monotonic() > deadline:
            raise TimeoutError("the Redis stack kept changing")
        stack.sandboxes.org.bus.wait_idle(SETTLE_TIMEOUT_S)
        time.sleep(0.1)
        now = observed(stack)
        if now != last:
            last, quiet_since = now, time.monotonic()


def test_the_deal_lifecycle_scenario_on_redis(redis_stack: Stack) -> None:
    """Forecast, move, win, upsell and loss, through a real Redis broker."""
    scenario = Scenario(redis_stack.sandboxes, lambda: settle(redis_stack))

    run_scenario(scenario, capacity_projects(redis_stack))

    assert redis_stack.store.list_dead_letters(status="open") == []
