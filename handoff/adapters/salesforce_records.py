"""Translation between Salesforce records and Handoff's domain.

Reads a commercial parent (today: an Opportunity with its lines) into a
``Deal``, and writes a ``ProjectPlan`` as the fields of its Project__c, using
the object and field names of Handoff's SFDX package (handoff/ops/salesforce).
Every ID put into SOQL is checked first, so no query can be injected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from handoff.domain.models import (
    CommercialLine,
    Deal,
    ForecastState,
    ProjectKind,
    ProjectPlan,
)
from handoff.domain.policy import SourceFields
from handoff.domain.routing import ROUTE_FIELDS, RouteTable, routes_from_records

from .errors import InvalidRequest, NotFound
from .ports import SalesforceClient

__all__ = [
    "PROJECT_FIELDS",
    "PROJECT_OBJECT",
    "ProjectRecord",
    "plan_fields",
    "project_ids_by_key",
    "read_opportunity",
    "read_project",
    "read_projects_of_deal",
    "read_routes",
    "soql_id",
]

PROJECT_OBJECT = "Project__c"
PROJECT_KEY_FIELD = "Handoff_Key__c"
PROJECT_FIELDS = (
    "Id",
    "Name",
    "Handoff_Key__c",
    "Opportunity__c",
    "Account__c",
    "Account__r.Name",
    "Source_Object__c",
    "Source_Record_Id__c",
    "Source_Line_Ids__c",
    "Product_Code__c",
    "Product_Family__c",
    "Region__c",
    "Segment__c",
    "Project_Kind__c",
    "Forecast_Status__c",
    "Template_Id__c",
    "Rocketlane_Project_Id__c",
    "Rocketlane_Phase_Id__c",
    "Sync_Status__c",
    "Sync_Error__c",
    "Start_Date__c",
    "Due_Date__c",
    "Project_Owner__c",
    "Project_Owner__r.Email",
    "Budget_Hours__c",
    "Amount__c",
    "Components__c",
    "Upsell_Of__c",
    "Upsell_Of__r.Handoff_Key__c",
    "SystemModstamp",
)
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_KEY = re.compile(r"^HO-[0-9A-F]{20}$")
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_KINDS = {ProjectKind.PROJECT: "Project", ProjectKind.RETAINER: "Retainer"}


def soql_id(value: str) -> str:
    """A Salesforce ID quoted for SOQL; raises InvalidRequest for anything else."""
    if not _ID.match(value):
        raise InvalidRequest(f"{value!r} is not a Salesforce ID", system="salesforce")
    return f"'{value}'"


def read_opportunity(
    client: SalesforceClient, opportunity_id: str, fields: SourceFields
) -> Deal:
    """The Opportunity with its lines, as Salesforce holds it now."""
    soql = (
        "SELECT Id, Name, StageName, Probability, IsClosed, IsWon, CloseDate, "
        f"OwnerId, Owner.Email, AccountId, Account.Name, {fields.region}, "
        f"{fields.segment}, (SELECT Id, Quantity, TotalPrice, ServiceDate, "
        f"{fields.bundle_key}, Product2.Name, Product2.ProductCode, "
        "Product2.Family FROM OpportunityLineItems) "
        f"FROM Opportunity WHERE Id = {soql_id(opportunity_id)}"
    )
    rows = client.query(soql)
    if not rows:
        raise NotFound(
            f"Opportunity {opportunity_id} does not exist", system="salesforce"
        )
    return _deal(rows[0], fields)


def opportunity_of_line(client: SalesforceClient, line_id: str) -> str:
    """The Opportunity an OpportunityLineItem belongs to."""
    rows = client.query(
        f"SELECT OpportunityId FROM OpportunityLineItem WHERE Id = {soql_id(line_id)}"
    )
    if not rows:
        raise NotFound(
            f"OpportunityLineItem {line_id} does not exist", system="salesforce"
        )
    return str(rows[0]["OpportunityId"])


def _deal(row: Mapping[str, Any], fields: SourceFields) -> Deal:
    lines = (row.get("OpportunityLineItems") or {}).get("records") or []
    return Deal(
        id=row["Id"],
        source_object="Opportunity",
        name=row.get("Name") or "",
        account_id=row.get("AccountId"),
        account_name=field_path(row, "Account.Name"),
        region=field_path(row, fields.region),
        segment=field_path(row, fields.segment),
        owner_id=row.get("OwnerId"),
        owner_email=field_path(row, "Owner.Email"),
        stage=row.get("StageName"),
        probability=_decimal(row.get("Probability")),
        is_closed=bool(row.get("IsClosed")),
        is_won=bool(row.get("IsWon")),
        close_date=_date(row.get("CloseDate")),
        lines=tuple(_line(line, fields) for line in lines),
    )


def _line(row: Mapping[str, Any], fields: SourceFields) -> CommercialLine:
    return CommercialLine(
        id=row["Id"],
        source_object="OpportunityLineItem",
        product_name=field_path(row, "Product2.Name") or "",
        product_code=field_path(row, "Product2.ProductCode"),
        product_family=field_path(row, "Product2.Family"),
        quantity=_decimal(row.get("Quantity")) or Decimal(1),
        total_price=_decimal(row.get("TotalPrice")),
        service_date=_date(row.get("ServiceDate")),
        bundle_key=field_path(row, fields.bundle_key),
    )


def field_path(row: Mapping[str, Any], path: str) -> Any:
    """A value reached through relationship dots (``Account.Name``), or None."""
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class ProjectRecord:
    """A Project__c as read from Salesforce, with typed accessors."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.row = dict(row)

    @property
    def id(self) -> str:
        return str(self.row["Id"])

    @property
    def key(self) -> str:
        return str(self.row["Handoff_Key__c"])

    @property
    def forecast_state(self) -> ForecastState | None:
        value = self.row.get("Forecast_Status__c")
        return ForecastState(value) if value else None

    @property
    def rocketlane_project_id(self) -> int | None:
        value = self.row.get("Rocketlane_Project_Id__c")
        return int(value) if value else None

    @property
    def rocketlane_phase_id(self) -> int | None:
        """The Rocketlane phase of an upsell delivered as a phase, else None."""
        value = self.row.get("Rocketlane_Phase_Id__c")
        return int(value) if value else None

    @property
    def upsell_of(self) -> str | None:
        """The Project__c this one extends (``Upsell_Of__c``), if any."""
        value = self.row.get("Upsell_Of__c")
        return str(value) if value else None

    @property
    def owner_email(self) -> str | None:
        value = field_path(self.row, "Project_Owner__r.Email")
        return str(value) if value else None

    @property
    def account_name(self) -> str | None:
        value = field_path(self.row, "Account__r.Name")
        return str(value) if value else None

    def get(self, name: str) -> Any:
        return field_path(self.row, name)


