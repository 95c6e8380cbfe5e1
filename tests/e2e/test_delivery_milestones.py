"""Milestones defined in Salesforce reach Rocketlane, whenever they are defined.

On the embedded stack (real HTTP sandboxes and ingress, worker threads,
SQLite): a seller defines Project_Milestone__c rows under a forecast
Project__c that is not provisioned yet (the policy provisions only booked
projects), wins the deal, and later adds and re-plans milestones. Nothing
here runs ``handoff reconcile``: the change events alone carry the work.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from handoff.adapters.rocketlane import HttpxRocketlaneClient
from handoff.domain.policy import ForecastRules, MilestoneRules, Policy
from handoff.ops.stack import DELIVERY_API_KEY, Stack

IN_A_MONTH = date.today() + timedelta(days=30)
IN_TWO_MONTHS = date.today() + timedelta(days=60)
TEMPLATE_MILESTONES = 2


@pytest.fixture
def forecast(embedded_stack: Stack) -> dict[str, Any]:
    """An implementation forecast on an open deal, not yet in Rocketlane."""
    stack = embedded_stack
    stack.worker.runtime.policy = Policy(
        forecast=ForecastRules(provision_tentative=False)
    )
    seller = stack.sandboxes.salesforce_client(client_tag="seller")
    seed = stack.sandboxes.org.seed
    account = seller.create("Account", {"Name": "Acme Corp", "Region__c": "EMEA"})
    opportunity = seller.create(
        "Opportunity",
        {
            "Name": "Acme rollout",
            "AccountId": account,
            "StageName": "Proposal/Price Quote",
            "CloseDate": IN_A_MONTH.isoformat(),
            "Pricebook2Id": seed.standard_pricebook_id,
        },
    )
    seller.create(
        "OpportunityLineItem",
        {
            "OpportunityId": opportunity,
            "PricebookEntryId": seed.entries["CORE-IMP"],
            "Quantity": 1,
            "UnitPrice": 20_000,
        },
    )
    stack.settle()
    (record,) = seller.query(
        "SELECT Id, Handoff_Key__c, Forecast_Status__c, Rocketlane_Project_Id__c "
        "FROM Project__c"
    )
    return {"seller": seller, "opportunity": opportunity, "project": record}


def define(seller: Any, project_id: str, name: str, **fields: Any) -> str:
    values = {"Name": name, "Project__c": project_id, "Type__c": "Delivery"}
    return str(seller.create("Project_Milestone__c", {**values, **fields}))


def milestones(seller: Any, project_id: str) -> dict[str, dict[str, Any]]:
    rows = seller.query(
        "SELECT Id, Name, Planned_Date__c, Rocketlane_Milestone_Id__c, "
        "Handoff_Key__c FROM Project_Milestone__c "
        f"WHERE Project__c = '{project_id}'"
    )
    return {row["Name"]: row for row in rows}


def rocketlane_project(seller: Any, record_id: str) -> int:
    value = seller.get("Project__c", record_id)["Rocketlane_Project_Id__c"]
    assert value, "the project is provisioned"
    return int(value)


def rocketlane(stack: Stack) -> HttpxRocketlaneClient:
    return stack.sandboxes.rocketlane_client()


def win(stack: Stack, forecast: dict[str, Any]) -> int:
    forecast["seller"].update(
        "Opportunity", forecast["opportunity"], {"StageName": "Closed Won"}
    )
    stack.settle()
    return rocketlane_project(forecast["seller"], forecast["project"]["Id"])


def test_milestones_defined_before_provisioning_become_rocketlane_milestones(
    embedded_stack: Stack, forecast: dict[str, Any]
) -> None:
    """Each one becomes one MILESTONE task keyed by its Handoff_Key__c."""
    stack, seller = embedded_stack, forecast["seller"]
    record_id = forecast["project"]["Id"]
    assert forecast["project"]["Forecast_Status__c"] in ("Forecasted", "Reserved")
    define(seller, record_id, "Design signed", Type__c="Financial", Amount__c=8000)
    define(seller, record_id, "Pilot live", Planned_Date__c=IN_A_MONTH.isoformat())
    stack.settle()
    assert not seller.get("Project__c", record_id)["Rocketlane_Project_Id__c"]
    assert stack.store.list_dead_letters() == []

    project_id = win(stack, forecast)

    rows = milestones(seller, record_id)
    with rocketlane(stack) as client:
        tasks = client.list_tasks(project_id, milestones_only=True)
    assert stack.store.list_dead_letters() == []
    assert len(tasks) == TEMPLATE_MILESTONES + 2
    assert len(rows) == len(tasks)
    for name in ("Design signed", "Pilot live"):
        row = rows[name]
        (task,) = [
            t for t in tasks if str(t["taskId"]) == row["Rocketlane_Milestone_Id__c"]
        ]
        assert task["taskName"] == name
        assert task["externalReferenceId"] == row["Handoff_Key__c"]
        assert row["Handoff_Key__c"].startswith(forecast["project"]["Handoff_Key__c"])
    (pilot,) = [t for t in tasks if t["taskName"] == "Pilot live"]
    assert pilot["dueDate"] == IN_A_MONTH.isoformat()


def test_a_milestone_added_after_provisioning_reaches_rocketlane_without_reconcile(
    embedded_stack: Stack, forecast: dict[str, Any]
) -> None:
    stack, seller = embedded_stack, forecast["seller"]
    record_id = forecast["project"]["Id"]
    project_id = win(stack, forecast)

    define(seller, record_id, "Training done", Planned_Date__c=IN_A_MONTH.isoformat())
    stack.settle()

    row = milestones(seller, record_id)["Training done"]
    assert row["Rocketlane_Milestone_Id__c"]
    with rocketlane(stack) as client:
        task = client.find_task_by_reference(project_id, row["Handoff_Key__c"])
    assert task is not None
    assert str(task["taskId"]) == row["Rocketlane_Milestone_Id__c"]
    assert task["dueDate"] == IN_A_MONTH.isoformat()


def test_a_renamed_and_replanned_milestone_changes_its_rocketlane_task(
    embedded_stack: Stack, forecast: dict[str, Any]
) -> None:
    stack, seller = embedded_stack, forecast["seller"]
    record_id = forecast["project"]["Id"]
    win(stack, forecast)
    milestone = define(
        seller, record_id, "Training done", Planned_Date__c=IN_A_MONTH.isoformat()
    )
    stack.settle()
    task_id = int(
        milestones(seller, record_id)["Training done"]["Rocketlane_Milestone_Id__c"]
    )

    seller.update(
        "Project_Milestone__c",
        milestone,
        {"Name": "Training delivered", "Planned_Date__c": IN_TWO_MONTHS.isoformat()},
    )
    stack.settle()

    with rocketlane(stack) as client:
        (task,) = [
            t
            for t in client.list_tasks(
                rocketlane_project(seller, record_id), milestones_only=True
            )
            if t["taskId"] == task_id
        ]
    assert task["taskName"] == "Training delivered"
    assert task["dueDate"] == IN_TWO_MONTHS.isoformat()
    row = milestones(seller, record_id)["Training delivered"]
    assert row["Rocketlane_Milestone_Id__c"] == str(task_id)


def test_a_lost_answer_to_the_task_create_does_not_create_the_milestone_twice(
    embedded_stack: Stack, forecast: dict[str, Any]
) -> None:
    """The task committed but its answer was lost: it is found by reference."""
    stack, seller = embedded_stack, forecast["seller"]
    record_id = forecast["project"]["Id"]
    project_id = win(stack, forecast)
    httpx.post(
        f"{stack.sandboxes.rocketlane.url}/__sandbox/faults",
        json={"operation": "tasks.create", "kind": "drop", "count": 1},
    ).raise_for_status()

    define(seller, record_id, "Training done", Planned_Date__c=IN_A_MONTH.isoformat())
    stack.settle()

    with rocketlane(stack) as client:
        tasks = client.list_tasks(project_id, milestones_only=True)
    faults = httpx.get(f"{stack.sandboxes.rocketlane.url}/__sandbox/faults").json()
    assert faults == [], "the lost answer happened"
    (task,) = [t for t in tasks if t["taskName"] == "Training done"]
    row = milestones(seller, record_id)["Training done"]
    assert row["Rocketlane_Milestone_Id__c"] == str(task["taskId"])
    assert task["externalReferenceId"] == row["Handoff_Key__c"]
    assert len(tasks) == TEMPLATE_MILESTONES + 1


def test_acceptance_configured_as_a_custom_field_dates_and_recognizes_it(
    embedded_stack: Stack, forecast: dict[str, Any]
) -> None:
    """With an "accepted" field, completion alone accepts nothing; the field does."""
    stack, seller = embedded_stack, forecast["seller"]
    record_id = forecast["project"]["Id"]
    define(seller, record_id, "Design signed", Type__c="Financial", Amount__c=8000)
    win(stack, forecast)
    with delivery_team(stack) as team:
        field = team.post(
            "/fields",
            params={"includeAllFields": "true"},
            json={
                "fieldLabel": "Customer acceptance",
                "fieldType": "SINGLE_CHOICE",
                "objectType": "TASK",
                "fieldOptions": [
                    {"optionLabel": "Pending", "optionColor": "YELLOW"},
                    {"optionLabel": "Accepted", "optionColor": "GREEN"},
                ],
            },
        ).json()
    accepted = next(
        o["optionValue"]
        for o in field["fieldOptions"]
        if o["optionLabel"] == "Accepted"
    )
    runtime = stack.worker.runtime
    runtime.policy = runtime.policy.model_copy(
        update={
            "milestones": MilestoneRules(
                accepted_field_id=field["fieldId"], accepted_field_values=("Accepted",)
            )
        }
    )
    task_id = milestones(seller, record_id)["Design signed"][
        "Rocketlane_Milestone_Id__c"
    ]

    change_task(stack, task_id, {"status": {"value": 3}})
    completed = financial(seller, record_id)
    change_task(
        stack,
        task_id,
        {"fields": [{"fieldId": field["fieldId"], "fieldValue": accepted}]},
    )
    signed = financial(seller, record_id)

    assert completed["Status__c"] == "Completed"
    assert completed["Acceptance_Date__c"] is None
    assert completed["Recognized_Amount__c"] is None
    assert signed["Acceptance_Date__c"] == date.today().isoformat()
    assert signed["Recognized_Amount__c"] == 8000


def delivery_team(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.sandboxes.rocketlane_api_url,
        headers={"api-key": DELIVERY_API_KEY},
    )


def change_task(stack: Stack, task_id: str, changes: dict[str, Any]) -> None:
    with delivery_team(stack) as team:
        team.put(f"/tasks/{task_id}", json=changes).raise_for_status()
    stack.settle()


def financial(seller: Any, project_id: str) -> dict[str, Any]:
    (row,) = seller.query(
        "SELECT Status__c, Acceptance_Date__c, Recognized_Amount__c "
        "FROM Project_Milestone__c "
        f"WHERE Project__c = '{project_id}' AND Name = 'Design signed'"
    )
    return dict(row)
