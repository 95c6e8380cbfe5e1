"""Roll-ups of project figures onto opportunities, orders and accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from handoff.domain.milestones import Milestone
from handoff.domain.policy import RollupRules
from handoff.domain.rollups import ROLLUP_FIELDS, roll_up

MAY = (date(2025, 5, 1), date(2025, 5, 31))

PROJECTS = [
    {
        "Id": "P1",
        "Opportunity__c": "O1",
        "Account__c": "A1",
        "Recognized_Revenue__c": 1000.5,
        "Hours_Burned__c": 10,
    },
    {
        "Id": "P2",
        "Opportunity__c": "O2",
        "Account__c": "A1",
        "Recognized_Revenue__c": "250.25",
        "Hours_Burned__c": None,
    },
    {
        "Id": "P3",
        "Opportunity__c": None,
        "Account__c": None,
        "Recognized_Revenue__c": 5,
    },
]


def _milestone(key: str, project: str, **more: Any) -> Milestone:
    return Milestone(key=key, name=key, project_id=project, **more)


MILESTONES = [
    _milestone(
        "due-and-accepted",
        "P1",
        type="Financial",
        target_date=date(2025, 5, 10),
        acceptance_date=date(2025, 5, 12),
        amount=Decimal(500),
        recognized_amount=Decimal(500),
    ),
    _milestone("overdue", "P1", target_date=date(2025, 5, 5)),
    _milestone("blocked-later", "P2", planned_date=date(2025, 7, 1), status="Blocked"),
    _milestone("accepted-in-april", "P2", acceptance_date=date(2025, 4, 30)),
]


def _by_target() -> dict[tuple[str, str], dict[str, Any]]:
    rollups = roll_up(PROJECTS, MILESTONES, *MAY, today=date(2025, 5, 20))
    return {(rollup.sobject, rollup.record_id): rollup.values for rollup in rollups}


def test_every_record_gets_every_rollup_field() -> None:
    rollups = _by_target()

    assert set(rollups) == {
        ("Account", "A1"),
        ("Opportunity", "O1"),
        ("Opportunity", "O2"),
    }
    assert all(tuple(values) == ROLLUP_FIELDS for values in rollups.values())


def test_an_opportunity_sums_its_own_projects() -> None:
    assert _by_target()["Opportunity", "O1"] == {
        "Handoff_Recognized_Revenue__c": Decimal("1000.50"),
        "Handoff_Hours_Burned__c": Decimal("10.00"),
        "Handoff_Milestones_Due__c": 2,
        "Handoff_Milestones_Accepted__c": 1,
        "Handoff_Accepted_Revenue__c": Decimal("500.00"),
        "Handoff_Milestones_At_Risk__c": 1,
    }


def test_an_account_sums_all_its_deals() -> None:
    values = _by_target()["Account", "A1"]

    assert values["Handoff_Recognized_Revenue__c"] == Decimal("1250.75")
    assert values["Handoff_Milestones_Accepted__c"] == 1
    assert values["Handoff_Milestones_At_Risk__c"] == 2


def test_an_order_target_is_chosen_by_policy() -> None:
    rules = RollupRules(targets={"Order": "Order__c"})
    projects = [{"Id": "P1", "Order__c": "801A", "Hours_Burned__c": 4}]

    [rollup] = roll_up(projects, [], *MAY, rules=rules)

    assert (rollup.sobject, rollup.record_id) == ("Order", "801A")
    assert rollup.values["Handoff_Hours_Burned__c"] == Decimal("4.00")
    assert rollup.values["Handoff_Milestones_Due__c"] == 0


def test_without_today_overdue_means_due_before_the_period_ends() -> None:
    rollups = roll_up(PROJECTS[:1], MILESTONES, *MAY)

    assert rollups[0].values["Handoff_Milestones_At_Risk__c"] == 1
