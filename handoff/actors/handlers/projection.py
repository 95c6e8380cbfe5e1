"""How a Project__c shows in Rocketlane: the create body and the mapped values.

``mapped_values`` reads the Salesforce-owned fields of the policy's field
mapping off a Project__c, keyed by Project__c field name, with the owner
lookup replaced by the owner's email (Rocketlane knows people by email).
update-delta compares these with what was last pushed; provision records
them as the first "last pushed" state.
"""

from __future__ import annotations

from typing import Any

from handoff.adapters.salesforce_records import ProjectRecord
from handoff.domain.delta import to_rocketlane_body
from handoff.domain.policy import Policy

__all__ = [
    "OWNER_FIELD",
    "by_rocketlane_field",
    "create_body",
    "mapped_values",
    "rocketlane_values",
]

OWNER_FIELD = "Project_Owner__c"


def mapped_values(record: ProjectRecord, policy: Policy) -> dict[str, Any]:
    """Project__c field → value, for every Salesforce-owned mapped field."""
    values = {
        field.salesforce: record.get(field.salesforce)
        for field in policy.mapping.fields
        if field.owner == "salesforce"
    }
    if OWNER_FIELD in values:
        values[OWNER_FIELD] = record.owner_email or policy.rocketlane.owner_email
    return values


def rocketlane_values(record: ProjectRecord, policy: Policy) -> dict[str, Any]:
    """The mapped values keyed by Rocketlane field instead."""
    return by_rocketlane_field(mapped_values(record, policy), policy)


def by_rocketlane_field(values: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """Values keyed by Project__c field, re-keyed by their Rocketlane field."""
    by_salesforce = {
        field.salesforce: field.rocketlane for field in policy.mapping.fields
    }
    return {by_salesforce[name]: value for name, value in values.items()}


def create_body(record: ProjectRecord, policy: Policy) -> dict[str, Any]:
    """The POST /projects body for a Project__c, its ID as externalReferenceId."""
    body = to_rocketlane_body(
        rocketlane_values(record, policy), policy.mapping, rules=policy.rocketlane
    )
    body = {name: value for name, value in body.items() if value is not None}
    body |= {
        "customer": {"companyName": record.account_name or "Unknown customer"},
        "autoCreateCompany": True,
        "externalReferenceId": record.id,
    }
    template = record.get("Template_Id__c")
    if template and body.get("startDate"):
        body["sources"] = [
            {"templateId": int(template), "startDate": body["startDate"]}
        ]
    return body
