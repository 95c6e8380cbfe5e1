"""Reconciling existing projects with the plans a deal derives now."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handoff.domain.derive import derive
from handoff.domain.models import (
    CommercialLine,
    Deal,
    ForecastState,
    ProjectKind,
    ProjectPlan,
)
from handoff.domain.policy import DEFAULT_POLICY
from handoff.domain.reconcile import BELOW_THRESHOLD, LINE_REMOVED, reconcile

F, R, B, C = (
    ForecastState.FORECASTED,
    ForecastState.RESERVED,
    ForecastState.BOOKED,
    ForecastState.CANCELLED,
)


def _plan(key: str, state: ForecastState) -> ProjectPlan:
    return ProjectPlan(
        key=key,
        name=key,
        deal_id="006A",
        deal_object="Opportunity",
        kind=ProjectKind.PROJECT,
        forecast_state=state,
        line_ids=(key,),
    )


def test_a_new_plan_is_created() -> None:
    result = reconcile({}, [_plan("HO-1", F)])

    assert [plan.key for plan in result.create] == ["HO-1"]
    assert not (result.move or result.cancel or result.refuse)


def test_a_plan_already_in_its_state_is_kept() -> None:
    result = reconcile({"HO-1": R}, [_plan("HO-1", R)])

    assert result.keep == ("HO-1",)
    assert result.is_empty


@pytest.mark.parametrize(
    ("current", "target"),
    [
        pytest.param(F, R, id="forecasted-to-reserved"),
        pytest.param(R, F, id="reserved-back-to-forecasted"),
        pytest.param(R, B, id="reserved-to-booked"),
        pytest.param(F, C, id="forecasted-lost"),
        pytest.param(B, C, id="booked-lost"),
        pytest.param(C, R, id="cancelled-reopened"),
    ],
)
def test_an_existing_project_moves_with_its_deal(
    current: ForecastState, target: ForecastState
) -> None:
    result = reconcile({"HO-1": current}, [_plan("HO-1", target)])

    [move] = result.move
    assert (move.key, move.current, move.target) == ("HO-1", current, target)
    assert move.plan is not None
    assert not result.create


@pytest.mark.parametrize("target", [F, R], ids=["to-forecasted", "to-reserved"])
def test_a_booked_project_is_never_moved_back(target: ForecastState) -> None:
    result = reconcile({"HO-1": B}, [_plan("HO-1", target)])

    [refusal] = result.refuse
    assert (refusal.current, refusal.target) == (B, target)
    assert "booked project never returns" in refusal.reason
    assert result.states({"HO-1": B}) == {"HO-1": B}


def test_a_project_whose_line_left_the_deal_is_cancelled() -> None:
    result = reconcile({"HO-1": R, "HO-2": R}, [_plan("HO-1", R)])

    [cancel] = result.cancel
    assert (cancel.key, cancel.current, cancel.target) == ("HO-2", R, C)
    assert cancel.reason == LINE_REMOVED


def test_a_deal_below_threshold_cancels_everything_and_says_why() -> None:
    result = reconcile({"HO-1": F, "HO-2": R}, [], below_threshold=True)

    assert [move.key for move in result.cancel] == ["HO-1", "HO-2"]
    assert {move.reason for move in result.cancel} == {BELOW_THRESHOLD}


def test_a_cancelled_project_without_a_plan_stays_cancelled() -> None:
    result = reconcile({"HO-1": C}, [])

    assert result.keep == ("HO-1",)
    assert result.is_empty


def test_a_lost_deal_creates_no_project_just_to_cancel_it() -> None:
    result = reconcile({}, [_plan("HO-1", C)])

    assert result.skip == ("HO-1",)
    assert result.is_empty


def test_states_apply_every_step() -> None:
    existing = {"HO-1": F, "HO-2": R}

    result = reconcile(existing, [_plan("HO-1", B), _plan("HO-3", F)])

    assert result.states(existing) == {"HO-1": B, "HO-2": C, "HO-3": F}


def _opportunity(stage: str, probability: int, *, won: bool = False) -> Deal:
    line = CommercialLine(
        id="00k000000000001AAA",
        source_object="OpportunityLineItem",
        product_name="Onboarding",
        product_code="IMPL-STD",
        product_family="Implementation",
        total_price=Decimal(10000),
    )
    return Deal(
        id="006000000000001AAA",
        source_object="Opportunity",
        name="Acme",
        account_name="Acme",
        region="EMEA",
        owner_email="owner@example.com",
        stage=stage,
        probability=Decimal(probability),
        is_won=won,
        is_closed=won or stage == "Closed Lost",
        close_date=date(2025, 3, 31),
        lines=(line,),
    )


def test_a_reopened_deal_returns_to_the_same_project() -> None:
    """Lost, then re-opened: the same key comes back, no second project."""
    states: dict[str, ForecastState] = {}
    keys = set()

    for stage, probability in [
        ("Proposal/Price Quote", 50),
        ("Closed Lost", 0),
        ("Negotiation/Review", 80),
    ]:
        plans = derive(_opportunity(stage, probability), DEFAULT_POLICY)
        result = reconcile(states, plans)
        states = result.states(states)
        keys |= {plan.key for plan in plans}

    assert len(keys) == 1
    assert list(states.values()) == [R]


def test_re_entering_a_stage_creates_nothing_new() -> None:
    deal = _opportunity("Negotiation/Review", 80)
    first = reconcile({}, derive(deal, DEFAULT_POLICY))

    second = reconcile(first.states({}), derive(deal, DEFAULT_POLICY))

    assert len(first.create) == 1
    assert second.is_empty
