"""Policy switches on the embedded stack: archive on cancel, routes in Salesforce."""

from __future__ import annotations

from typing import Any

from handoff.domain.policy import Policy, RocketlaneRules, RoutingRules
from handoff.ops.stack import Stack
from tests.e2e.test_lifecycle_rules import sell, the_project

CANCELLED = 8
ROUTES = "Handoff_Template_Route__c"


def use_policy(stack: Stack, policy: Policy) -> None:
    """Every actor run from now on applies ``policy``."""
    stack.worker.runtime.policy = policy


def add_routes(seller: Any) -> None:
    """Three routes for CORE-IMP: by family, a higher-priority SKU, a broken one."""
    seller.create(
        ROUTES,
        {"Name": "By family", "Family__c": "Implementation", "Template_Id__c": 1002},
    )
    seller.create(
        ROUTES,
        {
            "Name": "Core by SKU",
            "SKU__c": "CORE-IMP",
            "Priority__c": 10,
            "Template_Id__c": 1003,
        },
    )
    seller.create(
        ROUTES,
        {"Name": "Broken", "SKU__c": "CORE-IMP", "Priority__c": 1},
    )


def test_a_lost_deal_archives_its_project_when_the_policy_says_so(
    embedded_stack: Stack,
) -> None:
    use_policy(
        embedded_stack, Policy(rocketlane=RocketlaneRules(archive_on_cancel=True))
    )
    seller, opportunity = sell(embedded_stack, stage="Proposal/Price Quote")
    embedded_stack.settle()
    project_id = int(the_project(seller)["Rocketlane_Project_Id__c"])
    workspace = embedded_stack.sandboxes.workspace
    assert not workspace.projects[project_id].get("archived")

    seller.update("Opportunity", opportunity, {"StageName": "Closed Lost"})
    embedded_stack.settle()

    project = workspace.projects[project_id]
    assert the_project(seller)["Forecast_Status__c"] == "Cancelled"
    assert project["status"]["value"] == CANCELLED
    assert project["archived"] is True
    (archived,) = [
        entry
        for entry in embedded_stack.store.list_audit(limit=1000)
        if entry.operation == "archive"
    ]
    assert archived.record_id == str(project_id)


def test_a_lost_deal_is_not_archived_by_default(embedded_stack: Stack) -> None:
    seller, opportunity = sell(embedded_stack, stage="Proposal/Price Quote")
    embedded_stack.settle()
    project_id = int(the_project(seller)["Rocketlane_Project_Id__c"])

    seller.update("Opportunity", opportunity, {"StageName": "Closed Lost"})
    embedded_stack.settle()

    project = embedded_stack.sandboxes.workspace.projects[project_id]
    assert project["status"]["value"] == CANCELLED
    assert not project.get("archived")


def test_templates_are_routed_by_the_routes_kept_in_salesforce(
    embedded_stack: Stack,
) -> None:
    """The lowest priority number wins; a broken row is skipped, not used."""
    use_policy(embedded_stack, Policy(routing=RoutingRules(source="salesforce")))
    admin = embedded_stack.sandboxes.salesforce_client(client_tag="admin")
    add_routes(admin)

    seller, _ = sell(embedded_stack, stage="Closed Won")
    embedded_stack.settle()

    project = the_project(seller)
    (row,) = seller.query(
        f"SELECT Template_Id__c FROM Project__c WHERE Id = '{project['Id']}'"
    )
    assert int(row["Template_Id__c"]) == 1003
    rocketlane = embedded_stack.sandboxes.workspace.projects[
        int(project["Rocketlane_Project_Id__c"])
    ]
    assert [source["templateId"] for source in rocketlane["sources"]] == [1003]
