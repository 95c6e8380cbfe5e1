"""The plan preview an admin reads before turning a policy on."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from handoff.domain.derive import derive
from handoff.domain.models import CommercialLine, Deal, ForecastState
from handoff.domain.policy import DEFAULT_POLICY
from handoff.domain.preview import NOTHING, describe_plans, plans_as_dict
from handoff.domain.reconcile import reconcile


def _deal(region: str | None = "EMEA", probability: int = 80) -> Deal:
    lines = (
        CommercialLine(
            id="00k000000000001",
            source_object="OpportunityLineItem",
            product_name="Onboarding",
            product_code="IMPL",
            product_family="Implementation",
            bundle_key="ONB",
        ),
        CommercialLine(
            id="00k000000000002",
            source_object="OpportunityLineItem",
            product_name="Data migration",
            product_code="DATA",
            product_family="Consulting",
            bundle_key="ONB",
        ),
        CommercialLine(
            id="00k000000000003",
            source_object="OpportunityLineItem",
            product_name="Success hours",
            product_code="RET-40",
            product_family="Retainer",
            quantity=Decimal(40),
        ),
    )
    return Deal(
        id="006000000000001",
        source_object="Opportunity",
        name="Acme expansion",
        account_name="Acme",
        region=region,
        owner_email="owner@example.com",
        stage="Negotiation/Review",
        probability=Decimal(probability),
        close_date=date(2025, 3, 31),
        lines=lines,
    )


def test_the_preview_shows_every_fact_of_every_project() -> None:
    deal = _deal()
    plans = derive(deal, DEFAULT_POLICY)

    text = describe_plans(deal, plans)

    assert text.startswith("Acme expansion (Opportunity 006000000000001, stage")
    for plan in plans:
        assert plan.name in text
        assert plan.key in text
    for fact in (
        "Reserved",
        "retainer",
        "1001",
        "2025-03-31 → 2025-06-29",
        "40",
        "IMPL, DATA",
    ):
        assert fact in text
    assert text.count("ready to provision") == 2


def test_the_preview_says_what_blocks_provisioning() -> None:
    deal = _deal(region=None)

    text = describe_plans(deal, derive(deal, DEFAULT_POLICY))

    assert text.count("blocked: no region: set Account.Region__c") == 2


def test_the_preview_says_what_will_happen() -> None:
    deal = _deal()
    plans = derive(deal, DEFAULT_POLICY)
    existing = {
        plans[0].key: ForecastState.FORECASTED,
        "HO-GONE": ForecastState.RESERVED,
    }

    text = describe_plans(deal, plans, reconcile(existing, plans))

    assert "Reserved (moves from Forecasted)" in text
    assert "Reserved (will be created)" in text
    assert "HO-GONE will be cancelled: its line is no longer on the deal" in text


def test_a_deal_without_projects_says_why() -> None:
    deal = _deal(probability=10)

    assert NOTHING in describe_plans(deal, derive(deal, DEFAULT_POLICY))


def test_the_dict_form_is_json_able() -> None:
    deal = _deal(region=None)
    plans = derive(deal, DEFAULT_POLICY)

    preview = plans_as_dict(deal, plans, reconcile({}, plans))

    assert json.loads(json.dumps(preview)) == preview
    assert [project["action"] for project in preview["projects"]] == [
        "will be created"
    ] * 2
    assert preview["projects"][0]["problems"] == ["no region: set Account.Region__c"]
