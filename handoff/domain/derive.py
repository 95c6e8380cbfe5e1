"""Deriving projects from a deal: which deliverables were sold, and as what.

``derive`` is a pure function: the same deal under the same policy always
yields the same plans with the same keys, whatever order its lines come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from .forecast import target_state
from .keys import project_key
from .models import CommercialLine, Deal, ForecastState, ProjectKind, ProjectPlan
from .naming import project_name
from .policy import Policy, Route
from .routing import route_template

__all__ = ["derive", "is_master", "validate"]


def derive(
    deal: Deal, policy: Policy, *, routes: Sequence[Route] | None = None
) -> list[ProjectPlan]:
    """The projects the policy derives from the deal, sorted by key.

    Returns an empty list while the deal is below the forecast threshold (or
    is a draft order or contract), and for a deal that is not of the policy's
    master source object; plans carry their validation problems rather than
    being dropped, so the Project__c can say what is missing.
    """
    state = target_state(deal, policy.forecast)
    if state is None or not is_master(deal, policy):
        return []
    plans = [
        _plan(deal, group, policy, state, routes)
        for group in _deliverables(deal, policy)
    ]
    return sorted(plans, key=lambda plan: plan.key)


def is_master(deal: Deal, policy: Policy) -> bool:
    """Whether the deal is of the object the policy makes projects from."""
    return deal.source_object == policy.source_object


def validate(plan: ProjectPlan, policy: Policy) -> tuple[str, ...]:
    """What blocks provisioning this plan, as sentences an admin can act on."""
    checks = {
        "owner": (plan.owner_id or plan.owner_email, "the deal has no owner"),
        "start_date": (
            plan.start_date,
            "no start date: set the line's service date or the close date",
        ),
        "region": (plan.region, f"no region: set {policy.fields.region}"),
        "routing_key": (
            plan.template_id,
            "no Rocketlane template: no route matches and there is no default",
        ),
    }
    return tuple(
        text
        for name in policy.validation.require
        for value, text in [checks[name]]
        if not value
    )


def _deliverables(deal: Deal, policy: Policy) -> list[tuple[CommercialLine, ...]]:
    """Lines grouped into deliverables: one per line, or one per bundle."""
    singles: list[tuple[CommercialLine, ...]] = []
    bundles: dict[tuple[str, ...], list[CommercialLine]] = {}
    for line in sorted(deal.lines, key=lambda line: line.id):
        if _treatment(line, policy) == "ignore":
            continue
        if line.bundle_key is None:
            singles.append((line,))
            continue
        bundles.setdefault(_bundle_id(line, policy), []).append(line)
    return singles + [tuple(lines) for _, lines in sorted(bundles.items())]


def _treatment(line: CommercialLine, policy: Policy) -> str:
    return policy.products.treatment(line.product_family, line.product_code)


def _bundle_id(line: CommercialLine, policy: Policy) -> tuple[str, ...]:
    parts = [line.bundle_key or ""]
    if policy.products.split_bundles_by_date:
        parts.append(line.service_date.isoformat() if line.service_date else "")
    if policy.products.split_bundles_by_team:
        parts.append(line.team or "")
    return tuple(parts)


def _plan(
    deal: Deal,
    lines: tuple[CommercialLine, ...],
    policy: Policy,
    state: ForecastState,
    routes: Sequence[Route] | None,
) -> ProjectPlan:
    lead = lines[0]
    bundle = lead.bundle_key if len(lines) > 1 or lead.bundle_key else None
    if bundle is None:
        key = project_key(lead.source_object, lead.id)
    else:
        key = project_key(
            deal.source_object, deal.id, bundle="/".join(_bundle_id(lead, policy))
        )
    kind = ProjectKind(_treatment(lead, policy))
    sku = bundle or lead.product_code
    start = min(
        (line.service_date for line in lines if line.service_date),
        default=deal.close_date,
    )
    due = max((line.end_date for line in lines if line.end_date), default=None)
    if due is None and start is not None:
        due = start + timedelta(days=policy.rocketlane.default_duration_days)
    template = route_template(
        policy.routing,
        sku=sku,
        family=lead.product_family,
        region=deal.region,
        segment=deal.segment,
        routes=routes,
    )
    name = project_name(
        policy.naming,
        {
            "account": deal.account_name,
            "sku": sku,
            "region": deal.region,
            "product": lead.product_name,
            "deal": deal.name,
            "segment": deal.segment,
        },
    )
    plan = ProjectPlan(
        key=key,
        name=name,
        deal_id=deal.id,
        deal_object=deal.source_object,
        kind=kind,
        forecast_state=state,
        line_ids=tuple(line.id for line in lines),
        account_id=deal.account_id,
        account_name=deal.account_name,
        opportunity_id=deal.opportunity_id
        or (deal.id if deal.source_object == "Opportunity" else None),
        product_code=sku,
        product_family=lead.product_family,
        region=deal.region,
        segment=deal.segment,
        owner_id=deal.owner_id,
        owner_email=deal.owner_email,
        template_id=template,
        start_date=start,
        due_date=due,
        budget_hours=_hours(lines) if kind is ProjectKind.RETAINER else None,
        amount=_amount(lines),
        components=tuple(line.product_code or line.product_name for line in lines)
        if bundle
        else (),
        upsell_of_key=lead.upsell_of_key,
        rocketlane_target=_rocketlane_target(lead, policy),
    )
    return _with_problems(plan, policy)


def _rocketlane_target(line: CommercialLine, policy: Policy) -> str:
    if line.upsell_of_key is None or policy.rocketlane.upsell == "new_project":
        return "project"
    return f"phase_of:{line.upsell_of_key}"


def _with_problems(plan: ProjectPlan, policy: Policy) -> ProjectPlan:
    return replace(plan, problems=validate(plan, policy))


def _hours(lines: tuple[CommercialLine, ...]) -> Decimal:
    return sum((line.quantity for line in lines), Decimal(0))


def _amount(lines: tuple[CommercialLine, ...]) -> Decimal | None:
    prices = [line.total_price for line in lines if line.total_price is not None]
    return sum(prices, Decimal(0)) if prices else None
