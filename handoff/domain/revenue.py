"""Delivery signals and revenue: what revenue-sync writes on Project__c.

Everything is read from Rocketlane payloads as the API returns them (a project
with its ``financials.metrics``, its tasks, its project updates) plus what
Salesforce already knows (the deliverable's amount and hour budget, its
milestones). Money is rounded to cents, half up, with Decimal.

Recognized revenue follows ``RevenueRules.method``:

    milestone               the recognized amounts of accepted Financial
                            milestones
    percent_complete_hours  amount × tracked / budgeted hours, at most amount
    eac                     amount × tracked / (tracked + hours to complete)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .milestones import Milestone
from .policy import Policy
from .values import money

__all__ = ["HEALTH_BY_PROGRESS", "HEALTH_BY_STATUS", "money", "project_signals"]

HEALTH_BY_STATUS = {
    1: "On Track",
    2: "Ahead of Time",
    3: "Running Late",
    4: "At Risk",
    5: "None",
}
HEALTH_BY_PROGRESS = {
    "ON_TRACK": "On Track",
    "AHEAD_OF_TIME": "Ahead of Time",
    "RUNNING_LATE": "Running Late",
    "NONE": "None",
}
_HUNDRED = Decimal(100)
_NOTES_MAX_CHARS = 32_000
_PHASE_MAX_CHARS = 255
_TAG = re.compile(r"<[^>]+>")

Payload = Mapping[str, Any]


def project_signals(
    project: Payload,
    tasks: Sequence[Payload],
    policy: Policy,
    today: date,
    *,
    updates: Sequence[Payload] = (),
    milestones: Sequence[Milestone] = (),
    amount: Decimal | None = None,
    budget_hours: Decimal | None = None,
    synced_at: datetime | None = None,
) -> dict[str, Any]:
    """The Project__c field values Rocketlane's state calls for.

    ``amount`` and ``budget_hours`` are the Project__c's Amount__c and
    Budget_Hours__c (a retainer's bucket); without them the project's own
    fee and budgeted hours are used. Percentages are 0-100.
    """
    labels = policy.revenue.completed_task_labels
    hours = _hours(project, budget_hours)
    revenue = _recognized(project, policy, milestones, amount, hours)
    return {
        **_health(project, updates),
        "Current_Phase__c": _phases(project),
        "Progress_Percent__c": _rounded(project.get("progressPercentage")),
        **_counts("Tasks", _of_type(tasks, milestone=False), labels, today),
        **_counts("Milestones", _of_type(tasks, milestone=True), labels, today),
        **hours,
        **_margin(revenue, _rounded(_metrics(project).get("actualCost"))),
        "Last_Synced_At__c": (synced_at or today).isoformat(),
    }


def _health(project: Payload, updates: Sequence[Payload]) -> dict[str, Any]:
    ordered = sorted(updates, key=_published)
    rated = [update for update in ordered if _status_value(update) in HEALTH_BY_STATUS]
    if rated:
        health = HEALTH_BY_STATUS[_status_value(rated[-1]) or 5]
    else:
        health = HEALTH_BY_PROGRESS.get(str(project.get("inferredProgress")), "None")
    notes = _notes(ordered[-1]) if ordered else None
    return {"Health__c": health, "Health_Notes__c": notes}


def _published(update: Payload) -> int:
    for name in ("publishedAt", "updatedAt", "createdAt"):
        if update.get(name) is not None:
            return int(update[name])
    return 0


def _status_value(update: Payload) -> int | None:
    """The status number of a project update.

    Rocketlane sends ``{"statusId": 4, "statusValue": "At Risk"}``: the ID is
    the number, the value its label. A bare number in ``statusValue`` is
    accepted too.
    """
    status = update.get("status") or {}
    for value in (status.get("statusId"), status.get("statusValue")):
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None


def _notes(update: Payload) -> str | None:
    parts = [str(update.get("title") or ""), _plain_text(update.get("content"))]
    text = " — ".join(part for part in parts if part)
    return text[:_NOTES_MAX_CHARS] or None


def _plain_text(content: object) -> str:
    text = html.unescape(_TAG.sub(" ", str(content or "")))
    return " ".join(text.split())


def _phases(project: Payload) -> str | None:
    names = [
        str(phase.get("phaseName")) for phase in project.get("currentPhases") or ()
    ]
    return ", ".join(names)[:_PHASE_MAX_CHARS] or None


def _of_type(tasks: Sequence[Payload], *, milestone: bool) -> list[Payload]:
    return [task for task in tasks if (task.get("type") == "MILESTONE") is milestone]


def _counts(
    prefix: str, tasks: Sequence[Payload], done: Iterable[str], today: date
) -> dict[str, int]:
    labels = frozenset(done)
    completed = [task for task in tasks if _label(task) in labels]
    open_tasks = [task for task in tasks if _label(task) not in labels]
    at_risk = [
        task for task in open_tasks if task.get("atRisk") or _overdue(task, today)
    ]
    return {
        f"{prefix}_Total__c": len(tasks),
        f"{prefix}_Completed__c": len(completed),
        f"{prefix}_At_Risk__c": len(at_risk),
    }


def _label(task: Payload) -> str | None:
    return (task.get("status") or {}).get("label")


def _overdue(task: Payload, today: date) -> bool:
    due = task.get("dueDate")
    return due is not None and date.fromisoformat(str(due)[:10]) < today


def _hours(project: Payload, budget: Decimal | None) -> dict[str, Decimal | None]:
    burned = _tracked(project)
    budgeted = budget if budget is not None else _number(project.get("budgetedHours"))
    if budgeted is None:
        remaining = _number(project.get("remainingHours"))
    else:
        remaining = money(budgeted - burned)
    return {
        "Hours_Burned__c": money(burned),
        "Hours_Remaining__c": remaining,
        "Hours_Budgeted__c": None if budgeted is None else money(budgeted),
        "Budget_Consumed_Percent__c": _share(burned, budgeted),
    }


def _tracked(project: Payload) -> Decimal:
    hours = _number(project.get("trackedHours"))
    if hours is not None:
        return hours
    minutes = _number(project.get("trackedMinutes"))
    return Decimal(0) if minutes is None else minutes / 60


def _share(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return money(part / whole * _HUNDRED)


def _recognized(
    project: Payload,
    policy: Policy,
    milestones: Sequence[Milestone],
    amount: Decimal | None,
    hours: Mapping[str, Decimal | None],
) -> Decimal | None:
    method = policy.revenue.method
    if method == "milestone":
        return money(sum(_recognized_amounts(milestones), Decimal(0)))
    price = amount if amount is not None else _price(project)
    if price is None:
        return None
    burned = _tracked(project)
    if method == "percent_complete_hours":
        return _by_hours(price, burned, hours["Hours_Budgeted__c"])
    return _by_eac(
        price, burned, _number(_metrics(project).get("estimationToCompletionInHours"))
    )


def _recognized_amounts(milestones: Iterable[Milestone]) -> Iterable[Decimal]:
    for milestone in milestones:
        if milestone.is_financial and milestone.is_accepted:
            yield milestone.recognized_amount or Decimal(0)


def _by_hours(price: Decimal, burned: Decimal, budgeted: Decimal | None) -> Decimal:
    if not budgeted:
        return Decimal("0.00")
    return money(min(price, price * burned / budgeted))


def _by_eac(price: Decimal, burned: Decimal, to_complete: Decimal | None) -> Decimal:
    total = burned + (to_complete or Decimal(0))
    if not total:
        return Decimal("0.00")
    return money(min(price, price * burned / total))


def _price(project: Payload) -> Decimal | None:
    financials = project.get("financials") or {}
    fixed = (financials.get("fixedFeeContract") or {}).get("fixedFee")
    return _number(fixed if fixed is not None else project.get("projectFee"))


def _metrics(project: Payload) -> Payload:
    return (project.get("financials") or {}).get("metrics") or {}


def _margin(revenue: Decimal | None, cost: Decimal | None) -> dict[str, Decimal | None]:
    margin = None if revenue is None else money(revenue - (cost or Decimal(0)))
    percent = (
        None if not revenue or margin is None else money(margin / revenue * _HUNDRED)
    )
    return {
        "Recognized_Revenue__c": revenue,
        "Cost__c": cost,
        "Margin__c": margin,
        "Margin_Percent__c": percent,
    }


def _rounded(value: object) -> Decimal | None:
    number = _number(value)
    return None if number is None else money(number)


def _number(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value))
