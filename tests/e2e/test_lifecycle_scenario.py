"""The deal lifecycle end to end: forecast, move, win, upsell, lose.

Runs on the embedded stack (real HTTP sandboxes and ingress, in-process
broker, worker threads) with quotes as the policy's source of projects.
``Scenario`` is shared with the Redis variant in tests/integration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from handoff.domain.policy import ForecastRules, Policy
from handoff.ops.capacity_command import capacity_report
from handoff.ops.stack import Sandboxes

SCENARIO_POLICY = Policy(source="quote", forecast=ForecastRules(forecast_stages=()))
TENTATIVE, ACTIVE, CANCELLED = 5, 2, 8
START = date.today() + timedelta(days=60)


@dataclass
class Scenario:
    """A seller working a deal in the sandbox org, and what Rocketlane saw."""

    sandboxes: Sandboxes
    settle: Callable[[], None]
    puts: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.seller = self.sandboxes.salesforce_client(client_tag="seller")
        self.seed = self.sandboxes.org.seed
        workspace = self.sandboxes.workspace
        update = workspace.update_project

        def counted(project_id: int, *args: Any, **kwargs: Any) -> Any:
            self.puts[int(project_id)] += 1
            return update(project_id, *args, **kwargs)

        workspace.update_project = counted  # type: ignore[method-assign]

    def account(self, name: str = "Acme Corp") -> str:
        return self.seller.create("Account", {"Name": name, "Region__c": "EMEA"})

    def opportunity(self, account: str, name: str, probability: int) -> str:
        return self.seller.create(
            "Opportunity",
            {
                "Name": name,
                "AccountId": account,
                "StageName": "Proposal/Price Quote",
                "Probability": probability,
                "CloseDate": START.isoformat(),
                "Pricebook2Id": self.seed.standard_pricebook_id,
            },
        )

    def quote(self, opportunity: str, lines: list[dict[str, Any]]) -> dict[str, str]:
        quote = self.seller.create(
            "Quote",
            {
                "Name": "Quote",
                "OpportunityId": opportunity,
                "Pricebook2Id": self.seed.standard_pricebook_id,
            },
        )
        return {
            line["label"]: self.seller.create(
                "QuoteLineItem",
                {
                    "QuoteId": quote,
                    "PricebookEntryId": self.seed.entries[line["code"]],
                    "UnitPrice": 1000,
                    **{k: v for k, v in line.items() if k not in ("label", "code")},
                },
            )
            for line in lines
        }

    def set(self, sobject: str, record_id: str, **fields: Any) -> None:
        self.seller.update(sobject, record_id, fields)

    def projects(self, opportunity: str) -> dict[str, dict[str, Any]]:
        """Project__c by product code, for one opportunity."""
        rows = self.seller.query(
            "SELECT Id, Handoff_Key__c, Product_Code__c, Forecast_Status__c, "
            "Rocketlane_Project_Id__c, Sync_Status__c, Sync_Error__c, "
            "Budget_Hours__c, Upsell_Of__c, Start_Date__c FROM Project__c "
            f"WHERE Opportunity__c = '{opportunity}'"
        )
        return {row["Product_Code__c"]: row for row in rows}

    def rocketlane(self, project: dict[str, Any]) -> dict[str, Any]:
        project_id = int(project["Rocketlane_Project_Id__c"])
        return self.sandboxes.workspace.projects[project_id]


def core_quote(scenario: Scenario, opportunity: str) -> dict[str, str]:
    day = START + timedelta(days=14)
    return scenario.quote(
        opportunity,
        [
            {"label": "core", "code": "CORE-IMP", "Quantity": 1},
            {
                "label": "migration",
                "code": "DATA-MIG",
                "Quantity": 1,
                "ServiceDate": (day + timedelta(days=90)).isoformat(),
            },
            {"label": "advisory", "code": "ADV-RET", "Quantity": 100},
            {"label": "license", "code": "LIC-PLAT", "Quantity": 1},
        ],
    )


def run_scenario(scenario: Scenario, capacity_of: Callable[[], set[int]]) -> None:
    """The issue's scenario, asserting as it goes."""
    account = scenario.account()
    deal = scenario.opportunity(account, "Acme rollout", probability=30)
    lines = core_quote(scenario, deal)
    scenario.settle()
    assert scenario.projects(deal) == {}

    # Probability reaches 60%: three forecast projects, none for the license.
    scenario.set("Opportunity", deal, Probability=60)
    scenario.settle()
    projects = scenario.projects(deal)
    assert sorted(projects) == ["ADV-RET", "CORE-IMP", "DATA-MIG"]
    assert {p["Forecast_Status__c"] for p in projects.values()} == {"Forecasted"}
    ids = {code: p["Rocketlane_Project_Id__c"] for code, p in projects.items()}
    for project in projects.values():
        assert scenario.rocketlane(project)["status"]["value"] == TENTATIVE
    assert projects["ADV-RET"]["Budget_Hours__c"] == 100
    assert scenario.rocketlane(projects["ADV-RET"])["budgetedHours"] == 100

    # Data Migration moves up to phase 1: only that project changes.
    scenario.puts.clear()
    scenario.set("QuoteLineItem", lines["migration"], ServiceDate=START.isoformat())
    scenario.settle()
    migration = scenario.projects(deal)["DATA-MIG"]
    assert scenario.puts == Counter({int(ids["DATA-MIG"]): 1})
    assert scenario.rocketlane(migration)["startDate"] == START.isoformat()

    # Closed Won: all three Booked and Active, the same Rocketlane projects.
    scenario.set("Opportunity", deal, StageName="Closed Won")
    scenario.settle()
    projects = scenario.projects(deal)
    assert {p["Forecast_Status__c"] for p in projects.values()} == {"Booked"}
    assert {c: p["Rocketlane_Project_Id__c"] for c, p in projects.items()} == ids
    for project in projects.values():
        assert scenario.rocketlane(project)["status"]["value"] == ACTIVE

    # 40 more advisory hours: a new Project__c linked to the retainer.
    retainer = projects["ADV-RET"]
    upsell = scenario.opportunity(account, "Acme advisory top-up", probability=30)
    scenario.quote(
        upsell,
        [
            {
                "label": "advisory",
                "code": "ADV-RET",
                "Quantity": 40,
                "Upsell_Of__c": retainer["Id"],
            }
        ],
    )
    scenario.set("Opportunity", upsell, StageName="Closed Won")
    scenario.settle()
    (extra,) = scenario.projects(upsell).values()
    assert extra["Upsell_Of__c"] == retainer["Id"]
    assert extra["Budget_Hours__c"] == 40
    assert extra["Rocketlane_Project_Id__c"] not in ids.values()
    assert scenario.rocketlane(extra)["status"]["value"] == ACTIVE

    # A second deal, provisioned at 60% and then lost: cancelled, freed.
    other = scenario.opportunity(scenario.account("Globex"), "Globex pilot", 30)
    scenario.quote(other, [{"label": "core", "code": "CORE-IMP", "Quantity": 1}])
    scenario.set("Opportunity", other, Probability=60)
    scenario.settle()
    (pilot,) = scenario.projects(other).values()
    pilot_id = int(pilot["Rocketlane_Project_Id__c"])
    scenario.sandboxes.workspace.add_allocation(
        {
            "projectId": pilot_id,
            "startDate": START.isoformat(),
            "endDate": (START + timedelta(days=30)).isoformat(),
            "allocationType": "SOFT",
        }
    )
    assert pilot_id in capacity_of()

    scenario.set("Opportunity", other, StageName="Closed Lost")
    scenario.settle()
    (pilot,) = scenario.projects(other).values()
    assert pilot["Forecast_Status__c"] == "Cancelled"
    assert scenario.rocketlane(pilot)["status"]["value"] == CANCELLED
    assert pilot_id not in capacity_of()


