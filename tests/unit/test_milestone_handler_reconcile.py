"""handoff reconcile: a milestone and a revenue check per active project, within budgets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.actors.messages import HandoffMessage, MilestoneChanged
from handoff.adapters.store import SqlAlchemyStore, make_sqlite_store
from handoff.ops.reconcile_command import (
    ROCKETLANE_CALLS_PER_PROJECT,
    SALESFORCE_CALLS_PER_PROJECT,
    SALESFORCE_CALLS_PER_RUN,
    reconcile_projects,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlAlchemyStore]:
    store = make_sqlite_store(tmp_path)
    for index in range(5):
        key = f"HO-{index:020X}"
        store.ensure_mapping(key, status="active")
        store.set_rocketlane_project(key, 100 + index)
    store.ensure_mapping("HO-FFFFFFFFFFFFFFFFFFFF", status="active")
    yield store
    store.close()


def test_every_active_provisioned_project_gets_both_checks(
    store: SqlAlchemyStore,
) -> None:
    sent: list[HandoffMessage] = []

    report = reconcile_projects(store, sent.append)

    assert report.checked == report.projects == 5
    assert report.stopped_by is None
    checked = {m.rocketlane_project_id for m in sent if isinstance(m, MilestoneChanged)}
    assert checked == {100, 101, 102, 103, 104}
    assert (
        sorted(m.actor for m in sent) == ["milestone_accept"] * 5 + ["revenue_sync"] * 5
    )


@pytest.mark.parametrize(
    ("budgets", "system"),
    [
        ({"max_rocketlane_calls": 2 * ROCKETLANE_CALLS_PER_PROJECT}, "Rocketlane"),
        (
            {
                "max_salesforce_calls": SALESFORCE_CALLS_PER_RUN
                + 2 * SALESFORCE_CALLS_PER_PROJECT
            },
            "Salesforce",
        ),
    ],
    ids=["Rocketlane budget", "Salesforce budget"],
)
def test_a_run_stops_enqueuing_at_its_budget_and_says_so(
    store: SqlAlchemyStore, budgets: dict[str, int], system: str
) -> None:
    sent: list[HandoffMessage] = []

    report = reconcile_projects(store, sent.append, **budgets)

    assert report.checked == 2
    assert len(sent) == 4
    assert report.stopped_by == system
    assert f"the {system} budget is reached" in report.describe()


def test_a_phase_upsell_is_checked_through_its_original_project_only(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping("HO-EEEEEEEEEEEEEEEEEEEE", status="active")
    store.set_rocketlane_phase("HO-EEEEEEEEEEEEEEEEEEEE", 100, 900)
    sent: list[HandoffMessage] = []

    report = reconcile_projects(store, sent.append)

    assert report.checked == 5
    keys = {m.correlation_id for m in sent}
    assert "HO-EEEEEEEEEEEEEEEEEEEE" not in keys
