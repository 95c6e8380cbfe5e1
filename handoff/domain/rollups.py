"""Roll-ups: project figures summed onto the deal and the account.

Each target object (``RollupRules.targets``: Opportunity, Order, Account, …)
gets, per record, the revenue recognized and hours burned by its projects,
and this period's milestone picture: due, accepted, the revenue attached to
those acceptances, and those at risk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .milestones import Milestone
from .policy import MilestoneRules, RollupRules
from .values import money

__all__ = ["ROLLUP_FIELDS", "RollUp", "roll_up"]

ROLLUP_FIELDS = (
    "Handoff_Recognized_Revenue__c",
    "Handoff_Hours_Burned__c",
    "Handoff_Milestones_Due__c",
    "Handoff_Milestones_Accepted__c",
    "Handoff_Accepted_Revenue__c",
    "Handoff_Milestones_At_Risk__c",
)


@dataclass(frozen=True)
class RollUp:
    """The roll-up field values for one record of a target object."""

    sobject: str
    record_id: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Period:
    start: date
    end: date
    as_of: date
    at_risk_labels: tuple[str, ...]

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


def roll_up(
    projects: Sequence[Mapping[str, Any]],
    milestones: Sequence[Milestone],
    period_start: date,
    period_end: date,
    *,
    rules: RollupRules | None = None,
    milestone_rules: MilestoneRules | None = None,
    today: date | None = None,
) -> list[RollUp]:
    """Roll-ups of Project__c rows (with ``Id`` and the lookup fields) per target.

    Milestones join their project by ``project_id`` (the Project__c ID). A
    milestone is at risk when it is not accepted and either overdue on
    ``today`` (default: the period's end) or in an at-risk status.
    """
    rules = rules or RollupRules()
    labels = (milestone_rules or MilestoneRules()).at_risk_status_labels
    period = _Period(period_start, period_end, today or period_end, labels)
    return [
        RollUp(sobject, record_id, _figures(group, milestones, period))
        for sobject, lookup in sorted(rules.targets.items())
        for record_id, group in sorted(_grouped(projects, lookup).items())
    ]


def _grouped(
    projects: Iterable[Mapping[str, Any]], lookup: str
) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for project in projects:
        if project.get(lookup):
            groups.setdefault(str(project[lookup]), []).append(project)
    return groups


def _figures(
    projects: Sequence[Mapping[str, Any]],
    milestones: Sequence[Milestone],
    period: _Period,
) -> dict[str, Any]:
    ids = {str(project.get("Id")) for project in projects}
    own = [milestone for milestone in milestones if milestone.project_id in ids]
    accepted = [
        milestone for milestone in own if period.holds(milestone.acceptance_date)
    ]
    return {
        "Handoff_Recognized_Revenue__c": _sum(projects, "Recognized_Revenue__c"),
        "Handoff_Hours_Burned__c": _sum(projects, "Hours_Burned__c"),
        "Handoff_Milestones_Due__c": sum(1 for m in own if period.holds(m.due_date)),
        "Handoff_Milestones_Accepted__c": len(accepted),
        "Handoff_Accepted_Revenue__c": money(sum(_amounts(accepted), Decimal(0))),
        "Handoff_Milestones_At_Risk__c": sum(1 for m in own if _at_risk(m, period)),
    }


def _sum(projects: Iterable[Mapping[str, Any]], name: str) -> Decimal:
    values = (Decimal(str(project.get(name) or 0)) for project in projects)
    return money(sum(values, Decimal(0)))


def _amounts(milestones: Iterable[Milestone]) -> Iterable[Decimal]:
    for milestone in milestones:
        if milestone.is_financial:
            yield milestone.recognized_amount or milestone.amount or Decimal(0)


def _at_risk(milestone: Milestone, period: _Period) -> bool:
    if milestone.is_accepted:
        return False
    due = milestone.due_date
    overdue = due is not None and due < period.as_of
    return overdue or milestone.status in period.at_risk_labels
