"""Delivery comes back to Salesforce, through every layer.

The lifecycle scenario carried on, on the embedded stack (real HTTP
sandboxes and ingress, Rocketlane webhooks over real sockets, worker
threads, SQLite): an implementation (template 1001, two milestones) and an
advisory retainer (template 1003) are sold and provisioned; the delivery
team, with its own Rocketlane key, completes a milestone and logs hours.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from handoff.domain.policy import Policy, Route, RoutingRules
from handoff.ops.stack import DELIVERY_API_KEY, Stack

RETAINER_HOURS = 40


@pytest.fixture
def sold(embedded_stack: Stack) -> dict[str, Any]:
    """An implementation and a retainer on one won deal, provisioned."""
    stack = embedded_stack
    stack.worker.runtime.policy = Policy(
        routing=RoutingRules(routes=(Route(template_id=1003, family="Retainer"),))
    )
    seller = stack.sandboxes.salesforce_client(client_tag="seller")
    seed = stack.sandboxes.org.seed
    account = seller.create("Account", {"Name": "Acme Corp", "Region__c": "EMEA"})
    opportunity = seller.create(
        "Opportunity",
        {
            "Name": "Acme rollout",
            "AccountId": account,
            "StageName": "Prospecting",
            "CloseDate": (date.today() + timedelta(days=30)).isoformat(),
            "Pricebook2Id": seed.standard_pricebook_id,
        },
    )
    for code, quantity, price in (
        ("CORE-IMP", 1, 20_000),
        ("ADV-RET", RETAINER_HOURS, 200),
    ):
        seller.create(
            "OpportunityLineItem",
            {
                "OpportunityId": opportunity,
                "PricebookEntryId": seed.entries[code],
                "Quantity": quantity,
                "UnitPrice": price,
            },
        )
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    stack.settle()
    rows = seller.query(
        "SELECT Id, Handoff_Key__c, Product_Code__c, Rocketlane_Project_Id__c "
        "FROM Project__c"
    )
    by_code = {row["Product_Code__c"]: row for row in rows}
    return {
        "seller": seller,
        "account": account,
        "opportunity": opportunity,
        "implementation": by_code["CORE-IMP"],
        "retainer": by_code["ADV-RET"],
    }


def project(seller: Any, record_id: str) -> dict[str, Any]:
    return seller.get("Project__c", record_id)


def milestones(seller: Any, record_id: str) -> list[dict[str, Any]]:
    return seller.query(
        "SELECT Id, Name, Type__c, Status__c, Acceptance_Date__c, Amount__c, "
        "Recognized_Amount__c, Rocketlane_Milestone_Id__c, Handoff_Key__c "
        f"FROM Project_Milestone__c WHERE Project__c = '{record_id}'"
    )


def delivery_team(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.sandboxes.rocketlane_api_url,
        headers={"api-key": DELIVERY_API_KEY},
    )


def complete(stack: Stack, task_id: str) -> None:
    with delivery_team(stack) as client:
        client.put(
            f"/tasks/{task_id}", json={"status": {"value": 3}}
        ).raise_for_status()


def webhook_deliveries(stack: Stack) -> list[dict[str, Any]]:
    return [d for d in stack.sandboxes.webhooks.deliveries() if d["ok"]]


def test_template_milestones_are_mirrored_into_salesforce(sold: dict[str, Any]) -> None:
    seller = sold["seller"]

    mirrored = milestones(seller, sold["implementation"]["Id"])

    assert sorted(m["Name"] for m in mirrored) == [
        "Go-live accepted",
        "Kickoff complete",
    ]
    assert all(m["Rocketlane_Milestone_Id__c"] for m in mirrored)
    assert all(
        m["Handoff_Key__c"].startswith(sold["implementation"]["Handoff_Key__c"])
        for m in mirrored
    )


def test_accepting_a_milestone_shows_its_date_and_the_new_health(
    embedded_stack: Stack, sold: dict[str, Any]
) -> None:
    stack, seller = embedded_stack, sold["seller"]
    implementation = sold["implementation"]
    first = next(
        m
        for m in milestones(seller, implementation["Id"])
        if m["Name"] == "Kickoff complete"
    )
    with httpx.Client() as admin:
        admin.post(
            f"{stack.sandboxes.rocketlane.url}/__sandbox/project-updates",
            json={
                "projectId": int(implementation["Rocketlane_Project_Id__c"]),
                "title": "Kickoff slipped",
                "status": 4,
                "content": "<p>Customer IT is late.</p>",
            },
        ).raise_for_status()

    complete(stack, first["Rocketlane_Milestone_Id__c"])
    stack.settle()

    (accepted,) = [
        m for m in milestones(seller, implementation["Id"]) if m["Id"] == first["Id"]
    ]
    assert accepted["Status__c"] == "Completed"
    assert accepted["Acceptance_Date__c"] == date.today().isoformat()
    record = project(seller, implementation["Id"])
    assert record["Health__c"] == "At Risk"
    assert "Customer IT is late." in record["Health_Notes__c"]
    assert record["Milestones_Completed__c"] == 1
    assert record["Milestones_Total__c"] == 2


def test_hours_logged_on_the_retainer_show_as_burned_and_remaining(
    embedded_stack: Stack, sold: dict[str, Any]
) -> None:
    stack, seller = embedded_stack, sold["seller"]
    retainer = sold["retainer"]
    with delivery_team(stack) as client:
        client.post(
            "/time-entries",
            json={
                "date": date.today().isoformat(),
                "minutes": 600,
                "project": {"projectId": int(retainer["Rocketlane_Project_Id__c"])},
            },
        ).raise_for_status()

    stack.reconcile()
    stack.settle()

    record = project(seller, retainer["Id"])
    assert record["Hours_Budgeted__c"] == RETAINER_HOURS
    assert record["Hours_Burned__c"] == 10
    assert record["Hours_Remaining__c"] == RETAINER_HOURS - 10
    assert record["Budget_Consumed_Percent__c"] == 25


def test_revenue_and_margin_roll_up_to_the_opportunity_and_the_account(
    embedded_stack: Stack, sold: dict[str, Any]
) -> None:
    stack, seller = embedded_stack, sold["seller"]
    implementation = sold["implementation"]
    seller.create(
        "Project_Milestone__c",
        {
            "Name": "Design signed",
            "Project__c": implementation["Id"],
            "Type__c": "Financial",
            "Amount__c": 8000,
            "Planned_Date__c": date.today().isoformat(),
        },
    )
    stack.reconcile()
    stack.settle()
    (financial,) = [
        m
        for m in milestones(seller, implementation["Id"])
        if m["Name"] == "Design signed"
    ]
    assert financial["Rocketlane_Milestone_Id__c"]

    complete(stack, financial["Rocketlane_Milestone_Id__c"])
    stack.settle()

    (financial,) = [
        m
        for m in milestones(seller, implementation["Id"])
        if m["Name"] == "Design signed"
    ]
    assert financial["Recognized_Amount__c"] == 8000
    record = project(seller, implementation["Id"])
    assert record["Recognized_Revenue__c"] == 8000
    assert record["Margin__c"] == 8000 - (record["Cost__c"] or 0)
    assert record["Margin_Percent__c"] is not None
    for sobject, record_id in (
        ("Opportunity", sold["opportunity"]),
        ("Account", sold["account"]),
    ):
        rolled = seller.get(sobject, record_id)
        assert rolled["Handoff_Recognized_Revenue__c"] == 8000
        assert rolled["Handoff_Milestones_Accepted__c"] == 1
        assert rolled["Handoff_Accepted_Revenue__c"] == 8000


def test_a_webhook_twice_or_late_and_out_of_order_changes_nothing_more(
    embedded_stack: Stack, sold: dict[str, Any]
) -> None:
    stack, seller = embedded_stack, sold["seller"]
    implementation = sold["implementation"]
    first = next(
        m
        for m in milestones(seller, implementation["Id"])
        if m["Name"] == "Kickoff complete"
    )
    task_id = first["Rocketlane_Milestone_Id__c"]
    complete(stack, task_id)
    with delivery_team(stack) as client:
        client.put(
            f"/tasks/{task_id}", json={"status": {"value": 2}}
        ).raise_for_status()
    complete(stack, task_id)
    stack.settle()
    before = (
        milestones(seller, implementation["Id"]),
        project(seller, implementation["Id"]),
    )
    writes = len(salesforce_writes(stack))
    delivered = [d["envelope"] for d in webhook_deliveries(stack)]
    late = [{**e, "eventId": e["eventId"] + "-late"} for e in reversed(delivered)]

    url, auth = webhook_target(stack)
    with httpx.Client(auth=auth) as client:
        again = [client.post(url, json=e).json() for e in delivered]
        for envelope in late:
            client.post(url, json=envelope).raise_for_status()
    stack.settle()

    assert {answer["skipped"] for answer in again} <= {
        "a repeated delivery of this event",
        "an echo of Handoff's own write",
    }
    after = (
        milestones(seller, implementation["Id"]),
        project(seller, implementation["Id"]),
    )
    assert after == before
    assert len(salesforce_writes(stack)) == writes
    assert before[0][0]["Acceptance_Date__c"] or before[0][1]["Acceptance_Date__c"]


def salesforce_writes(stack: Stack) -> list[Any]:
    return stack.store.list_audit(system="salesforce", limit=10_000)


def webhook_target(stack: Stack) -> tuple[str, tuple[str, str]]:
    (webhook,) = stack.sandboxes.webhooks._webhooks
    return webhook.url, (webhook.username, webhook.password)
