"""Computed project properties: hours, budget, progress, phase, money.

The formulas follow the spec's descriptions where it gives one:

- ``trackedMinutes`` sums every non-deleted time entry on the project (the
  sandbox has no timesheet approval, so every entry counts), split into
  ``billableMinutes`` and ``nonBillableMinutes``; ``*Hours`` are whole hours.
- ``remainingHours`` = ``budgetedHours`` − tracked hours;
  ``percentageBudgetedHoursConsumed`` = tracked / budgeted × 100.
- ``progressPercentage`` = completed tasks / all tasks × 100, rounded down.
- ``financials.metrics``: ``actualRevenue`` = Σ billable hours × bill rate
  for time and material, fixed fee × progress for fixed fee;
  ``actualCost`` = Σ hours × cost rate; profit = revenue − cost; margin =
  profit / revenue × 100. Estimates use the allocations instead of time.
- ``percentageBudgetConsumed`` = actual revenue (time and material) or
  actual cost (fixed fee) over the project budget or fee, × 100.
- ``inferredProgress`` compares progress with the share of the planned
  duration already elapsed: ten points ahead is AHEAD_OF_TIME, ten behind
  (or past the due date unfinished) RUNNING_LATE.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .catalog import COMPLETED, IN_PROGRESS
from .values import placeholder_ref, project_brief

if TYPE_CHECKING:
    from .people import RateCard
    from .store import WorkspaceState

__all__ = [
    "allocation",
    "placeholder_allocations",
    "project_metrics",
    "rate_card_of",
    "role_rates",
]

Record = dict[str, Any]
SLACK_POINTS = 10
DERIVED_ID_OFFSET = 10**15


def project_metrics(ws: WorkspaceState, project: Mapping[str, Any]) -> Record:
    """Every computed property of ``project``, keyed as responses show them."""
    project_id = project["projectId"]
    entries = [
        e
        for e in ws.time_entries.values()
        if (e.get("project") or {}).get("projectId") == project_id and not e["deleted"]
    ]
    result = _hours(project, entries)
    result.update(_allocated(ws, project_id))
    result.update(_progress(ws, project))
    result.update(_schedule(ws, project))
    result.update(_people(ws, project))
    money = _money(ws, project, entries, result)
    if money is not None:
        result["financials"] = money
        result.update(_budget_consumed(money))
    return result


def _hours(project: Mapping[str, Any], entries: list[Record]) -> Record:
    tracked = sum(e["minutes"] for e in entries)
    billable = sum(e["minutes"] for e in entries if e["billable"])
    result: Record = {
        "trackedMinutes": float(tracked),
        "trackedHours": tracked // 60,
        "billableMinutes": float(billable),
        "billableHours": billable // 60,
        "nonBillableMinutes": float(tracked - billable),
        "nonBillableHours": (tracked - billable) // 60,
    }
    budgeted = project.get("budgetedHours")
    if budgeted is not None:
        remaining = budgeted * 60 - tracked
        result["remainingMinutes"] = int(remaining)
        result["remainingHours"] = int(remaining // 60)
        if budgeted > 0:
            share = tracked / 60 / budgeted * 100
            result["percentageBudgetedHoursConsumed"] = round(share, 2)
    return result


def _allocated(ws: WorkspaceState, project_id: int) -> Record:
    minutes = sum(
        a["duration"]["minutes"]
        for a in ws.all_allocations()
        if a["project"]["projectId"] == project_id
    )
    return {"allocatedMinutes": float(minutes), "allocatedHours": minutes // 60}


def _progress(ws: WorkspaceState, project: Mapping[str, Any]) -> Record:
    tasks = [
        t
        for t in ws.tasks.values()
        if t["project"]["projectId"] == project["projectId"] and not t["archived"]
    ]
    done = [t for t in tasks if _category(ws, t) == COMPLETED]
    percent = len(done) * 100 // len(tasks) if tasks else 0
    result: Record = {"progressPercentage": percent}
    result["inferredProgress"] = _inferred(ws, project, percent, bool(tasks))
    phases = [
        p
        for p in ws.phases.values()
        if p["project"]["projectId"] == project["projectId"]
    ]
    result["currentPhases"] = _current_phases(ws, phases)
    return result


def _category(ws: WorkspaceState, task: Mapping[str, Any]) -> str:
    return ws.task_statuses[task["status"]["value"]].category


def _inferred(
    ws: WorkspaceState, project: Mapping[str, Any], percent: int, has_tasks: bool
) -> str:
    start, due = project.get("startDate"), project.get("dueDate")
    if not (start and due and has_tasks):
        return "NONE"
    first, last, today = date.fromisoformat(start), date.fromisoformat(due), ws.today()
    if today > last and percent < 100:
        return "RUNNING_LATE"
    span = max((last - first).days, 1)
    elapsed = min(max((today - first).days, 0), span)
    expected = elapsed * 100 / span
    if percent >= expected + SLACK_POINTS:
        return "AHEAD_OF_TIME"
    if percent <= expected - SLACK_POINTS:
        return "RUNNING_LATE"
    return "ON_TRACK"


def _current_phases(ws: WorkspaceState, phases: list[Record]) -> list[Record]:
    active = [
        p
        for p in phases
        if ws.phase_statuses[p["status"]["value"]].category == IN_PROGRESS
    ]
    if not active:
        today = ws.today().isoformat()
        active = [p for p in phases if p["startDate"] <= today <= p["dueDate"]]
    active.sort(key=lambda p: p["phaseId"])
    return [{"phaseId": p["phaseId"], "phaseName": p["phaseName"]} for p in active]


def _schedule(ws: WorkspaceState, project: Mapping[str, Any]) -> Record:
    created = date.fromtimestamp(project["createdAt"] / 1000)
    result: Record = {"projectAgeInDays": max((ws.today() - created).days, 0)}
    start, due = project.get("startDate"), project.get("dueDate")
    if start and due:
        days = (date.fromisoformat(due) - date.fromisoformat(start)).days + 1
        result["plannedDurationInDays"] = days
    return result


def _people(ws: WorkspaceState, project: Mapping[str, Any]) -> Record:
    customers = project["teamMembers"]["customers"]
    joined = [
        c
        for c in customers
        if (ws.users.get(c["userId"]) or {}).get("status") == "ACTIVE"
    ]
    return {"customersInvited": len(customers), "customersJoined": len(joined)}


def rate_card_of(ws: WorkspaceState, project_id: int | None) -> RateCard | None:
    """The rate card of a time and material project, if it has one."""
    project = ws.projects.get(project_id) if project_id is not None else None
    contract = ((project or {}).get("financials") or {}).get("timeAndMaterialContract")
    card_id = ((contract or {}).get("rateCard") or {}).get("rateCardId")
    return ws.rate_cards.get(card_id) if card_id is not None else None


def role_rates(
    ws: WorkspaceState, *, user_id: int | None, project_id: int | None, role: str
) -> tuple[float, float, str]:
    """Hourly cost and bill rates and their currency for ``role`` on a project.

    The project's rate card sets them by role name; without a card, or for a
    role it does not list, the user's own rates count (none without a user).
    """
    cost, bill = ws.user_rates.get(user_id, (0.0, 0.0)) if user_id else (0.0, 0.0)
    card = rate_card_of(ws, project_id)
    if card is None:
        return cost, bill, "USD"
    cost = card.cost_rates.get(role, cost)
    bill = card.bill_rates.get(role, bill)
    return cost, bill, card.currency


def _money(
    ws: WorkspaceState,
    project: Mapping[str, Any],
    entries: list[Record],
    computed: Mapping[str, Any],
) -> Record | None:
    financials = project.get("financials")
    if financials is None:
        return None
    cost = sum(e["minutes"] / 60 * e["costRate"]["rate"] for e in entries)
    revenue = _revenue(financials, entries, computed["progressPercentage"])
    estimated_revenue, estimated_cost = _estimates(ws, project)
    metrics = {
        "actualRevenue": round(revenue, 2),
        "actualCost": round(cost, 2),
        "actualProfit": round(revenue - cost, 2),
        "actualProfitMargin": _margin(revenue, cost),
        "estimatedRevenue": round(estimated_revenue, 2),
        "estimatedCost": round(estimated_cost, 2),
        "estimatedProfit": round(estimated_revenue - estimated_cost, 2),
        "estimatedProfitMargin": _margin(estimated_revenue, estimated_cost),
        "estimateAtCompletion": round(computed["allocatedMinutes"] / 60, 2),
        "estimationToCompletionInHours": round(
            max(computed["allocatedMinutes"] - computed["trackedMinutes"], 0) / 60, 2
        ),
    }
    return {**financials, "metrics": metrics}


def _revenue(
    financials: Mapping[str, Any], entries: list[Record], percent: int
) -> float:
    kind = financials["contractType"]
    if kind == "FIXED_FEE":
        return float(financials["fixedFeeContract"]["fixedFee"]) * percent / 100
    if kind == "NON_BILLABLE":
        return 0.0
    return float(
        sum(e["minutes"] / 60 * e["billRate"]["rate"] for e in entries if e["billable"])
    )


def _margin(revenue: float, cost: float) -> float:
    return round((revenue - cost) / revenue * 100, 2) if revenue else 0.0


def _estimates(ws: WorkspaceState, project: Mapping[str, Any]) -> tuple[float, float]:
    revenue = cost = 0.0
    for item in ws.all_allocations():
        if item["project"]["projectId"] != project["projectId"]:
            continue
        hours = item["duration"]["minutes"] / 60
        hourly_cost, hourly_bill, _ = role_rates(
            ws,
            user_id=(item.get("member") or {}).get("userId"),
            project_id=project["projectId"],
            role=_allocation_role(ws, item),
        )
        revenue += hours * hourly_bill
        cost += hours * hourly_cost
    return revenue, cost


def _allocation_role(ws: WorkspaceState, item: Mapping[str, Any]) -> str:
    placeholder = item.get("placeholder")
    if placeholder:
        return str(placeholder["role"]["roleName"])
    member_id = (item.get("member") or {}).get("userId")
    user = ws.users.get(int(member_id), {}) if member_id is not None else {}
    return str((user.get("role") or {}).get("roleName", ""))


def _budget_consumed(financials: Mapping[str, Any]) -> Record:
    metrics = financials["metrics"]
    if financials["contractType"] == "FIXED_FEE":
        budget = financials["fixedFeeContract"]["fixedFee"]
        spent = metrics["actualCost"]
    else:
        contract = financials.get("timeAndMaterialContract") or {}
        budget = contract.get("projectBudget") or 0
        spent = metrics["actualRevenue"]
    if not budget:
        return {}
    return {"percentageBudgetConsumed": round(spent / budget * 100, 2)}


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days from ``start`` to ``end``, both included."""
    days = (end - start).days + 1
    return sum(1 for n in range(max(days, 0)) if (start + timedelta(n)).weekday() < 5)


