"""The forecast state machine of a project.

A deal's stage and probability set the state its projects should be in; the
machine decides whether the project may move there from where it is::

    (none) ──► Forecasted ◄──► Reserved
                  │  ╲          │
                  │   ╲         ▼
                  │    ╲───► Booked
                  ▼             │
              Cancelled ◄───────┘
                  │
                  └──► Forecasted / Reserved / Booked   (the deal re-opened)

A Booked project never falls back to Forecasted or Reserved: delivery may have
hard-booked people against it. Such a move is refused with IllegalTransition.
"""

from __future__ import annotations

from .errors import IllegalTransition
from .models import Deal, ForecastState
from .policy import ForecastRules

__all__ = ["ALLOWED", "next_state", "target_state"]

F, R, B, C = (
    ForecastState.FORECASTED,
    ForecastState.RESERVED,
    ForecastState.BOOKED,
    ForecastState.CANCELLED,
)

ALLOWED: dict[ForecastState | None, frozenset[ForecastState]] = {
    None: frozenset({F, R, B}),
    F: frozenset({R, B, C}),
    R: frozenset({F, B, C}),
    B: frozenset({C}),
    C: frozenset({F, R, B}),
}


def target_state(deal: Deal, rules: ForecastRules) -> ForecastState | None:
    """The state the deal's projects should be in, or None for no project yet."""
    if deal.is_won or deal.stage in rules.won_stages:
        return B
    if deal.is_closed or deal.stage in rules.lost_stages:
        return C
    probability = deal.probability
    if probability is not None and probability >= rules.reserve_probability:
        return R
    if probability is not None and probability >= rules.forecast_probability:
        return F
    if deal.stage in rules.forecast_stages:
        return F
    return None


def next_state(
    current: ForecastState | None, target: ForecastState | None
) -> ForecastState | None:
    """Where a project in ``current`` goes when its deal says ``target``.

    A project whose deal slipped below the threshold (``target`` None) is
    cancelled. Raises IllegalTransition for a move the machine forbids.
    """
    if target is None:
        return None if current in (None, C) else C
    if target == current:
        return current
    if target not in ALLOWED[current]:
        raise IllegalTransition(str(current), str(target))
    return target
