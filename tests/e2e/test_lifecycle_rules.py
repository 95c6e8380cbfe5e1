"""Lifecycle rules on the embedded stack: bursts, echoes, blocks, refusals, plan."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from handoff.ops.plan_command import as_dict, preview, render
from handoff.ops.stack import Stack

CLOSE = date.today() + timedelta(days=30)


def sell(stack: Stack, *, region: str | None = "EMEA", stage: str) -> tuple[Any, str]:
    seller = stack.sandboxes.salesforce_client(client_tag="seller")
    seed = stack.sandboxes.org.seed
    account = seller.create("Account", {"Name": "Acme Corp", "Region__c": region})
    opportunity = seller.create(
        "Opportunity",
        {
            "Name": "Acme rollout",
            "AccountId": account,
            "StageName": stage,
            "CloseDate": CLOSE.isoformat(),
            "Pricebook2Id": seed.standard_pricebook_id,
        },
    )
    seller.create(
        "OpportunityLineItem",
        {
            "OpportunityId": opportunity,
            "PricebookEntryId": seed.entries["CORE-IMP"],
            "Quantity": 1,
            "UnitPrice": 1000,
        },
    )
    return seller, opportunity


def the_project(seller: Any) -> dict[str, Any]:
    (project,) = seller.query(
        "SELECT Id, Handoff_Key__c, Forecast_Status__c, Rocketlane_Project_Id__c, "
        "Sync_Status__c, Sync_Error__c, Start_Date__c, Account__c FROM Project__c"
    )
    return project


def count_puts(stack: Stack) -> Counter[int]:
    puts: Counter[int] = Counter()
    workspace = stack.sandboxes.workspace
    update = workspace.update_project

    def counted(project_id: int, *args: Any, **kwargs: Any) -> Any:
        puts[int(project_id)] += 1
        return update(project_id, *args, **kwargs)

    workspace.update_project = counted  # type: ignore[method-assign]
    return puts


def test_a_burst_of_changes_makes_one_update_and_echoes_make_none(
    embedded_stack: Stack,
) -> None:
    seller, opportunity = sell(embedded_stack, stage="Closed Won")
    embedded_stack.settle()
    puts = count_puts(embedded_stack)
    events_before = len(embedded_stack.sandboxes.org.bus.events)

    for days in range(1, 6):
        moved = CLOSE + timedelta(days=days)
        seller.update("Opportunity", opportunity, {"CloseDate": moved.isoformat()})
    embedded_stack.settle()

    project = the_project(seller)
    assert list(puts.values()) == [1]
    rocketlane = embedded_stack.sandboxes.workspace.projects[
        int(project["Rocketlane_Project_Id__c"])
    ]
    assert rocketlane["startDate"] == (CLOSE + timedelta(days=5)).isoformat()
    handoff_writes = [
        e
        for e in list(embedded_stack.sandboxes.org.bus.events)[events_before:]
        if e["channel"] == "/data/Project__ChangeEvent"
    ]
    assert handoff_writes, "derive wrote the moved dates to Project__c"

    seller.update("Opportunity", opportunity, {"Description": "not mapped"})
    embedded_stack.settle()

    assert sum(puts.values()) == 1


def test_a_missing_region_blocks_until_the_account_is_fixed(
    embedded_stack: Stack,
) -> None:
    seller, _ = sell(embedded_stack, region=None, stage="Closed Won")
    embedded_stack.settle()

    blocked = the_project(seller)
    assert blocked["Sync_Status__c"] == "Blocked"
    assert "no region" in blocked["Sync_Error__c"]
    assert not embedded_stack.sandboxes.workspace.projects or not any(
        p.get("externalReferenceId") == blocked["Id"]
        for p in embedded_stack.sandboxes.workspace.projects.values()
    )

    seller.update("Account", blocked["Account__c"], {"Region__c": "EMEA"})
    embedded_stack.settle()

    unblocked = the_project(seller)
    assert unblocked["Sync_Status__c"] == "Synced"
    assert unblocked["Sync_Error__c"] is None
    assert unblocked["Rocketlane_Project_Id__c"]


def test_a_booked_project_refuses_to_return_to_the_forecast(
    embedded_stack: Stack,
) -> None:
    seller, opportunity = sell(embedded_stack, stage="Closed Won")
    embedded_stack.settle()
    booked = the_project(seller)

    seller.update("Opportunity", opportunity, {"StageName": "Negotiation/Review"})
    embedded_stack.settle()

    project = the_project(seller)
    assert project["Forecast_Status__c"] == "Booked"
    assert "never returns to the forecast" in project["Sync_Error__c"]
    assert project["Rocketlane_Project_Id__c"] == booked["Rocketlane_Project_Id__c"]
    (refused,) = [
        t
        for t in embedded_stack.store.list_transitions(project["Handoff_Key__c"])
        if not t.accepted
    ]
    assert (refused.from_state, refused.to_state) == ("Booked", "Reserved")


def test_a_lost_then_reopened_deal_returns_to_the_same_project(
    embedded_stack: Stack,
) -> None:
    seller, opportunity = sell(embedded_stack, stage="Proposal/Price Quote")
    embedded_stack.settle()
    first = the_project(seller)

    seller.update("Opportunity", opportunity, {"StageName": "Closed Lost"})
    embedded_stack.settle()
    assert the_project(seller)["Forecast_Status__c"] == "Cancelled"
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    embedded_stack.settle()

    again = the_project(seller)
    assert (again["Id"], again["Forecast_Status__c"]) == (first["Id"], "Booked")
    assert again["Rocketlane_Project_Id__c"] == first["Rocketlane_Project_Id__c"]
    status = embedded_stack.sandboxes.workspace.projects[
        int(again["Rocketlane_Project_Id__c"])
    ]["status"]["value"]
    assert status == 2


def test_plan_shows_the_projects_and_writes_nothing(embedded_stack: Stack) -> None:
    seller, opportunity = sell(embedded_stack, region=None, stage="Prospecting")
    embedded_stack.settle()
    seller.update("Opportunity", opportunity, {"Probability": 60})
    embedded_stack.settle()
    reader = embedded_stack.sandboxes.salesforce_client(client_tag="planner")
    events = len(embedded_stack.sandboxes.org.bus.events)
    projects = dict(embedded_stack.sandboxes.workspace.projects)
    audit = len(embedded_stack.store.list_audit(limit=10_000))
    policy = embedded_stack.worker.runtime.policy

    previews, problems = preview(reader, policy, opportunity)

    text = render(previews, problems)
    assert "Acme Corp – CORE-IMP – ?" in text
    assert "blocked: no region" in text
    assert "Forecasted" in text
    (deal,) = as_dict(previews, problems)["deals"]
    (planned,) = deal["projects"]
    assert planned["template_id"] == 1001 and planned["key"].startswith("HO-")
    assert len(embedded_stack.sandboxes.org.bus.events) == events
    assert embedded_stack.sandboxes.workspace.projects == projects
    assert len(embedded_stack.store.list_audit(limit=10_000)) == audit
