"""Reconciling the projects that exist with the plans a deal derives now.

Deriving a deal says where each deliverable should stand; reconciling says
what to do about it, given where the existing projects are::

    plan, no project            → create            (unless it would start
                                                      Cancelled: skip)
    plan, project elsewhere     → move, or refuse    (IllegalTransition)
    plan, project already there → keep
    project, no plan            → cancel            (its line left the deal)

Nothing is dropped: a refused move is reported with its reason, for the
caller to record on the Project__c.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import IllegalTransition
from .forecast import next_state
from .models import ForecastState, ProjectPlan

__all__ = ["Move", "Reconciliation", "Refusal", "reconcile"]

LINE_REMOVED = "its line is no longer on the deal"
BELOW_THRESHOLD = "the deal fell below the forecast threshold"


@dataclass(frozen=True, kw_only=True)
class Move:
    """An existing project going from one forecast state to another.

    ``plan`` is the fresh plan behind the move, or None when the project is
    cancelled because nothing derives it any more.
    """

    key: str
    current: ForecastState
    target: ForecastState
    plan: ProjectPlan | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """A move the state machine forbids; the project stays where it is."""

    key: str
    current: ForecastState | None
    target: ForecastState
    reason: str
    plan: ProjectPlan | None = None


@dataclass(frozen=True, kw_only=True)
class Reconciliation:
    """What to do so the projects match the deal. Every tuple is sorted by key."""

    create: tuple[ProjectPlan, ...] = ()
    move: tuple[Move, ...] = ()
    cancel: tuple[Move, ...] = ()
    refuse: tuple[Refusal, ...] = ()
    keep: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no project is created, moved or cancelled."""
        return not (self.create or self.move or self.cancel)

    def states(self, existing: Mapping[str, ForecastState]) -> dict[str, ForecastState]:
        """The state of every project once this reconciliation is applied."""
        after = dict(existing)
        after.update({plan.key: plan.forecast_state for plan in self.create})
        after.update({move.key: move.target for move in self.move + self.cancel})
        return after


def reconcile(
    existing: Mapping[str, ForecastState],
    plans: Sequence[ProjectPlan],
    *,
    below_threshold: bool = False,
) -> Reconciliation:
    """Compare the projects' states (key → state) with the derived plans.

    ``below_threshold`` only words the reason of cancellations: pass True
    when the deal derived nothing because it slipped under the threshold.
    """
    ledger = _Ledger()
    for plan in sorted(plans, key=lambda plan: plan.key):
        ledger.plan(existing.get(plan.key), plan)

    reason = BELOW_THRESHOLD if below_threshold else LINE_REMOVED
    derived = {plan.key for plan in plans}
    for key in sorted(set(existing) - derived):
        ledger.orphan(key, existing[key], reason)
    return ledger.result()


@dataclass
class _Ledger:
    """The reconciliation being written up, one project at a time."""

    create: list[ProjectPlan] = field(default_factory=list)
    move: list[Move] = field(default_factory=list)
    cancel: list[Move] = field(default_factory=list)
    refuse: list[Refusal] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)

    def plan(self, current: ForecastState | None, plan: ProjectPlan) -> None:
        if current is None and plan.forecast_state is ForecastState.CANCELLED:
            self.skip.append(plan.key)
            return
        try:
            target = next_state(current, plan.forecast_state)
        except IllegalTransition as refused:
            self.refuse.append(_refusal(current, plan, refused))
            return

        if current is None:
            self.create.append(plan)
        elif target == current:
            self.keep.append(plan.key)
        else:
            self.move.append(_move(current, plan))

    def orphan(self, key: str, current: ForecastState, reason: str) -> None:
        if current is ForecastState.CANCELLED:
            self.keep.append(key)
            return
        self.cancel.append(
            Move(
                key=key, current=current, target=ForecastState.CANCELLED, reason=reason
            )
        )

    def result(self) -> Reconciliation:
        return Reconciliation(
            create=tuple(self.create),
            move=tuple(self.move),
            cancel=tuple(self.cancel),
            refuse=tuple(self.refuse),
            keep=tuple(sorted(self.keep)),
            skip=tuple(self.skip),
        )


def _move(current: ForecastState, plan: ProjectPlan) -> Move:
    return Move(
        key=plan.key,
        current=current,
        target=plan.forecast_state,
        plan=plan,
        reason=f"the deal now says {plan.forecast_state}",
    )


def _refusal(
    current: ForecastState | None, plan: ProjectPlan, refused: IllegalTransition
) -> Refusal:
    return Refusal(
        key=plan.key,
        current=current,
        target=plan.forecast_state,
        reason=str(refused),
        plan=plan,
    )
