"""The forecast state machine, transition by transition."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handoff.domain.errors import IllegalTransition
from handoff.domain.forecast import (
    is_provisioned,
    next_state,
    rocketlane_status,
    target_state,
)
from handoff.domain.models import Deal, ForecastState
from handoff.domain.policy import ForecastRules, RocketlaneRules

F, R, B, C = (
    ForecastState.FORECASTED,
    ForecastState.RESERVED,
    ForecastState.BOOKED,
    ForecastState.CANCELLED,
)


def _deal(
    stage: str, probability: int, *, won: bool = False, closed: bool = False
) -> Deal:
    return Deal(
        id="006000000000001AAA",
        source_object="Opportunity",
        name="Deal",
        stage=stage,
        probability=Decimal(probability),
        is_won=won,
        is_closed=closed,
    )


@pytest.mark.parametrize(
    ("stage", "probability", "won", "closed", "expected"),
    [
        pytest.param(
            "Prospecting", 10, False, False, None, id="early-stage-no-project"
        ),
        pytest.param("Value Proposition", 50, False, False, F, id="at-50-forecasted"),
        pytest.param("Proposal/Price Quote", 20, False, False, F, id="proposal-stage"),
        pytest.param("Negotiation/Review", 90, False, False, R, id="at-80-reserved"),
        pytest.param("Closed Won", 100, True, True, B, id="won-booked"),
        pytest.param("Closed Lost", 0, False, True, C, id="lost-cancelled"),
    ],
)
def test_the_deal_sets_the_target_state(
    stage: str,
    probability: int,
    won: bool,
    closed: bool,
    expected: ForecastState | None,
) -> None:
    assert (
        target_state(_deal(stage, probability, won=won, closed=closed), ForecastRules())
        == expected
    )


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        pytest.param(None, F, F, id="new-forecast"),
        pytest.param(F, R, R, id="forecast-to-reserved"),
        pytest.param(R, B, B, id="reserved-to-booked"),
        pytest.param(F, None, C, id="slip-below-threshold-cancels"),
        pytest.param(C, R, R, id="reopened-deal-returns"),
        pytest.param(B, B, B, id="same-state-stays"),
        pytest.param(None, None, None, id="nothing-stays-nothing"),
    ],
)
def test_allowed_moves(
    current: ForecastState | None,
    target: ForecastState | None,
    expected: ForecastState | None,
) -> None:
    assert next_state(current, target) == expected


@pytest.mark.parametrize("target", [F, R], ids=["to-forecasted", "to-reserved"])
def test_a_booked_project_never_falls_back_to_forecast(target: ForecastState) -> None:
    with pytest.raises(IllegalTransition, match="Booked"):
        next_state(B, target)


@pytest.mark.parametrize(
    ("activated", "expected"),
    [
        pytest.param(False, None, id="draft-makes-nothing"),
        pytest.param(True, B, id="activated-books"),
    ],
)
@pytest.mark.parametrize("sobject", ["Order", "Contract"])
def test_orders_and_contracts_book_only_when_activated(
    sobject: str, activated: bool, expected: ForecastState | None
) -> None:
    deal = Deal(
        id="801000000000001AAA",
        source_object=sobject,
        name="Order",
        is_activated=activated,
    )

    assert target_state(deal, ForecastRules()) == expected


def test_a_configured_probability_moves_the_threshold() -> None:
    rules = ForecastRules(forecast_probability=Decimal(30), forecast_stages=())

    assert target_state(_deal("Qualification", 30), rules) == F
    assert target_state(_deal("Qualification", 29), rules) is None


def test_a_configured_stage_forecasts_whatever_the_probability() -> None:
    rules = ForecastRules(forecast_stages=("Needs Analysis",))

    assert target_state(_deal("Needs Analysis", 5), rules) == F


def test_the_won_stage_books_even_without_the_won_flag() -> None:
    assert target_state(_deal("Closed Won", 100), ForecastRules()) == B


@pytest.mark.parametrize(
    ("current", "target"),
    [
        pytest.param(None, C, id="never-born-cancelled"),
        pytest.param(B, F, id="booked-to-forecasted"),
        pytest.param(B, R, id="booked-to-reserved"),
    ],
)
def test_illegal_moves_are_refused_with_a_reason(
    current: ForecastState | None, target: ForecastState
) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_state(current, target)

    assert refused.value.target == str(target)
    assert "cannot move a project" in str(refused.value)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        pytest.param(F, 5, id="forecasted-proposed"),
        pytest.param(R, 5, id="reserved-proposed"),
        pytest.param(B, 2, id="booked-active"),
        pytest.param(C, 8, id="cancelled-cancelled"),
    ],
)
def test_each_state_shows_as_a_rocketlane_status(
    state: ForecastState, status: int
) -> None:
    assert rocketlane_status(state, RocketlaneRules()) == status


def test_the_rocketlane_statuses_are_configurable() -> None:
    rules = RocketlaneRules(tentative_status=6, active_status=10, cancelled_status=3)

    assert [rocketlane_status(s, rules) for s in (F, R, B, C)] == [6, 6, 10, 3]


@pytest.mark.parametrize(
    ("state", "tentative", "expected"),
    [
        pytest.param(F, True, True, id="forecasted-provisioned-by-policy"),
        pytest.param(R, True, True, id="reserved-provisioned-by-policy"),
        pytest.param(F, False, False, id="forecasted-held-back"),
        pytest.param(R, False, False, id="reserved-held-back"),
        pytest.param(B, False, True, id="booked-always"),
        pytest.param(C, True, False, id="cancelled-never"),
    ],
)
def test_which_states_are_provisioned(
    state: ForecastState, tentative: bool, expected: bool
) -> None:
    rules = ForecastRules(provision_tentative=tentative)

    assert is_provisioned(state, rules) is expected
