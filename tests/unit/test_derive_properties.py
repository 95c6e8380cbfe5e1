"""Properties of derive and reconcile over any deal and any deal history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from handoff.domain.derive import derive
from handoff.domain.models import CommercialLine, Deal, ForecastState
from handoff.domain.policy import Policy, ProductRules
from handoff.domain.reconcile import reconcile

Lines = tuple[CommercialLine, ...]
Stage = tuple[str, int, bool, bool]

FAMILIES = ["Implementation", "Consulting", "Retainer", "Software", None]
STAGES = [
    ("Prospecting", 10, False, False),
    ("Value Proposition", 50, False, False),
    ("Proposal/Price Quote", 40, False, False),
    ("Negotiation/Review", 80, False, False),
    ("Perception Analysis", 70, False, False),
    ("Closed Won", 100, True, True),
    ("Closed Lost", 0, False, True),
]
POLICIES = st.builds(
    lambda by_date, by_team: Policy(
        products=ProductRules(
            split_bundles_by_date=by_date, split_bundles_by_team=by_team
        )
    ),
    st.booleans(),
    st.booleans(),
)


@st.composite
def _lines(draw: st.DrawFn) -> tuple[CommercialLine, ...]:
    count = draw(st.integers(0, 6))
    return tuple(
        CommercialLine(
            id=f"00k{index:012d}",
            source_object="OpportunityLineItem",
            product_name=f"P{index}",
            product_code=f"SKU-{index}",
            product_family=draw(st.sampled_from(FAMILIES)),
            quantity=Decimal(draw(st.integers(1, 100))),
            bundle_key=draw(st.sampled_from([None, None, "B1", "B2"])),
            team=draw(st.sampled_from([None, "Apps", "Data"])),
            service_date=draw(
                st.sampled_from([None, date(2025, 4, 1), date(2025, 7, 1)])
            ),
        )
        for index in range(count)
    )


def _deal(
    lines: tuple[CommercialLine, ...], stage: tuple[str, int, bool, bool]
) -> Deal:
    name, probability, won, closed = stage
    return Deal(
        id="006000000000001AAA",
        source_object="Opportunity",
        name="Deal",
        region="EMEA",
        owner_email="o@example.com",
        stage=name,
        probability=Decimal(probability),
        is_won=won,
        is_closed=closed,
        close_date=date(2025, 3, 31),
        lines=lines,
    )


@given(_lines(), st.sampled_from(STAGES), POLICIES, st.randoms(use_true_random=False))
def test_line_order_never_changes_the_plans(
    lines: Lines, stage: Stage, policy: Policy, random: Random
) -> None:
    shuffled = list(lines)
    random.shuffle(shuffled)

    assert derive(_deal(lines, stage), policy) == derive(
        _deal(tuple(shuffled), stage), policy
    )


@given(_lines(), st.sampled_from(STAGES), POLICIES)
def test_every_deliverable_has_its_own_key_and_every_line_one_project(
    lines: Lines, stage: Stage, policy: Policy
) -> None:
    plans = derive(_deal(lines, stage), policy)

    assert len({plan.key for plan in plans}) == len(plans)
    covered = [line_id for plan in plans for line_id in plan.line_ids]
    assert len(covered) == len(set(covered))


_histories = st.lists(
    st.tuples(st.sampled_from(STAGES), st.sets(st.integers(0, 5))),
    min_size=1,
    max_size=8,
)


@given(_lines(), _histories, POLICIES)
def test_no_history_makes_two_projects_for_one_deliverable(
    lines: Lines, history: list[tuple[Stage, set[int]]], policy: Policy
) -> None:
    """Property: stages and line removals in any order, applied through
    derive and reconcile, keep each line in one project for good, every
    state legal, and never move a Booked project back into the forecast."""
    states: dict[str, ForecastState] = {}
    key_of_line: dict[str, str] = {}
    for stage, removed in history:
        kept = tuple(line for index, line in enumerate(lines) if index not in removed)
        plans = derive(_deal(kept, stage), policy)
        result = reconcile(states, plans, below_threshold=not plans)
        after = result.states(states)

        for plan in result.create:
            assert plan.key not in states
        for plan in plans:
            for line_id in plan.line_ids:
                assert key_of_line.setdefault(line_id, plan.key) == plan.key
        for key, state in after.items():
            assert state in ForecastState
            if states.get(key) is ForecastState.BOOKED:
                assert state in (ForecastState.BOOKED, ForecastState.CANCELLED)
        states = after

    assert set(states) <= set(key_of_line.values())


@given(_lines(), st.sampled_from(STAGES), POLICIES)
def test_deriving_again_changes_nothing(
    lines: Lines, stage: Stage, policy: Policy
) -> None:
    deal = _deal(lines, stage)
    first = reconcile({}, derive(deal, policy))

    second = reconcile(first.states({}), derive(deal, policy))

    assert second.is_empty
    assert not second.refuse
