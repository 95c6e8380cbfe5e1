"""A worker killed mid-message, as by SIGKILL or the OOM killer.

The Redis broker gives a dead worker's unacknowledged messages back only
after the heartbeat timeout, when maintenance runs; these tests tune both
(2 s, every call) so recovery happens within the test. Rocketlane's template
create is made slow (8 s), and the worker is killed while it waits for it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests import sales
from tests.fixtures.distributed import Distributed

pytestmark = pytest.mark.integration

SLOW_CREATE_S = 8


@pytest.fixture
def distributed_env(request: pytest.FixtureRequest) -> dict[str, str]:
    return {
        "HANDOFF_HEARTBEAT_TIMEOUT_MS": "2000",
        "HANDOFF_MAINTENANCE_CHANCE": "1000000",
        "HANDOFF_MAX_DELIVERIES": str(getattr(request, "param", 5)),
        "HANDOFF_LOCK_TTL_S": "3",
    }


def win_a_deal(running: Distributed) -> Any:
    seller, _ = sales.sell(running.sandboxes, account="Initech", stage="Closed Won")
    return seller


def slow_creates(running: Distributed, seconds: float) -> None:
    httpx.put(
        f"{running.sandboxes.rocketlane.url}/__sandbox/config",
        json={"templateCreateDelayS": seconds},
    ).raise_for_status()


def kill_mid_create(running: Distributed) -> Any:
    """Win a deal, and kill the worker while Rocketlane builds its project.

    The sandbox saves a templated project first and answers only after the
    slow build, so the project exists while provision still waits.
    """
    slow_creates(running, SLOW_CREATE_S)
    before = len(running.sandboxes.workspace.projects)
    seller = win_a_deal(running)
    running.wait_for(
        lambda: len(running.sandboxes.workspace.projects) > before,
        what="a create in flight",
    )
    running.kill(running.processes[1])  # the first `handoff worker`
    slow_creates(running, 0.05)
    running.start_worker(processes=1)
    return seller


def test_a_killed_workers_message_is_redelivered_and_adopts_the_project(
    distributed: Distributed,
) -> None:
    seller = kill_mid_create(distributed)

    rows = distributed.wait_for(
        lambda: [
            r
            for r in seller.query("SELECT Id, Sync_Status__c FROM Project__c")
            if r["Sync_Status__c"] == "Synced"
        ],
        timeout=90,
        what="the redelivered provision",
    )

    (project,) = rows
    references = sales.rocketlane_projects(distributed.sandboxes, project["Id"])
    assert len(references) == 1
    assert distributed.store().list_dead_letters(status="open") == []


@pytest.mark.parametrize(
    "distributed_env", [1], indirect=True, ids=["one-delivery-allowed"]
)
def test_a_message_whose_worker_keeps_dying_is_dead_lettered_as_poison(
    distributed_env: dict[str, str], distributed: Distributed
) -> None:
    kill_mid_create(distributed)
    store = distributed.store()

    letters = distributed.wait_for(
        lambda: store.list_dead_letters(status="open"),
        timeout=90,
        what="a poison letter",
    )

    poison = [letter for letter in letters if letter.error_type == "PoisonMessage"]
    assert poison, [letter.error for letter in letters]
    # Messages the dead worker had prefetched come back too, and are as
    # poisonous under a one-delivery limit; the provision in flight is one.
    in_flight = [letter for letter in poison if letter.actor == "provision"]
    assert in_flight, [(letter.actor, letter.error) for letter in poison]
    assert "delivered 2 times without finishing" in in_flight[0].error
