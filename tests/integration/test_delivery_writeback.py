"""Write-backs against the served Salesforce sandbox: calls counted by the org.

N projects' syncs cost ceil(N/200) sObject Collections calls, and a sync
that changes nothing costs none.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from handoff.actors.handlers import writeback
from handoff.actors.messages import HandoffMessage
from handoff.actors.runtime import Runtime
from handoff.adapters.locks import InMemoryProjectLocks
from handoff.adapters.store import make_sqlite_store
from handoff.domain.policy import DEFAULT_POLICY
from handoff.ops.stack import Sandboxes, start_sandboxes

PROJECTS = 450


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    started = start_sandboxes()
    yield started
    started.stop()


@pytest.fixture
def runtime(sandboxes: Sandboxes, tmp_path: Path) -> Iterator[Runtime]:
    store = make_sqlite_store(tmp_path)
    sent: list[HandoffMessage] = []

    def send(message: HandoffMessage, *, delay_ms: int | None = None) -> None:
        sent.append(message)

    rt = Runtime(
        policy=DEFAULT_POLICY,
        salesforce=sandboxes.salesforce_client(client_tag="handoff"),
        rocketlane=None,  # type: ignore[arg-type]
        store=store,
        locks=InMemoryProjectLocks(wait=5.0),
        send=send,
    )
    yield rt
    store.close()


def provisioned(rt: Runtime, count: int) -> list[Any]:
    rows = [
        {
            "attributes": {"type": "Project__c"},
            "Name": f"P{i}",
            "Handoff_Key__c": key(i),
        }
        for i in range(count)
    ]
    created = []
    for start in range(0, count, 200):
        created += rt.salesforce.create_many(rows[start : start + 200])  # type: ignore[attr-defined]
    return [
        rt.store.ensure_mapping(key(i), status="active", salesforce_project_id=r.id)
        for i, r in enumerate(created)
    ]


def key(index: int) -> str:
    return f"HO-{index:020X}"


def signals(index: int) -> dict[str, Any]:
    return {
        "Hours_Burned__c": Decimal(index % 7),
        "Health__c": "On Track",
        "Last_Synced_At__c": datetime(2026, 1, 2, 3, 4, 5).isoformat(),
    }


def stage_all(rt: Runtime, count: int) -> None:
    for index in range(count):
        mapping = rt.store.get_mapping(key(index))
        assert mapping is not None
        writeback.stage(rt, mapping, signals(index), targets={})


def used(sandboxes: Sandboxes) -> int:
    return sandboxes.org.usage.used


def test_many_projects_are_written_in_collections_of_200(
    sandboxes: Sandboxes, runtime: Runtime
) -> None:
    provisioned(runtime, PROJECTS)
    stage_all(runtime, PROJECTS)
    before = used(sandboxes)

    report = writeback.flush(runtime)

    assert used(sandboxes) - before == math.ceil(PROJECTS / 200) == report.calls
    assert report.projects == PROJECTS
    row = sandboxes.org.find("Project__c", "Handoff_Key__c", key(5))[0]
    assert row["Hours_Burned__c"] == 5
    assert row["Health__c"] == "On Track"


def test_a_sync_that_changes_nothing_makes_no_call(
    sandboxes: Sandboxes, runtime: Runtime
) -> None:
    provisioned(runtime, 30)
    stage_all(runtime, 30)
    writeback.flush(runtime)
    before = used(sandboxes)

    stage_all(runtime, 30)
    report = writeback.flush(runtime)

    assert used(sandboxes) - before == 0
    assert report.calls == 0
