"""The plan preview: what ``handoff plan RECORD_ID`` shows an admin.

A dry run derives the deal under the policy and, given the projects that
already exist, reconciles; this module words the result, as text for a
terminal and as a JSON-able dict for tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from .models import Deal, ProjectPlan
from .reconcile import Reconciliation

__all__ = ["describe_plans", "plans_as_dict"]

NOTHING = (
    "No projects: the deal is below the forecast threshold, is not the policy's "
    "source object, or sells nothing delivered as a project."
)


def describe_plans(
    deal: Deal,
    plans: Sequence[ProjectPlan],
    reconciliation: Reconciliation | None = None,
) -> str:
    """The preview as plain text, one paragraph per project."""
    lines = [_heading(deal), ""]
    if not plans:
        lines.append(NOTHING)
    for plan in plans:
        lines.extend(_paragraph(plan, reconciliation))
        lines.append("")
    lines.extend(_cancellations(reconciliation))
    return "\n".join(lines).rstrip() + "\n"


def plans_as_dict(
    deal: Deal,
    plans: Sequence[ProjectPlan],
    reconciliation: Reconciliation | None = None,
) -> dict[str, Any]:
    """The preview as a JSON-able dict."""
    return {
        "deal": {"id": deal.id, "object": deal.source_object, "name": deal.name},
        "projects": [_plan_dict(plan, reconciliation) for plan in plans],
        "cancel": [
            {"key": move.key, "from": str(move.current), "reason": move.reason}
            for move in (reconciliation.cancel if reconciliation else ())
        ],
    }


def _heading(deal: Deal) -> str:
    facts = [f"{deal.source_object} {deal.id}"]
    if deal.stage:
        facts.append(f"stage {deal.stage}")
    if deal.probability is not None:
        facts.append(f"probability {deal.probability}%")
    if deal.status:
        facts.append(f"status {deal.status}")
    return f"{deal.name} ({', '.join(facts)})"


def _paragraph(plan: ProjectPlan, reconciliation: Reconciliation | None) -> list[str]:
    rows = [
        ("key", plan.key),
        ("kind", str(plan.kind)),
        ("template", _text(plan.template_id)),
        ("forecast", f"{plan.forecast_state}{_action(plan, reconciliation)}"),
        ("dates", f"{_text(plan.start_date)} → {_text(plan.due_date)}"),
        ("hours", _text(plan.budget_hours)),
    ]
    if plan.components:
        rows.append(("components", ", ".join(plan.components)))
    if plan.upsell_of_key:
        rows.append(
            ("upsell of", f"{plan.upsell_of_key} (goes to {plan.rocketlane_target})")
        )
    verdict = [f"  blocked: {problem}" for problem in plan.problems] or [
        "  ready to provision"
    ]
    return [plan.name, *(f"  {name:<11}{value}" for name, value in rows), *verdict]


def _action(plan: ProjectPlan, reconciliation: Reconciliation | None) -> str:
    action = _action_word(plan, reconciliation)
    return f" ({action})" if action else ""


def _action_word(plan: ProjectPlan, reconciliation: Reconciliation | None) -> str:
    if reconciliation is None:
        return ""
    if any(created.key == plan.key for created in reconciliation.create):
        return "will be created"
    for move in reconciliation.move:
        if move.key == plan.key:
            return f"moves from {move.current}"
    for refusal in reconciliation.refuse:
        if refusal.key == plan.key:
            return f"refused: {refusal.reason}"
    if plan.key in reconciliation.skip:
        return "not created: the deal is lost"
    return "unchanged"


def _cancellations(reconciliation: Reconciliation | None) -> list[str]:
    moves = reconciliation.cancel if reconciliation else ()
    return [f"{move.key} will be cancelled: {move.reason}" for move in moves]


def _plan_dict(
    plan: ProjectPlan, reconciliation: Reconciliation | None
) -> dict[str, Any]:
    return {
        "key": plan.key,
        "name": plan.name,
        "kind": str(plan.kind),
        "template_id": plan.template_id,
        "forecast_state": str(plan.forecast_state),
        "action": _action_word(plan, reconciliation) or None,
        "start_date": _json(plan.start_date),
        "due_date": _json(plan.due_date),
        "budget_hours": _json(plan.budget_hours),
        "amount": _json(plan.amount),
        "components": list(plan.components),
        "upsell_of_key": plan.upsell_of_key,
        "rocketlane_target": plan.rocketlane_target,
        "problems": list(plan.problems),
    }


def _text(value: object) -> str:
    return "—" if value is None else str(value)


def _json(value: date | Decimal | None) -> str | float | None:
    if isinstance(value, Decimal):
        return float(value)
    return None if value is None else value.isoformat()
