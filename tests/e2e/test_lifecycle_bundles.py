"""Bundles: lines sharing a bundle key are one deliverable, unless the policy splits them."""

from __future__ import annotations

from typing import Any

from handoff.domain.policy import Policy, ProductRules
from handoff.ops.stack import Stack
from tests import sales


def sell_bundle(stack: Stack, dates: tuple[str, str]) -> Any:
    seller, opportunity = sales.sell(stack.sandboxes, codes=())
    seed = stack.sandboxes.org.seed
    for code, service_date in zip(("CORE-IMP", "DATA-MIG"), dates, strict=True):
        seller.create(
            "OpportunityLineItem",
            {
                "OpportunityId": opportunity,
                "PricebookEntryId": seed.entries[code],
                "Quantity": 1,
                "UnitPrice": 1000,
                "ServiceDate": service_date,
                "Bundle_Key__c": "PLATFORM",
            },
        )
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    stack.settle()
    return seller


def projects(seller: Any) -> list[dict[str, Any]]:
    return seller.query(
        "SELECT Id, Name, Product_Code__c, Components__c, Source_Line_Ids__c, "
        "Start_Date__c, Rocketlane_Project_Id__c FROM Project__c ORDER BY Start_Date__c"
    )


def test_a_bundle_is_one_project_with_its_components(embedded_stack: Stack) -> None:
    seller = sell_bundle(embedded_stack, ("2027-01-04", "2027-02-01"))

    (project,) = projects(seller)
    assert project["Product_Code__c"] == "PLATFORM"
    assert project["Components__c"] == "CORE-IMP, DATA-MIG"
    assert len(project["Source_Line_Ids__c"].split(",")) == 2
    assert project["Start_Date__c"] == "2027-01-04"
    assert len(sales.rocketlane_projects(embedded_stack.sandboxes, project["Id"])) == 1


def test_the_policy_splits_a_bundle_whose_lines_start_on_different_dates(
    embedded_stack: Stack,
) -> None:
    embedded_stack.worker.runtime.policy = Policy(
        products=ProductRules(split_bundles_by_date=True)
    )

    seller = sell_bundle(embedded_stack, ("2027-01-04", "2027-02-01"))

    first, second = projects(seller)
    assert (first["Start_Date__c"], second["Start_Date__c"]) == (
        "2027-01-04",
        "2027-02-01",
    )
    assert (
        first["Components__c"] == "CORE-IMP" and second["Components__c"] == "DATA-MIG"
    )
    assert all(p["Rocketlane_Project_Id__c"] for p in (first, second))
