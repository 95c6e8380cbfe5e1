"""A won deal becomes exactly one Rocketlane project, through every layer.

Runs on the embedded stack: real HTTP sandboxes and ingress, the in-process
broker, worker threads, SQLite.
"""

from __future__ import annotations

from typing import Any

import httpx

from handoff.ops.stack import Stack
from tests import sales


def sell(
    stack: Stack, *, stage: str = "Prospecting", code: str = "CORE-IMP"
) -> tuple[Any, str]:
    return sales.sell(stack.sandboxes, stage=stage, codes=(code,))


def projects(seller: Any) -> list[dict[str, Any]]:
    return seller.query(
        "SELECT Id, Name, Handoff_Key__c, Forecast_Status__c, Rocketlane_Project_Id__c, Sync_Status__c FROM Project__c"
    )


def rocketlane_projects(stack: Stack, reference: str) -> list[dict[str, Any]]:
    return sales.rocketlane_projects(stack.sandboxes, reference)


def test_a_won_deal_becomes_one_project_on_each_side(embedded_stack: Stack) -> None:
    seller, opportunity = sell(embedded_stack)
    embedded_stack.settle()
    assert projects(seller) == []

    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    embedded_stack.settle()

    (project,) = projects(seller)
    assert project["Name"] == "Acme Corp – CORE-IMP – EMEA"
    assert project["Forecast_Status__c"] == "Booked"
    assert project["Sync_Status__c"] == "Synced"
    (rocketlane,) = rocketlane_projects(embedded_stack, project["Id"])
    assert str(rocketlane["projectId"]) == project["Rocketlane_Project_Id__c"]
    assert rocketlane["status"]["label"] == "In progress"
    mapping = embedded_stack.store.get_mapping(project["Handoff_Key__c"])
    assert mapping.salesforce_project_id == project["Id"]
    assert mapping.rocketlane_project_id == rocketlane["projectId"]
    trail = embedded_stack.store.list_audit(correlation_key=project["Handoff_Key__c"])
    writes = [(e.system, e.operation, e.actor) for e in trail if e.outcome == "ok"]
    assert writes[:3] == [
        ("salesforce", "upsert", "derive"),
        ("rocketlane", "create", "provision"),
        ("salesforce", "update", "provision"),
    ]
    assert len({entry.trace_id for entry in trail[:3]}) == 1


def test_the_same_event_again_and_twice_at_once_changes_nothing(
    embedded_stack: Stack,
) -> None:
    seller, _ = sell(embedded_stack, stage="Closed Won")
    embedded_stack.settle()
    events = [
        e
        for e in embedded_stack.sandboxes.org.bus.events
        if e["channel"] == "/data/OpportunityChangeEvent"
    ]

    with httpx.Client() as client:
        for event in events * 3:
            client.post(
                f"{embedded_stack.ingress.url}/events/salesforce", json=event
            ).raise_for_status()
    embedded_stack.settle()

    (project,) = projects(seller)
    assert len(rocketlane_projects(embedded_stack, project["Id"])) == 1
    creates = [
        e
        for e in embedded_stack.store.list_audit(
            correlation_key=project["Handoff_Key__c"]
        )
        if e.system == "rocketlane" and e.operation == "create"
    ]
    assert len(creates) == 1


def test_a_license_only_deal_makes_no_project(embedded_stack: Stack) -> None:
    seller, opportunity = sell(embedded_stack, code="LIC-PLAT")
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    embedded_stack.settle()

    assert projects(seller) == []
    assert embedded_stack.store.list_dead_letters(status="open") == []


def test_the_ingress_refuses_a_malformed_event_and_says_why(
    embedded_stack: Stack,
) -> None:
    response = httpx.post(
        f"{embedded_stack.ingress.url}/events/salesforce",
        json={"ChangeEventHeader": {"entityName": "Opportunity"}},
    )

    assert response.status_code == 400
    assert "recordIds" in response.json()["error"]
