"""The forecast state machine, transition by transition."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handoff.domain.errors import IllegalTransition
from handoff.domain.forecast import next_state, target_state
from handoff.domain.models import Deal, ForecastState
from handoff.domain.policy import ForecastRules

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
