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

A Cancelled state does not remember that it was once Booked, so a won deal
that is later lost and then re-opened brings its project back into the
forecast; the state alone cannot tell, and that path is rare enough to leave
to the admin.

Orders and contracts have no forecast: they book their projects when they are
activated, and make none before.
"""

from __future__ import annotations

from .errors import IllegalTransition
from .models import Deal, ForecastState
from .policy import ForecastRules, RocketlaneRules

__all__ = [
    "ALLOWED",
    "is_provisioned",
    "next_state",
    "rocketlane_status",
    "target_state",
]

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
    if deal.source_object in rules.activation_objects:
        return B if deal.is_activated else None
    if deal.is_won or deal.stage in rules.won_stages:
        return B
    if deal.is_closed or deal.stage in rules.lost_stages:
        return C
    return _by_probability(deal, rules)


def _by_probability(deal: Deal, rules: ForecastRules) -> ForecastState | None:
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
        raise IllegalTransition(str(current), str(target), _why_not(current))
    return target


def _why_not(current: ForecastState | None) -> str:
    if current is B:
        return "a booked project never returns to the forecast"
    return "the forecast state machine has no such move"


def rocketlane_status(state: ForecastState, rules: RocketlaneRules) -> int:
    """The Rocketlane project status value that shows this forecast state."""
    if state is B:
        return rules.active_status
    if state is C:
        return rules.cancelled_status
    return rules.tentative_status


def is_provisioned(state: ForecastState, rules: ForecastRules) -> bool:
    """Whether a project in this state should exist in Rocketlane.

    Booked projects always do; tentative ones (Forecasted, Reserved) only
    when the policy provisions tentative projects; cancelled ones are never
    created, though one already provisioned is kept and shown as cancelled.
    """
    if state is B:
        return True
    if state is C:
        return False
    return rules.provision_tentative
