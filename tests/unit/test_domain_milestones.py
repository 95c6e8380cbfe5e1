"""Milestones between Project_Milestone__c and Rocketlane MILESTONE tasks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.domain.milestones import (
    Milestone,
    apply_rocketlane_milestone,
    is_accepted,
    milestone_from_rocketlane,
    milestone_key,
    milestone_task_body,
)
from handoff.domain.policy import MilestoneRules

RULES = MilestoneRules()
TODAY = date(2025, 5, 20)
KEY = "HO-0123456789ABCDEF0123"


def _milestone(**changes: Any) -> Milestone:
    values: dict[str, Any] = {
        "key": f"{KEY}-SFa0B000000000001",
        "name": "Go-live sign-off",
        "type": "Financial",
        "planned_date": date(2025, 5, 1),
        "target_date": date(2025, 5, 1),
        "amount": Decimal("25000.00"),
        "rocketlane_task_id": "901",
    }
    return Milestone(**{**values, **changes})


def _task(label: str = "In progress", **changes: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "taskId": 901,
        "taskName": "Go-live sign-off",
        "type": "MILESTONE",
        "dueDate": "2025-05-01",
        "status": {"value": 2, "label": label},
        "updatedAt": 1_746_000_000_000,
    }
    return {**task, **changes}


def test_a_salesforce_milestone_becomes_a_milestone_task() -> None:
    body = milestone_task_body(_milestone(target_date=None), project_id=77, phase_id=5)

    assert body == {
        "taskName": "Go-live sign-off",
        "project": {"projectId": 77},
        "type": "MILESTONE",
        "externalReferenceId": f"{KEY}-SFa0B000000000001",
        "startDate": "2025-05-01",
        "dueDate": "2025-05-01",
        "phase": {"phaseId": 5},
    }


def test_the_target_date_wins_over_the_planned_date() -> None:
    body = milestone_task_body(_milestone(target_date=date(2025, 6, 2)), project_id=77)

    assert body["dueDate"] == "2025-06-02"
    assert "phase" not in body


def test_a_template_milestone_is_mirrored_into_salesforce() -> None:
    mirrored = milestone_from_rocketlane(_task(), project_key=KEY, project_id="a0A1")

    assert mirrored.key == milestone_key(KEY, "RL", "901") == f"{KEY}-RL901"
    assert (mirrored.name, mirrored.type, mirrored.status) == (
        "Go-live sign-off",
        "Delivery",
        "In progress",
    )
    assert mirrored.planned_date == mirrored.target_date == date(2025, 5, 1)
    assert (mirrored.rocketlane_task_id, mirrored.project_id) == ("901", "a0A1")


def test_a_mirrored_milestone_keeps_an_existing_external_reference() -> None:
    task = _task(externalReferenceId="HO-X-SF1")

    assert milestone_from_rocketlane(task, project_key=KEY).key == "HO-X-SF1"


def test_progress_updates_status_and_target_date() -> None:
    changes = apply_rocketlane_milestone(
        _milestone(), _task(dueDate="2025-05-09"), RULES, today=TODAY
    )

    assert changes == {"Status__c": "In progress", "Target_Date__c": date(2025, 5, 9)}


def test_acceptance_dates_the_milestone_and_recognizes_its_amount() -> None:
    task = _task("Completed", dueDateActual="2025-05-12")

    changes = apply_rocketlane_milestone(_milestone(), task, RULES, today=TODAY)

    assert changes == {
        "Status__c": "Completed",
        "Acceptance_Date__c": date(2025, 5, 12),
        "Recognized_Amount__c": Decimal("25000.00"),
    }


def test_acceptance_without_an_actual_date_uses_today() -> None:
    changes = apply_rocketlane_milestone(
        _milestone(), _task("Completed"), RULES, today=TODAY
    )

    assert changes["Acceptance_Date__c"] == TODAY


def test_a_delivery_milestone_recognizes_nothing() -> None:
    changes = apply_rocketlane_milestone(
        _milestone(type="Delivery"), _task("Completed"), RULES, today=TODAY
    )

    assert "Recognized_Amount__c" not in changes
    assert changes["Acceptance_Date__c"] == TODAY


@pytest.mark.parametrize("method", ["percent_complete_hours", "eac"])
def test_other_recognition_methods_leave_the_amount_alone(method: Any) -> None:
    changes = apply_rocketlane_milestone(
        _milestone(), _task("Completed"), RULES, today=TODAY, recognition=method
    )

    assert "Recognized_Amount__c" not in changes


def test_a_reopened_milestone_loses_its_acceptance() -> None:
    accepted = _milestone(
        status="Completed",
        acceptance_date=date(2025, 5, 12),
        recognized_amount=Decimal(25000),
    )

    changes = apply_rocketlane_milestone(
        accepted, _task("In progress"), RULES, today=TODAY
    )

    assert changes == {
        "Status__c": "In progress",
        "Acceptance_Date__c": None,
        "Recognized_Amount__c": None,
    }


@pytest.mark.parametrize(
    ("rules", "task", "accepted"),
    [
        pytest.param(RULES, _task("Completed"), True, id="default-label"),
        pytest.param(RULES, _task("In progress"), False, id="other-label"),
        pytest.param(
            MilestoneRules(accepted_status_labels=("Signed off",)),
            _task("Signed off"),
            True,
            id="configured-label",
        ),
        pytest.param(
            MilestoneRules(accepted_field_id=42, accepted_field_values=("Yes",)),
            _task(
                "Completed",
                fields=[{"fieldId": 42, "fieldValue": 1, "fieldValueLabel": "Yes"}],
            ),
            True,
            id="custom-field-by-label",
        ),
        pytest.param(
            MilestoneRules(accepted_field_id=42, accepted_field_values=("Yes",)),
            _task(
                "Completed",
                fields=[{"fieldId": 42, "fieldValue": 2, "fieldValueLabel": "No"}],
            ),
            False,
            id="custom-field-says-no-whatever-the-status",
        ),
        pytest.param(
            MilestoneRules(accepted_field_id=42, accepted_field_values=("Yes",)),
            _task("Completed", fields=[{"fieldId": 7, "fieldValue": "Yes"}]),
            False,
            id="another-field-does-not-count",
        ),
    ],
)
def test_what_counts_as_accepted(
    rules: MilestoneRules, task: dict[str, Any], accepted: bool
) -> None:
    assert is_accepted(task, rules) is accepted


def test_applying_the_same_task_twice_changes_nothing_the_second_time() -> None:
    task = _task("Completed", dueDateActual="2025-05-12", dueDate="2025-05-10")
    milestone = _milestone()

    first = apply_rocketlane_milestone(milestone, task, RULES, today=TODAY)
    after = milestone.with_changes(first, rocketlane_updated_at=task["updatedAt"])
    second = apply_rocketlane_milestone(after, task, RULES, today=date(2025, 6, 1))

    assert first
    assert second == {}


def test_an_older_task_state_arriving_late_changes_nothing() -> None:
    accepted = _milestone(
        status="Completed",
        acceptance_date=date(2025, 5, 12),
        recognized_amount=Decimal(25000),
        rocketlane_updated_at=2_000,
    )

    changes = apply_rocketlane_milestone(
        accepted, _task("In progress", updatedAt=1_000), RULES, today=TODAY
    )

    assert changes == {}


def test_a_milestone_round_trips_through_its_record() -> None:
    milestone = _milestone(acceptance_date=date(2025, 5, 12), project_id="a0A1")
    record = {
        field: value.isoformat() if isinstance(value, date) else value
        for field, value in milestone.to_record().items()
    }

    assert Milestone.from_record(record) == milestone


_labels = st.sampled_from(["To do", "In progress", "Completed", "Blocked"])
_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
_tasks = st.builds(
    lambda label, due, actual, stamp: _task(
        label,
        dueDate=due.isoformat(),
        dueDateActual=actual and actual.isoformat(),
        updatedAt=stamp,
    ),
    _labels,
    _days,
    st.none() | _days,
    st.integers(1, 10**6),
)


@given(
    st.lists(_tasks, min_size=1, max_size=6, unique_by=lambda task: task["updatedAt"]),
    st.sampled_from(["Delivery", "Financial"]),
)
def test_after_any_history_every_state_seen_is_a_no_op(
    history: list[dict[str, Any]], kind: Any
) -> None:
    """Property: states arrive in any order; then none of them changes anything."""
    milestone = _milestone(type=kind)
    for task in history:
        changes = apply_rocketlane_milestone(milestone, task, RULES, today=TODAY)
        stamp = max(milestone.rocketlane_updated_at or 0, task["updatedAt"])
        milestone = milestone.with_changes(changes, rocketlane_updated_at=stamp)

    for task in history:
        assert apply_rocketlane_milestone(milestone, task, RULES, today=TODAY) == {}


@given(_tasks, st.sampled_from(["Delivery", "Financial"]))
def test_the_newest_state_decides_acceptance(task: dict[str, Any], kind: Any) -> None:
    """Property: the milestone is accepted exactly when its newest state says so."""
    milestone = _milestone(type=kind)

    changes = apply_rocketlane_milestone(milestone, task, RULES, today=TODAY)
    after = milestone.with_changes(changes)

    assert after.is_accepted is (task["status"]["label"] == "Completed")
