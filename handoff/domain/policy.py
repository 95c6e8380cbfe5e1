"""The policy: every rule an admin may change without code.

A policy is read from a YAML file (``HANDOFF_POLICY_FILE``); anything it leaves
out takes the defaults below. ``Policy.model_validate`` refuses unknown keys
and names the offending setting, so a typo fails at start-up, not at 3 a.m.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_POLICY",
    "SOURCE_OBJECTS",
    "FieldMapping",
    "ForecastRules",
    "MappedField",
    "MilestoneRules",
    "NamingRules",
    "Policy",
    "ProductRules",
    "RevenueRules",
    "RocketlaneRules",
    "RollupRules",
    "Route",
    "RoutingRules",
    "SourceFields",
    "ValidationRules",
]

Source = Literal["opportunity", "quote", "cpq_quote", "order", "contract"]
Treatment = Literal["project", "retainer", "ignore"]
Owner = Literal["salesforce", "rocketlane"]
Recognition = Literal["milestone", "percent_complete_hours", "eac"]

SOURCE_OBJECTS: dict[str, str] = {
    "opportunity": "Opportunity",
    "quote": "Quote",
    "cpq_quote": "SBQQ__Quote__c",
    "order": "Order",
    "contract": "Contract",
}


_FAMILIES: dict[str, Treatment] = {
    "Implementation": "project",
    "Professional Services": "project",
    "Consulting": "project",
    "Retainer": "retainer",
}


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductRules(_Rules):
    """Which product families make a project, and of which kind."""

    families: dict[str, Treatment] = Field(default_factory=lambda: dict(_FAMILIES))
    skus: dict[str, Treatment] = Field(default_factory=dict)
    default: Treatment = "ignore"
    split_bundles_by_date: bool = False
    split_bundles_by_team: bool = False

    def treatment(self, family: str | None, sku: str | None = None) -> Treatment:
        """What a line becomes: its SKU's override, else its family's rule."""
        if sku is not None and sku in self.skus:
            return self.skus[sku]
        return self.families.get(family or "", self.default)


class NamingRules(_Rules):
    """How a project is named: a pattern over the plan's attributes.

    Placeholders: ``{account}``, ``{sku}``, ``{region}``, ``{product}``,
    ``{deal}``, ``{segment}``.
    """

    pattern: str = "{account} – {sku} – {region}"
    max_length: int = 80
    missing: str = "?"


class Route(_Rules):
    """A routing rule: when every condition matches, use ``template_id``.

    Routes with a ``priority`` are tried first, lowest number first; routes
    without one keep their listed order after them.
    """

    template_id: int
    priority: int | None = None
    sku: str | None = None
    family: str | None = None
    region: str | None = None
    segment: str | None = None


class RoutingRules(_Rules):
    """Template routing: the first matching route wins, else the default."""

    routes: tuple[Route, ...] = ()
    default_template_id: int | None = 1001
    source: Literal["policy", "salesforce"] = "policy"
    salesforce_object: str = "Handoff_Template_Route__c"


class ForecastRules(_Rules):
    """When Project__c records appear and when they firm up."""

    forecast_probability: Decimal = Decimal(50)
    forecast_stages: tuple[str, ...] = ("Proposal/Price Quote",)
    reserve_probability: Decimal = Decimal(80)
    provision_tentative: bool = True
    won_stages: tuple[str, ...] = ("Closed Won",)
    lost_stages: tuple[str, ...] = ("Closed Lost",)
    activation_objects: tuple[str, ...] = ("Order", "Contract")


class RocketlaneRules(_Rules):
    """How forecast states show in Rocketlane."""

    tentative_status: int = 5
    active_status: int = 2
    cancelled_status: int = 8
    archive_on_cancel: bool = False
    owner_email: str | None = None
    default_duration_days: int = 90
    upsell: Literal["new_project", "new_phase"] = "new_project"


class ValidationRules(_Rules):
    """What must be known before a project may be provisioned."""

    require: tuple[Literal["owner", "start_date", "region", "routing_key"], ...] = (
        "owner",
        "start_date",
        "region",
        "routing_key",
    )


class SourceFields(_Rules):
    """Where attributes live in the org (SOQL paths relative to the deal)."""

    region: str = "Account.Region__c"
    segment: str = "Account.Segment__c"
    bundle_key: str = "Bundle_Key__c"


class MappedField(_Rules):
    """One field kept in step between Project__c and the Rocketlane project.

    ``rocketlane`` is a project property of the PUT body (``projectName``,
    ``startDate``, ``dueDate``, ``owner``, ``status``, ``budgetedHours``, …)
    or ``field:<id>`` for a Rocketlane custom field.
    """

    salesforce: str
    rocketlane: str
    owner: Owner = "salesforce"


_MAPPED = (
    MappedField(salesforce="Name", rocketlane="projectName"),
    MappedField(salesforce="Start_Date__c", rocketlane="startDate"),
    MappedField(salesforce="Due_Date__c", rocketlane="dueDate"),
    MappedField(salesforce="Project_Owner__c", rocketlane="owner"),
    MappedField(salesforce="Forecast_Status__c", rocketlane="status"),
    MappedField(salesforce="Budget_Hours__c", rocketlane="budgetedHours"),
)


class FieldMapping(_Rules):
    """Which Project__c fields are pushed to Rocketlane, and who owns each."""

    fields: tuple[MappedField, ...] = _MAPPED


class MilestoneRules(_Rules):
    """When a Rocketlane milestone counts as accepted by the customer.

    Rocketlane has no acceptance field: either a status label means accepted,
    or, with ``accepted_field_id`` set, a custom field holding one of
    ``accepted_field_values``.
    """

    accepted_status_labels: tuple[str, ...] = ("Completed",)
    accepted_field_id: int | None = None
    accepted_field_values: tuple[str, ...] = ()
    at_risk_status_labels: tuple[str, ...] = ("Blocked",)


class RevenueRules(_Rules):
    """How delivery turns into recognized revenue on Project__c."""

    method: Recognition = "milestone"
    completed_task_labels: tuple[str, ...] = ("Completed",)


class RollupRules(_Rules):
    """Where project figures roll up: target object → its Project__c lookup."""

    targets: dict[str, str] = Field(
        default_factory=lambda: {
            "Opportunity": "Opportunity__c",
            "Account": "Account__c",
        }
    )


class Policy(_Rules):
    """The whole policy. Every part has defaults."""

    version: Literal[1] = 1
    source: Source = "opportunity"
    products: ProductRules = Field(default_factory=ProductRules)
    naming: NamingRules = Field(default_factory=NamingRules)
    routing: RoutingRules = Field(default_factory=RoutingRules)
    forecast: ForecastRules = Field(default_factory=ForecastRules)
    rocketlane: RocketlaneRules = Field(default_factory=RocketlaneRules)
    validation: ValidationRules = Field(default_factory=ValidationRules)
    fields: SourceFields = Field(default_factory=SourceFields)
    mapping: FieldMapping = Field(default_factory=FieldMapping)
    milestones: MilestoneRules = Field(default_factory=MilestoneRules)
    revenue: RevenueRules = Field(default_factory=RevenueRules)
    rollups: RollupRules = Field(default_factory=RollupRules)

    @property
    def source_object(self) -> str:
        """The Salesforce object whose records become projects."""
        return SOURCE_OBJECTS[self.source]


DEFAULT_POLICY = Policy()
