"""How a Project__c shows in Rocketlane: the create body and the mapped values.

``mapped_values`` reads the Salesforce-owned fields of the policy's field
mapping off a Project__c, keyed by Project__c field name, with the owner
lookup replaced by the owner's email (Rocketlane knows people by email).
update-delta compares these with what was last pushed; provision records
them as the first "last pushed" state.

An upsell governed as ``new_phase`` shows as a phase of the original's
Rocketlane project instead: ``phase_body`` and ``phase_changes`` carry its
name and dates there. Phases have no externalReferenceId, so the phase name
ends with the project's correlation key in brackets (``PHASE_NAME``) and a
phase whose create answer was lost is found again by that exact name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from handoff.adapters.salesforce_records import ProjectRecord
from handoff.domain.delta import to_rocketlane_body
from handoff.domain.policy import Policy

__all__ = [
    "OWNER_FIELD",
    "PHASE_NAME",
    "by_rocketlane_field",
    "create_body",
    "mapped_values",
    "phase_body",
    "phase_changes",
    "phase_name",
    "rocketlane_values",
]

OWNER_FIELD = "Project_Owner__c"
PHASE_NAME = "{name} [{key}]"
PHASE_FIELDS = {
    "projectName": "phaseName",
    "startDate": "startDate",
    "dueDate": "dueDate",
}


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


def phase_name(name: object, key: str) -> str:
    """The phase name of an upsell: its name, then its key in brackets."""
    return PHASE_NAME.format(name=name or "Upsell", key=key)


def phase_body(
    record: ProjectRecord, project_id: int, policy: Policy
) -> dict[str, Any]:
    """The POST /phases body of a phase upsell in Rocketlane project ``project_id``.

    Both dates are required: a missing start is today, a missing due date
    the policy's default duration after the start.
    """
    start = _day(record.get("Start_Date__c")) or date.today()
    due = _day(record.get("Due_Date__c")) or start + timedelta(
        days=policy.rocketlane.default_duration_days
    )
    return {
        "phaseName": phase_name(record.get("Name"), record.key),
        "project": {"projectId": project_id},
        "startDate": start.isoformat(),
        "dueDate": max(start, due).isoformat(),
    }


def phase_changes(
    delta: Mapping[str, Any], record: ProjectRecord, policy: Policy
) -> dict[str, Any]:
    """The PUT /phases/{id} body for changed Project__c values.

    Only the name and the dates apply to a phase; the owner, status and
    budget of the Rocketlane project stay the original deal's.
    """
    changes: dict[str, Any] = {}
    for field, value in by_rocketlane_field(dict(delta), policy).items():
        target = PHASE_FIELDS.get(field)
        if target == "phaseName":
            changes[target] = phase_name(value, record.key)
        elif target is not None and value:
            changes[target] = str(value)[:10]
    return changes


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None
