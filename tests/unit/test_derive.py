"""Deriving projects from a deal: what becomes a project, and as what."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from handoff.domain.derive import derive, validate
from handoff.domain.models import CommercialLine, Deal, ForecastState, ProjectKind
from handoff.domain.policy import (
    DEFAULT_POLICY,
    NamingRules,
    Policy,
    ProductRules,
    RocketlaneRules,
    Route,
    RoutingRules,
    ValidationRules,
)

DEAL_ID = "006000000000001AAA"


def _line(
    line_id: str, family: str | None = "Implementation", **more: Any
) -> CommercialLine:
    values: dict[str, Any] = {
        "id": f"00k00000000000{line_id}",
        "source_object": "OpportunityLineItem",
        "product_name": f"Product {line_id}",
        "product_code": f"SKU-{line_id}",
        "product_family": family,
        "total_price": Decimal(1000),
    }
    return CommercialLine(**{**values, **more})


def _deal(*lines: CommercialLine, **more: Any) -> Deal:
    values: dict[str, Any] = {
        "id": DEAL_ID,
        "source_object": "Opportunity",
        "name": "Acme expansion",
        "account_id": "001000000000001AAA",
        "account_name": "Acme",
        "region": "EMEA",
        "segment": "Enterprise",
        "owner_id": "005000000000001AAA",
        "owner_email": "owner@example.com",
        "stage": "Negotiation/Review",
        "probability": Decimal(80),
        "close_date": date(2025, 3, 31),
        "lines": lines,
    }
    return Deal(**{**values, **more})


@pytest.mark.parametrize(
    ("family", "kind"),
    [
        pytest.param("Implementation", ProjectKind.PROJECT, id="implementation"),
        pytest.param("Professional Services", ProjectKind.PROJECT, id="prof-services"),
        pytest.param("Consulting", ProjectKind.PROJECT, id="consulting"),
        pytest.param("Retainer", ProjectKind.RETAINER, id="retainer"),
    ],
)
def test_service_families_become_projects(family: str, kind: ProjectKind) -> None:
    [plan] = derive(_deal(_line("A1", family)), DEFAULT_POLICY)

    assert plan.kind is kind
    assert plan.forecast_state is ForecastState.RESERVED


@pytest.mark.parametrize("family", ["Software", "Hardware", None], ids=str)
def test_other_families_are_ignored(family: str | None) -> None:
    assert derive(_deal(_line("A1", family)), DEFAULT_POLICY) == []


def test_a_sku_override_beats_the_family_rule() -> None:
    policy = Policy(
        products=ProductRules(skus={"SKU-A1": "ignore", "SKU-A2": "retainer"})
    )
    deal = _deal(_line("A1"), _line("A2", "Software", quantity=Decimal(40)))

    [plan] = derive(deal, policy)

    assert (plan.product_code, plan.kind, plan.budget_hours) == (
        "SKU-A2",
        ProjectKind.RETAINER,
        Decimal(40),
    )


def test_a_retainer_budgets_its_quantity_in_hours() -> None:
    [plan] = derive(
        _deal(_line("A1", "Retainer", quantity=Decimal(120))), DEFAULT_POLICY
    )

    assert plan.budget_hours == Decimal(120)


def test_a_project_has_no_hour_budget() -> None:
    [plan] = derive(_deal(_line("A1", quantity=Decimal(3))), DEFAULT_POLICY)

    assert plan.budget_hours is None


def test_below_the_threshold_nothing_is_derived() -> None:
    deal = _deal(_line("A1"), stage="Prospecting", probability=Decimal(10))

    assert derive(deal, DEFAULT_POLICY) == []


@pytest.mark.parametrize(
    ("source", "sobject"),
    [
        pytest.param("opportunity", "Opportunity", id="opportunity"),
        pytest.param("quote", "Quote", id="quote"),
        pytest.param("cpq_quote", "SBQQ__Quote__c", id="cpq-quote"),
    ],
)
def test_only_the_master_source_makes_projects(source: Any, sobject: str) -> None:
    policy = Policy(source=source)
    others = {"Opportunity", "Quote", "SBQQ__Quote__c"} - {sobject}

    assert len(derive(_deal(_line("A1"), source_object=sobject), policy)) == 1
    for other in others:
        assert derive(_deal(_line("A1"), source_object=other), policy) == []


@pytest.mark.parametrize(
    ("source", "sobject"),
    [
        pytest.param("order", "Order", id="order"),
        pytest.param("contract", "Contract", id="contract"),
    ],
)
def test_orders_and_contracts_make_projects_only_once_activated(
    source: Any, sobject: str
) -> None:
    policy = Policy(source=source)
    draft = _deal(
        _line("A1"), source_object=sobject, status="Draft", stage=None, probability=None
    )
    activated = replace(draft, status="Activated", is_activated=True)

    assert derive(draft, policy) == []
    [plan] = derive(activated, policy)
    assert plan.forecast_state is ForecastState.BOOKED


def test_the_same_deal_derives_the_same_plans_whatever_the_line_order() -> None:
    lines = (_line("A1"), _line("A2", bundle_key="B"), _line("A3", bundle_key="B"))

    assert derive(_deal(*lines), DEFAULT_POLICY) == derive(
        _deal(*reversed(lines)), DEFAULT_POLICY
    )


def test_a_bundle_becomes_one_project_with_its_components() -> None:
    deal = _deal(
        _line("A1", bundle_key="ONB", total_price=Decimal(100)),
        _line("A2", "Consulting", bundle_key="ONB", total_price=Decimal(50)),
        _line("A3"),
    )

    plans = derive(deal, DEFAULT_POLICY)

    [bundle] = [plan for plan in plans if plan.components]
    assert bundle.components == ("SKU-A1", "SKU-A2")
    assert bundle.line_ids == ("00k00000000000A1", "00k00000000000A2")
    assert bundle.amount == Decimal(150)
    assert bundle.product_code == "ONB"
    assert len(plans) == 2


def test_a_bundle_runs_from_its_first_start_to_its_last_end() -> None:
    deal = _deal(
        _line(
            "A1",
            bundle_key="B",
            service_date=date(2025, 5, 1),
            end_date=date(2025, 6, 1),
        ),
        _line(
            "A2",
            bundle_key="B",
            service_date=date(2025, 4, 1),
            end_date=date(2025, 9, 1),
        ),
    )

    [plan] = derive(deal, DEFAULT_POLICY)

    assert (plan.start_date, plan.due_date) == (date(2025, 4, 1), date(2025, 9, 1))


def _split(**flags: bool) -> Policy:
    return Policy(products=ProductRules(**flags))


def test_a_bundle_moving_on_different_dates_can_be_split() -> None:
    deal = _deal(
        _line("A1", bundle_key="B", service_date=date(2025, 4, 1)),
        _line("A2", bundle_key="B", service_date=date(2025, 7, 1)),
    )

    assert len(derive(deal, DEFAULT_POLICY)) == 1
    assert len(derive(deal, _split(split_bundles_by_date=True))) == 2


def test_a_bundle_shared_by_teams_can_be_split() -> None:
    deal = _deal(
        _line("A1", bundle_key="B", team="Data"),
        _line("A2", bundle_key="B", team="Apps"),
        _line("A3", bundle_key="B", team="Apps"),
    )

    plans = derive(deal, _split(split_bundles_by_team=True))

    assert sorted(len(plan.line_ids) for plan in plans) == [1, 2]
    assert len({plan.key for plan in plans}) == 2


def test_a_split_bundle_keeps_its_keys_when_an_unrelated_line_changes() -> None:
    policy = _split(split_bundles_by_date=True, split_bundles_by_team=True)
    bundle = (
        _line("A1", bundle_key="B", team="Data", service_date=date(2025, 4, 1)),
        _line("A2", bundle_key="B", team="Apps", service_date=date(2025, 4, 1)),
    )
    before = derive(_deal(*bundle, _line("A3")), policy)

    after = derive(
        _deal(
            *bundle, _line("A3", total_price=Decimal(9), service_date=date(2026, 1, 1))
        ),
        policy,
    )
    removed = derive(_deal(*bundle), policy)

    bundle_keys = {
        plan.key for plan in before if plan.line_ids[0] != "00k00000000000A3"
    }
    assert bundle_keys <= {plan.key for plan in after}
    assert bundle_keys == {plan.key for plan in removed}


def test_a_bundle_keeps_its_key_when_a_component_is_added() -> None:
    first = derive(_deal(_line("A1", bundle_key="B")), DEFAULT_POLICY)

    second = derive(
        _deal(_line("A1", bundle_key="B"), _line("A2", bundle_key="B")), DEFAULT_POLICY
    )

    assert [plan.key for plan in first] == [plan.key for plan in second]


def test_dates_default_from_the_close_date_and_the_default_duration() -> None:
    [plan] = derive(_deal(_line("A1")), DEFAULT_POLICY)

    assert plan.start_date == date(2025, 3, 31)
    assert plan.due_date == date(2025, 6, 29)


def test_the_plan_is_named_by_the_naming_pattern() -> None:
    policy = Policy(naming=NamingRules(pattern="{deal} / {product} ({segment})"))

    [plan] = derive(_deal(_line("A1")), policy)

    assert plan.name == "Acme expansion / Product A1 (Enterprise)"


def test_the_plan_is_routed_to_a_template() -> None:
    routing = RoutingRules(routes=(Route(template_id=7, region="EMEA"),))

    [plan] = derive(_deal(_line("A1")), Policy(routing=routing))

    assert plan.template_id == 7


def test_routes_passed_in_override_the_policys() -> None:
    [plan] = derive(_deal(_line("A1")), DEFAULT_POLICY, routes=[Route(template_id=8)])

    assert plan.template_id == 8


@pytest.mark.parametrize(
    ("upsell", "target"),
    [
        pytest.param("new_project", "project", id="new-project"),
        pytest.param("new_phase", "phase_of:HO-EARLIER", id="new-phase"),
    ],
)
def test_an_upsell_is_a_new_plan_linked_to_the_earlier_one(
    upsell: Any, target: str
) -> None:
    policy = Policy(rocketlane=RocketlaneRules(upsell=upsell))
    deal = _deal(_line("A1"), _line("A2", upsell_of_key="HO-EARLIER"))

    plans = {plan.line_ids[0]: plan for plan in derive(deal, policy)}

    upsell_plan = plans["00k00000000000A2"]
    assert upsell_plan.upsell_of_key == "HO-EARLIER"
    assert upsell_plan.rocketlane_target == target
    assert upsell_plan.key != "HO-EARLIER"
    assert plans["00k00000000000A1"].rocketlane_target == "project"


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        pytest.param({"owner_id": None, "owner_email": None}, "no owner", id="owner"),
        pytest.param({"close_date": None}, "no start date", id="start-date"),
        pytest.param({"region": None}, "no region: set Account.Region__c", id="region"),
    ],
)
def test_each_missing_fact_blocks_provisioning_with_a_sentence(
    change: dict[str, Any], sentence: str
) -> None:
    [plan] = derive(_deal(_line("A1"), **change), DEFAULT_POLICY)

    assert not plan.is_valid
    [problem] = plan.problems
    assert sentence in problem


def test_a_missing_template_blocks_provisioning() -> None:
    policy = Policy(routing=RoutingRules(default_template_id=None))

    [plan] = derive(_deal(_line("A1")), policy)

    assert plan.problems == (
        "no Rocketlane template: no route matches and there is no default",
    )


def test_an_owner_email_alone_is_enough() -> None:
    [plan] = derive(_deal(_line("A1"), owner_id=None), DEFAULT_POLICY)

    assert plan.is_valid


def test_only_the_required_checks_apply() -> None:
    policy = Policy(validation=ValidationRules(require=("owner",)))
    [plan] = derive(_deal(_line("A1")), DEFAULT_POLICY)
    bare = replace(plan, region=None, start_date=None, template_id=None)

    assert validate(bare, policy) == ()
    assert len(validate(bare, DEFAULT_POLICY)) == 3
