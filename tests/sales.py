"""Selling in the Salesforce sandbox, the way a sales rep would."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handoff.ops.stack import Sandboxes


def sell(
    sandboxes: Sandboxes,
    *,
    account: str = "Acme Corp",
    region: str | None = "EMEA",
    stage: str = "Prospecting",
    codes: tuple[str, ...] = ("CORE-IMP",),
    close_in_days: int = 30,
) -> tuple[Any, str]:
    """An Account, an Opportunity at ``stage`` and one line per product code.

    Returns the seller's Salesforce client (writing under its own client
    tag, so its change events are not Handoff's echoes) and the Opportunity ID.
    """
    seller = sandboxes.salesforce_client(client_tag="seller")
    seed = sandboxes.org.seed
    fields = {"Name": account} | ({"Region__c": region} if region else {})
    account_id = seller.create("Account", fields)
    opportunity = seller.create(
        "Opportunity",
        {
            "Name": f"{account} rollout",
            "AccountId": account_id,
            "StageName": stage,
            "CloseDate": (date.today() + timedelta(days=close_in_days)).isoformat(),
            "Pricebook2Id": seed.standard_pricebook_id,
        },
    )
    for code in codes:
        line = {"OpportunityId": opportunity, "PricebookEntryId": seed.entries[code]}
        seller.create("OpportunityLineItem", line | {"Quantity": 1, "UnitPrice": 1000})
    return seller, opportunity


def rocketlane_projects(sandboxes: Sandboxes, reference: str) -> list[dict[str, Any]]:
    """The Rocketlane projects carrying this externalReferenceId."""
    projects = sandboxes.workspace.projects.values()
    return [p for p in projects if p.get("externalReferenceId") == reference]