def allocation(
    ws: WorkspaceState,
    project: Mapping[str, Any],
    *,
    start: str,
    end: str,
    minutes_per_day: int,
    kind: str,
    member: Record | None = None,
    placeholder: Record | None = None,
    allocation_id: int | None = None,
) -> Record:
    """One allocation record in the response shape of §8.4."""
    days = working_days(date.fromisoformat(start), date.fromisoformat(end))
    minutes = days * minutes_per_day
    record: Record = {
        "allocationId": allocation_id or ws.next_id(),
        "startDate": start,
        "endDate": end,
        "secondsPerDay": minutes_per_day * 60,
        "minutesPerDay": minutes_per_day,
        "hoursPerDay": round(minutes_per_day / 60, 2),
        "duration": {
            "daysConsider": days,
            "seconds": minutes * 60,
            "minutes": minutes,
            "hours": round(minutes / 60, 2),
        },
        "allocationType": kind,
        "allocationFor": "PLACEHOLDER" if member is None else "TEAM_MEMBER",
        "project": project_brief(project),
        "tasks": [],
        "createdAt": project["createdAt"],
        "updatedAt": project["updatedAt"],
    }
    if member is not None:
        role = (ws.users.get(member["userId"]) or {}).get("role")
        record["member"] = {**member, **({"role": role} if role else {})}
    if placeholder is not None:
        record["placeholder"] = placeholder_ref(placeholder)
    return record


def placeholder_allocations(ws: WorkspaceState) -> list[Record]:
    """Allocations the template placeholders imply over their project's span.

    An unassigned placeholder holds a SOFT placeholder allocation; once a
    user is assigned it becomes a HARD team-member allocation. IDs are
    derived from the placeholder's so they stay stable between reads.
    """
    result = []
    for placeholder in sorted(
        ws.placeholders.values(), key=lambda p: p["placeholderId"]
    ):
        project = ws.projects.get(placeholder["project"]["projectId"])
        if project is None or not (project.get("startDate") and project.get("dueDate")):
            continue
        user = placeholder.get("user")
        record = allocation(
            ws,
            project,
            start=project["startDate"],
            end=project["dueDate"],
            minutes_per_day=placeholder["minutesPerDay"],
            kind="HARD" if user else placeholder["allocationType"],
            member=user,
            placeholder=placeholder,
            allocation_id=DERIVED_ID_OFFSET + placeholder["placeholderId"],
        )
        result.append(record)
    return result