def read_project(client: SalesforceClient, project_id: str) -> ProjectRecord:
    """One Project__c with every field Handoff uses; raises NotFound."""
    rows = client.query(
        f"SELECT {', '.join(PROJECT_FIELDS)} FROM {PROJECT_OBJECT} "
        f"WHERE Id = {soql_id(project_id)}"
    )
    if not rows:
        raise NotFound(f"Project__c {project_id} does not exist", system="salesforce")
    return ProjectRecord(rows[0])


def read_projects_of_deal(
    client: SalesforceClient, deal_id: str
) -> list[ProjectRecord]:
    """Every Project__c derived from one commercial parent."""
    rows = client.query(
        f"SELECT {', '.join(PROJECT_FIELDS)} FROM {PROJECT_OBJECT} "
        f"WHERE Source_Record_Id__c = {soql_id(deal_id)}"
    )
    return [ProjectRecord(row) for row in rows]


def project_ids_by_key(client: SalesforceClient, keys: Sequence[str]) -> dict[str, str]:
    """Project__c IDs by correlation key, for the keys that exist."""
    if not keys:
        return {}
    quoted = ", ".join(_soql_key(key) for key in keys)
    rows = client.query(
        f"SELECT Id, {PROJECT_KEY_FIELD} FROM {PROJECT_OBJECT} "
        f"WHERE {PROJECT_KEY_FIELD} IN ({quoted})"
    )
    return {str(row[PROJECT_KEY_FIELD]): str(row["Id"]) for row in rows}


def read_routes(client: SalesforceClient, sobject: str) -> RouteTable:
    """Template routes kept in Salesforce, with the rows that could not be read.

    ``sobject`` is the policy's routing object (Handoff_Template_Route__c);
    its name must be an API name, which is checked before it is queried.
    """
    if not _API_NAME.match(sobject):
        raise InvalidRequest(f"{sobject!r} is not an object name", system="handoff")
    columns = ["Id", "Name", "Template_Id__c", "Priority__c", "Active__c"]
    columns += list(ROUTE_FIELDS.values())
    rows = client.query(f"SELECT {', '.join(columns)} FROM {sobject} ORDER BY Name")
    return routes_from_records(rows)


def _soql_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidRequest(f"{key!r} is not a Handoff key", system="handoff")
    return f"'{key}'"


def plan_fields(plan: ProjectPlan) -> dict[str, Any]:
    """The Project__c fields a plan determines (derive owns these)."""
    return {
        PROJECT_KEY_FIELD: plan.key,
        "Name": plan.name,
        "Opportunity__c": plan.opportunity_id,
        "Account__c": plan.account_id,
        "Source_Object__c": plan.deal_object,
        "Source_Record_Id__c": plan.deal_id,
        "Source_Line_Ids__c": ",".join(plan.line_ids),
        "Product_Code__c": plan.product_code,
        "Product_Family__c": plan.product_family,
        "Region__c": plan.region,
        "Segment__c": plan.segment,
        "Project_Kind__c": _KINDS[plan.kind],
        "Forecast_Status__c": str(plan.forecast_state),
        "Template_Id__c": plan.template_id,
        "Start_Date__c": _iso(plan.start_date),
        "Due_Date__c": _iso(plan.due_date),
        "Project_Owner__c": plan.owner_id,
        "Budget_Hours__c": _number(plan.budget_hours),
        "Amount__c": _number(plan.amount),
        "Components__c": ", ".join(plan.components) or None,
    }


def changed_fields(
    wanted: Mapping[str, Any], record: ProjectRecord | None
) -> dict[str, Any]:
    """The wanted values that differ from what the record holds."""
    if record is None:
        return dict(wanted)
    return {
        name: value
        for name, value in wanted.items()
        if not _same(value, record.row.get(name))
    }


def _same(wanted: Any, current: Any) -> bool:
    if wanted is None or current is None:
        return wanted is None and current is None
    if isinstance(wanted, int | float | Decimal) or isinstance(
        current, int | float | Decimal
    ):
        try:
            return Decimal(str(wanted)) == Decimal(str(current))
        except ArithmeticError:
            return False
    return str(wanted) == str(current)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def keys_of(records: Sequence[ProjectRecord]) -> dict[str, ProjectRecord]:
    """Records by correlation key."""
    return {record.key: record for record in records}
