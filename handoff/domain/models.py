"""What Handoff reasons about, free of any I/O.

A ``Deal`` is the commercial parent (an Opportunity, Quote, Order or Contract)
as read from Salesforce, with its lines. Deriving a deal under a policy yields
one ``ProjectPlan`` per deliverable: the Project__c that must exist, keyed by a
stable correlation key.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = [
    "CommercialLine",
    "Deal",
    "ForecastState",
    "ProjectKind",
    "ProjectPlan",
]


class ForecastState(enum.StrEnum):
    """Where a project stands in the deal's forecast."""

    FORECASTED = "Forecasted"
    RESERVED = "Reserved"
    BOOKED = "Booked"
    CANCELLED = "Cancelled"


class ProjectKind(enum.StrEnum):
    """The shape of delivery a line sells."""

    PROJECT = "project"
    RETAINER = "retainer"


@dataclass(frozen=True, kw_only=True)
class CommercialLine:
    """One line of a commercial parent: what was sold, how much, and when."""

    id: str
    source_object: str
    product_name: str
    product_code: str | None = None
    product_family: str | None = None
    quantity: Decimal = Decimal(1)
    total_price: Decimal | None = None
    service_date: date | None = None
    end_date: date | None = None
    bundle_key: str | None = None
    team: str | None = None
    upsell_of_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class Deal:
    """A commercial parent with its lines, as Salesforce holds it now.

    ``source_object`` is ``Opportunity``, ``Quote``, ``SBQQ__Quote__c``,
    ``Order`` or ``Contract``. Orders and contracts carry their ``status``
    and ``is_activated``: they make projects only once activated.
    """

    id: str
    source_object: str
    name: str
    account_id: str | None = None
    account_name: str | None = None
    region: str | None = None
    segment: str | None = None
    owner_id: str | None = None
    owner_email: str | None = None
    stage: str | None = None
    probability: Decimal | None = None
    is_closed: bool = False
    is_won: bool = False
    close_date: date | None = None
    opportunity_id: str | None = None
    status: str | None = None
    is_activated: bool = False
    lines: tuple[CommercialLine, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProjectPlan:
    """One deliverable the policy derives: what its Project__c must say.

    ``key`` is the correlation key: deterministic from the source line (or
    bundle), stored on Project__c as its external ID, and carried by every
    message about this project.

    An upsell plan has its own key and names the project it extends in
    ``upsell_of_key``; ``rocketlane_target`` says where its work goes in
    Rocketlane: ``"project"`` (a project of its own) or ``"phase_of:<key>"``
    (a phase of the earlier project, by governance policy).
    """

    key: str
    name: str
    deal_id: str
    deal_object: str
    kind: ProjectKind
    forecast_state: ForecastState
    line_ids: tuple[str, ...]
    account_id: str | None = None
    account_name: str | None = None
    opportunity_id: str | None = None
    product_code: str | None = None
    product_family: str | None = None
    region: str | None = None
    segment: str | None = None
    owner_id: str | None = None
    owner_email: str | None = None
    template_id: int | None = None
    start_date: date | None = None
    due_date: date | None = None
    budget_hours: Decimal | None = None
    amount: Decimal | None = None
    components: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())
    upsell_of_key: str | None = None
    rocketlane_target: str = "project"

    @property
    def is_valid(self) -> bool:
        """True when nothing blocks provisioning."""
        return not self.problems
