"""Delivery signals and revenue written back to Project__c."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from handoff.domain.milestones import Milestone
from handoff.domain.policy import DEFAULT_POLICY, Policy, RevenueRules
from handoff.domain.revenue import money, project_signals

TODAY = date(2025, 5, 20)


def _project(**changes: Any) -> dict[str, Any]:
    project: dict[str, Any] = {
        "projectId": 77,
        "inferredProgress": "RUNNING_LATE",
        "currentPhases": [{"phaseId": 1, "phaseName": "Build"}],
        "progressPercentage": 42.857,
        "trackedHours": 30,
        "budgetedHours": 120,
        "remainingHours": 90,
        "projectFee": 20000,
        "financials": {
            "metrics": {"actualCost": 4500.555, "estimationToCompletionInHours": 70}
        },
    }
    return {**project, **changes}


def _task(
    label: str, *, kind: str = "TASK", due: str = "2025-06-01", **more: Any
) -> dict:
    return {"type": kind, "status": {"label": label}, "dueDate": due, **more}


def _policy(method: Any) -> Policy:
    return Policy(revenue=RevenueRules(method=method))


def _signals(project: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    policy = options.pop("policy", DEFAULT_POLICY)
    tasks = options.pop("tasks", ())
    return project_signals(project or _project(), tasks, policy, TODAY, **options)


def test_every_project_field_is_written() -> None:
    assert set(_signals()) == {
        "Health__c",
        "Health_Notes__c",
        "Current_Phase__c",
        "Progress_Percent__c",
        "Tasks_Total__c",
        "Tasks_Completed__c",
        "Tasks_At_Risk__c",
        "Milestones_Total__c",
        "Milestones_Completed__c",
        "Milestones_At_Risk__c",
        "Hours_Burned__c",
        "Hours_Remaining__c",
        "Hours_Budgeted__c",
        "Budget_Consumed_Percent__c",
        "Recognized_Revenue__c",
        "Cost__c",
        "Margin__c",
        "Margin_Percent__c",
        "Last_Synced_At__c",
    }


@pytest.mark.parametrize(
    ("status", "health"),
    [
        pytest.param(1, "On Track", id="1-on-track"),
        pytest.param(2, "Ahead of Time", id="2-ahead"),
        pytest.param(3, "Running Late", id="3-late"),
        pytest.param(4, "At Risk", id="4-at-risk"),
        pytest.param(5, "None", id="5-none"),
    ],
)
def test_health_comes_from_the_latest_project_update(status: int, health: str) -> None:
    updates = [
        {"publishedAt": 1, "status": {"statusId": 1, "statusValue": 1}},
        {"publishedAt": 2, "status": {"statusId": status, "statusValue": status}},
    ]

    assert _signals(updates=updates)["Health__c"] == health


@pytest.mark.parametrize(
    ("progress", "health"),
    [
        pytest.param("ON_TRACK", "On Track", id="on-track"),
        pytest.param("AHEAD_OF_TIME", "Ahead of Time", id="ahead"),
        pytest.param("RUNNING_LATE", "Running Late", id="late"),
        pytest.param("NONE", "None", id="none"),
    ],
)
def test_without_an_update_health_is_the_inferred_progress(
    progress: str, health: str
) -> None:
    updates = [{"publishedAt": 3, "title": "No status given"}]

    assert (
        _signals(_project(inferredProgress=progress), updates=updates)["Health__c"]
        == health
    )


def test_the_latest_update_gives_the_notes_as_plain_text() -> None:
    updates = [
        {
            "publishedAt": 2,
            "title": "Week 3",
            "content": "<p>Data load &amp; <b>UAT</b></p>",
        },
        {"publishedAt": 1, "title": "Week 2"},
    ]

    assert _signals(updates=updates)["Health_Notes__c"] == "Week 3 — Data load & UAT"


def test_phase_progress_and_sync_time() -> None:
    project = _project(
        currentPhases=[{"phaseName": "Build"}, {"phaseName": "Test"}],
    )

    signals = _signals(project, synced_at=datetime(2025, 5, 20, 9, 30))

    assert signals["Current_Phase__c"] == "Build, Test"
    assert signals["Progress_Percent__c"] == Decimal("42.86")
    assert signals["Last_Synced_At__c"] == "2025-05-20T09:30:00"


def test_tasks_and_milestones_are_counted_apart() -> None:
    tasks = [
        _task("Completed"),
        _task("In progress", atRisk=True),
        _task("To do", due="2025-05-01"),
        _task("To do"),
        _task("Completed", kind="MILESTONE"),
        _task("To do", kind="MILESTONE", due="2025-05-19"),
        _task("Completed", atRisk=True, due="2025-01-01"),
    ]

    signals = _signals(tasks=tasks)

    assert [signals[f"Tasks_{n}__c"] for n in ("Total", "Completed", "At_Risk")] == [
        5,
        2,
        2,
    ]
    assert [
        signals[f"Milestones_{n}__c"] for n in ("Total", "Completed", "At_Risk")
    ] == [
        2,
        1,
        1,
    ]


def test_hours_against_the_budget() -> None:
    signals = _signals()

    assert signals["Hours_Burned__c"] == Decimal("30.00")
    assert signals["Hours_Budgeted__c"] == Decimal("120.00")
    assert signals["Hours_Remaining__c"] == Decimal("90.00")
    assert signals["Budget_Consumed_Percent__c"] == Decimal("25.00")


def test_a_retainer_shows_consumption_against_its_bucket() -> None:
    project = _project(budgetedHours=None, trackedHours=None, trackedMinutes=2430)

    signals = _signals(project, budget_hours=Decimal(40))

    assert signals["Hours_Burned__c"] == Decimal("40.50")
    assert signals["Hours_Budgeted__c"] == Decimal("40.00")
    assert signals["Hours_Remaining__c"] == Decimal("-0.50")
    assert signals["Budget_Consumed_Percent__c"] == Decimal("101.25")


def test_without_a_budget_the_rocketlane_remaining_hours_are_used() -> None:
    signals = _signals(_project(budgetedHours=None))

    assert signals["Hours_Remaining__c"] == Decimal(90)
    assert signals["Budget_Consumed_Percent__c"] is None


def _financial(amount: str, *, accepted: bool) -> Milestone:
    return Milestone(
        key=f"M-{amount}",
        name="M",
        type="Financial",
        amount=Decimal(amount),
        acceptance_date=date(2025, 5, 1) if accepted else None,
        recognized_amount=Decimal(amount) if accepted else None,
    )


def test_milestone_recognition_sums_accepted_financial_milestones() -> None:
    milestones = [
        _financial("5000", accepted=True),
        _financial("7000", accepted=False),
        _financial("2500.50", accepted=True),
        Milestone(
            key="D", name="D", acceptance_date=date(2025, 5, 1), amount=Decimal(9)
        ),
    ]

    signals = _signals(milestones=milestones)

    assert signals["Recognized_Revenue__c"] == Decimal("7500.50")
    assert signals["Cost__c"] == Decimal("4500.56")
    assert signals["Margin__c"] == Decimal("2999.94")
    assert signals["Margin_Percent__c"] == Decimal("40.00")


@pytest.mark.parametrize(
    ("tracked", "revenue"),
    [
        pytest.param(30, Decimal("5000.00"), id="quarter-of-budget"),
        pytest.param(120, Decimal("20000.00"), id="whole-budget"),
        pytest.param(150, Decimal("20000.00"), id="overrun-capped-at-amount"),
        pytest.param(0, Decimal("0.00"), id="nothing-tracked"),
    ],
)
def test_percent_complete_by_hours(tracked: int, revenue: Decimal) -> None:
    signals = _signals(
        _project(trackedHours=tracked),
        policy=_policy("percent_complete_hours"),
        amount=Decimal(20000),
    )

    assert signals["Recognized_Revenue__c"] == revenue


def test_eac_recognizes_tracked_over_estimate_at_completion() -> None:
    signals = _signals(policy=_policy("eac"), amount=Decimal(20000))

    assert signals["Recognized_Revenue__c"] == Decimal("6000.00")


def test_without_an_amount_the_project_fee_is_used() -> None:
    signals = _signals(policy=_policy("percent_complete_hours"))

    assert signals["Recognized_Revenue__c"] == Decimal("5000.00")


def test_no_revenue_means_no_margin_percent() -> None:
    signals = _signals()

    assert signals["Recognized_Revenue__c"] == Decimal("0.00")
    assert signals["Margin__c"] == Decimal("-4500.56")
    assert signals["Margin_Percent__c"] is None


def test_unknown_price_gives_unknown_revenue() -> None:
    project = _project(projectFee=None)

    signals = _signals(project, policy=_policy("eac"))

    assert signals["Recognized_Revenue__c"] is None
    assert signals["Margin__c"] is None


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        pytest.param("2.345", "2.35", id="half-up"),
        pytest.param("2.344", "2.34", id="down"),
        pytest.param("-2.345", "-2.35", id="negative-half-away"),
    ],
)
def test_money_rounds_to_cents_half_up(value: str, rounded: str) -> None:
    assert money(Decimal(value)) == Decimal(rounded)