@pytest.fixture
def scenario(embedded_stack: Any) -> Scenario:
    embedded_stack.worker.runtime.policy = SCENARIO_POLICY
    return Scenario(embedded_stack.sandboxes, embedded_stack.settle)


def capacity_projects(stack: Any) -> Callable[[], set[int]]:
    """The Rocketlane projects with hours in the capacity report."""

    def projects() -> set[int]:
        window = (START - timedelta(days=31), START + timedelta(days=120))
        rows = capacity_report(
            _rocketlane_client(stack.settings),
            stack.store.list_mappings(limit=1000),
            window,
        )
        return {int(row.hours.project_id) for row in rows if row.hours.total}

    return projects


def _rocketlane_client(settings: Any) -> Any:
    from handoff.actors.bootstrap import build_rocketlane

    return build_rocketlane(settings)


def test_the_deal_lifecycle_scenario_on_the_embedded_stack(
    embedded_stack: Any, scenario: Scenario
) -> None:
    """Forecast at 60%, a moved line, the win, an upsell and a lost deal."""
    run_scenario(scenario, capacity_projects(embedded_stack))

    transitions = [
        (t.from_state, t.to_state, t.reason)
        for mapping in embedded_stack.store.list_mappings(limit=100)
        for t in embedded_stack.store.list_transitions(mapping.correlation_key)
    ]
    assert ("Forecasted", "Booked", "the deal now says Booked") in transitions
    assert ("Forecasted", "Cancelled", "the deal now says Cancelled") in transitions
