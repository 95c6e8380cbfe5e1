"""Upsells as phases: the governance ``new_phase`` on the embedded stack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from handoff.actors.broker import build_broker
from handoff.ops.capacity_command import capacity_report
from handoff.ops.stack import Stack, start_stack
from handoff.settings import load_settings
from tests.e2e.test_lifecycle_delta import record_puts

CLOSE = date.today() + timedelta(days=30)
POLICY = "rocketlane:\n  upsell: new_phase\n"


@pytest.fixture
def phase_stack(tmp_path: Path) -> Iterator[Stack]:
    """The embedded stack with a policy file choosing ``new_phase``."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'handoff.db'}",
        policy_file=policy,
        min_backoff_ms=50,
        max_backoff_ms=500,
    )
    stack = start_stack(settings, broker=build_broker(settings))
    yield stack
    stack.stop()


class AllocationReader:
    """Records which projects the capacity report asks allocations of."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def list_resource_allocations(self, project_id: int, **_: Any) -> list[Any]:
        self.asked.append(int(project_id))
        return []


def won_deal(stack: Stack, seller: Any, account: str, **line: Any) -> str:
    """A Closed Won opportunity with one CORE-IMP line; its ID."""
    seed = stack.sandboxes.org.seed
    opportunity = seller.create(
        "Opportunity",
        {
            "Name": "Acme deal",
            "AccountId": account,
            "StageName": "Closed Won",
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
            **line,
        },
    )
    return str(opportunity)


def project_of(seller: Any, opportunity: str) -> dict[str, Any]:
    (project,) = seller.query(
        "SELECT Id, Name, Handoff_Key__c, Upsell_Of__c, Rocketlane_Project_Id__c, "
        "Rocketlane_Phase_Id__c, Sync_Status__c, Start_Date__c FROM Project__c "
        f"WHERE Opportunity__c = '{opportunity}'"
    )
    return dict(project)


def test_an_upsell_becomes_a_phase_of_the_original_project(
    phase_stack: Stack,
) -> None:
    seller = phase_stack.sandboxes.salesforce_client(client_tag="seller")
    account = seller.create("Account", {"Name": "Acme Corp", "Region__c": "EMEA"})
    first_deal = won_deal(phase_stack, seller, account)
    phase_stack.settle()
    original = project_of(seller, first_deal)
    workspace = phase_stack.sandboxes.workspace
    projects_before = set(workspace.projects)

    upsell_deal = won_deal(phase_stack, seller, account, Upsell_Of__c=original["Id"])
    phase_stack.settle()

    upsell = project_of(seller, upsell_deal)
    assert upsell["Upsell_Of__c"] == original["Id"]
    assert upsell["Sync_Status__c"] == "Synced"
    assert upsell["Rocketlane_Project_Id__c"] == original["Rocketlane_Project_Id__c"]
    assert set(workspace.projects) == projects_before
    phase = workspace.phases[int(upsell["Rocketlane_Phase_Id__c"])]
    assert phase["project"]["projectId"] == int(original["Rocketlane_Project_Id__c"])
    assert phase["phaseName"].endswith(f"[{upsell['Handoff_Key__c']}]")
    assert phase["startDate"] == upsell["Start_Date__c"]
    mapping = phase_stack.store.get_mapping(upsell["Handoff_Key__c"])
    assert mapping.rocketlane_project_id == int(original["Rocketlane_Project_Id__c"])
    assert mapping.rocketlane_phase_id == int(upsell["Rocketlane_Phase_Id__c"])
    assert (
        phase_stack.store.find_mapping(
            rocketlane_project_id=mapping.rocketlane_project_id
        ).correlation_key
        == original["Handoff_Key__c"]
    )
    reader = AllocationReader()
    capacity_report(reader, phase_stack.store.list_mappings(), (CLOSE, CLOSE))
    assert reader.asked == [mapping.rocketlane_project_id]


def test_a_phase_upsell_moves_its_phase_not_the_project(phase_stack: Stack) -> None:
    seller = phase_stack.sandboxes.salesforce_client(client_tag="seller")
    account = seller.create("Account", {"Name": "Acme Corp", "Region__c": "EMEA"})
    first_deal = won_deal(phase_stack, seller, account)
    phase_stack.settle()
    original = project_of(seller, first_deal)
    upsell_deal = won_deal(phase_stack, seller, account, Upsell_Of__c=original["Id"])
    phase_stack.settle()
    upsell = project_of(seller, upsell_deal)
    project_id = int(original["Rocketlane_Project_Id__c"])
    dates = dict(phase_stack.sandboxes.workspace.projects[project_id])
    puts = record_puts(phase_stack)
    phase_puts: list[dict[str, Any]] = []
    workspace = phase_stack.sandboxes.workspace
    update_phase = workspace.update_phase

    def recorded(phase_id: int, body: Any, *args: Any, **kwargs: Any) -> Any:
        phase_puts.append(dict(body))
        return update_phase(phase_id, body, *args, **kwargs)

    workspace.update_phase = recorded  # type: ignore[method-assign]
    moved = CLOSE + timedelta(days=7)

    seller.update("Opportunity", upsell_deal, {"CloseDate": moved.isoformat()})
    phase_stack.settle()

    phase = workspace.phases[int(upsell["Rocketlane_Phase_Id__c"])]
    assert puts == []
    assert len(phase_puts) == 1
    assert phase["startDate"] == moved.isoformat()
    project = workspace.projects[project_id]
    assert (project["startDate"], project["dueDate"]) == (
        dates["startDate"],
        dates["dueDate"],
    )


def test_a_phase_whose_create_answer_was_lost_is_adopted_by_its_name(
    phase_stack: Stack,
) -> None:
    seller = phase_stack.sandboxes.salesforce_client(client_tag="seller")
    account = seller.create("Account", {"Name": "Acme Corp", "Region__c": "EMEA"})
    first_deal = won_deal(phase_stack, seller, account)
    phase_stack.settle()
    original = project_of(seller, first_deal)
    project_id = int(original["Rocketlane_Project_Id__c"])
    workspace = phase_stack.sandboxes.workspace
    phases_before = sum(
        1 for p in workspace.phases.values() if p["project"]["projectId"] == project_id
    )
    httpx.post(
        f"{phase_stack.sandboxes.rocketlane.url}/__sandbox/faults",
        json={"operation": "phases.create", "kind": "drop", "count": 1},
        timeout=10,
    ).raise_for_status()

    upsell_deal = won_deal(phase_stack, seller, account, Upsell_Of__c=original["Id"])
    phase_stack.settle()

    upsell = project_of(seller, upsell_deal)
    phases = [
        p for p in workspace.phases.values() if p["project"]["projectId"] == project_id
    ]
    assert len(phases) == phases_before + 1
    assert upsell["Rocketlane_Phase_Id__c"] == str(phases[-1]["phaseId"])
