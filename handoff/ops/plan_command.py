"""``handoff plan RECORD_ID``: what the policy would derive, writing nothing.

The record is an Opportunity, Quote, Order or Contract (told apart by key
prefix) or a CPQ quote (any other prefix, or ``--object``). It leads to the
policy's master deals as a change to it would; each is read, derived and
reconciled with the Project__c records that exist, and described. Only
queries are sent: nothing is written to Salesforce, Rocketlane or the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from handoff.adapters.deals import deals_to_derive, read_deal
from handoff.adapters.errors import IntegrationError
from handoff.adapters.ports import SalesforceClient
from handoff.adapters.salesforce_records import (
    keys_of,
    read_projects_of_deal,
    read_routes,
)
from handoff.domain.derive import derive
from handoff.domain.forecast import target_state
from handoff.domain.models import Deal, ProjectPlan
from handoff.domain.policy import Policy, Route
from handoff.domain.preview import describe_plans, plans_as_dict
from handoff.domain.reconcile import Reconciliation, reconcile

__all__ = ["Preview", "object_of", "plan", "preview"]

KEY_PREFIXES = {
    "006": "Opportunity",
    "0Q0": "Quote",
    "801": "Order",
    "800": "Contract",
    "001": "Account",
}
CPQ_QUOTE = "SBQQ__Quote__c"


@dataclass(frozen=True)
class Preview:
    """One master deal, the plans it derives and what would change."""

    deal: Deal
    plans: list[ProjectPlan]
    reconciliation: Reconciliation


def object_of(record_id: str) -> str:
    """The object a record ID belongs to, by its key prefix."""
    return KEY_PREFIXES.get(record_id[:3], CPQ_QUOTE)


def preview(
    client: SalesforceClient,
    policy: Policy,
    record_id: str,
    *,
    record_object: str | None = None,
) -> tuple[list[Preview], tuple[str, ...]]:
    """The previews of the deals the record leads to, and route problems."""
    source = policy.source_object
    record_object = record_object or object_of(record_id)
    deal_ids = deals_to_derive(client, source, record_object, record_id)
    routes, problems = _routes(client, policy)
    return [_preview(client, policy, deal_id, routes) for deal_id in deal_ids], problems


def _preview(
    client: SalesforceClient, policy: Policy, deal_id: str, routes: list[Route] | None
) -> Preview:
    deal = read_deal(client, policy.source_object, deal_id, policy.fields)
    plans = derive(deal, policy, routes=routes)
    records = keys_of(read_projects_of_deal(client, deal.id))
    states = {k: r.forecast_state for k, r in records.items() if r.forecast_state}
    below = target_state(deal, policy.forecast) is None
    return Preview(deal, plans, reconcile(states, plans, below_threshold=below))


def _routes(
    client: SalesforceClient, policy: Policy
) -> tuple[list[Route] | None, tuple[str, ...]]:
    if policy.routing.source != "salesforce":
        return None, ()
    table = read_routes(client, policy.routing.salesforce_object)
    return list(table.routes), table.problems


def render(previews: Sequence[Preview], problems: Sequence[str]) -> str:
    """Every preview as text, route problems first."""
    parts = [f"Template route problem: {problem}" for problem in problems]
    parts += [describe_plans(p.deal, p.plans, p.reconciliation) for p in previews]
    return "\n".join(parts) if parts else ""


def as_dict(previews: Sequence[Preview], problems: Sequence[str]) -> dict[str, Any]:
    """Every preview as one JSON-able dict."""
    return {
        "route_problems": list(problems),
        "deals": [plans_as_dict(p.deal, p.plans, p.reconciliation) for p in previews],
    }


@click.command()
@click.argument("record_id")
@click.option(
    "--object",
    "record_object",
    help="The record's object, when its key prefix does not say (a CPQ quote).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
def plan(record_id: str, record_object: str | None, as_json: bool) -> None:
    """Show the projects the policy derives for a record, writing nothing."""
    from handoff.actors.bootstrap import build_salesforce  # noqa: PLC0415
    from handoff.adapters.policy_file import load_policy  # noqa: PLC0415
    from handoff.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    policy = load_policy(settings.policy_file)
    client = build_salesforce(settings)
    try:
        previews, problems = preview(
            client, policy, record_id, record_object=record_object
        )
    except IntegrationError as error:
        raise click.ClickException(f"cannot plan {record_id}: {error}") from error
    if not previews:
        raise click.ClickException(
            f"{record_id} leads to no {policy.source_object}: nothing to plan"
        )
    if as_json:
        click.echo(json.dumps(as_dict(previews, problems), indent=2))
    else:
        click.echo(render(previews, problems), nl=False)
