"""provision: give a Project__c exactly one Rocketlane project.

Under the project's lock, re-reads the Project__c and the mapping. A project
already mapped, or found in Rocketlane by its ``externalReferenceId`` (the
Project__c ID), is adopted; only when neither exists is one created. A create
whose response was lost is resolved by looking the ID up, never by creating
again. The Rocketlane ID is then written back to the Project__c, and the
project's milestones are exchanged (``milestones.sync_milestones``): those
defined in Salesforce become Rocketlane milestones, the template's are
mirrored into Salesforce.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from handoff.adapters.errors import IntegrationError, InvalidRequest, RequestTimedOut
from handoff.adapters.salesforce_records import (
    PROJECT_OBJECT,
    ProjectRecord,
    read_project,
)
from handoff.domain.forecast import is_provisioned

from ..messages import ProvisionRequested
from ..runtime import Runtime
from .audit import audited_error, audited_ok
from .milestones import sync_milestones
from .projection import create_body, mapped_values
from .writeback import RESERVED_KEYS

__all__ = ["run"]

logger = logging.getLogger(__name__)

ACTOR = "provision"


def run(rt: Runtime, message: ProvisionRequested) -> None:
    """Create or adopt the Rocketlane project of one Project__c."""
    with rt.locks.hold(message.correlation_id):
        record = read_project(rt.salesforce, message.project_id)
        _check_key(record, message)
        if not _wanted(rt, record):
            return

        mapping = rt.store.ensure_mapping(
            record.key,
            salesforce_project_id=record.id,
            deal_id=record.get("Source_Record_Id__c"),
            deal_object=record.get("Source_Object__c"),
            forecast_state=record.get("Forecast_Status__c"),
        )
        existing = mapping.rocketlane_project_id or record.rocketlane_project_id
        project_id = existing or _find(rt, record) or _create(rt, record)

        rt.store.set_rocketlane_project(record.key, project_id)
        kept = {k: v for k, v in mapping.last_pushed.items() if k in RESERVED_KEYS}
        mapping = rt.store.update_mapping(
            record.key,
            last_pushed={**kept, **mapped_values(record, rt.policy)},
            status="active",
            last_error=None,
        )
        _write_back(rt, record, project_id)
        sync_milestones(rt, mapping, record_id=record.id, project_id=project_id)


def _check_key(record: ProjectRecord, message: ProvisionRequested) -> None:
    if record.key != message.correlation_id:
        raise InvalidRequest(
            f"Project__c {record.id} has key {record.key!r}, but the message is "
            f"about {message.correlation_id!r}",
            system="handoff",
        )


def _wanted(rt: Runtime, record: ProjectRecord) -> bool:
    state = record.forecast_state
    if state is None or not is_provisioned(state, rt.policy.forecast):
        logger.info("Project__c %r is %s: nothing to provision.", record.id, state)
        return False
    if record.get("Sync_Status__c") == "Blocked":
        logger.info(
            "Project__c %r is blocked: %s", record.id, record.get("Sync_Error__c")
        )
        return False
    return True


def _find(rt: Runtime, record: ProjectRecord) -> int | None:
    found = rt.rocketlane.find_project_by_reference(record.id)
    if found is None:
        return None
    logger.info(
        "Adopting Rocketlane project %r found by reference.", found["projectId"]
    )
    return int(found["projectId"])


def _create(rt: Runtime, record: ProjectRecord) -> int:
    body = create_body(record, rt.policy)
    try:
        created = rt.rocketlane.create_project(body)
    except RequestTimedOut:
        return _recover_lost_create(rt, record)
    except InvalidRequest as error:
        if "External Reference" in error.message:
            return _recover_lost_create(rt, record)
        _audit_failed_create(rt, record, body, error)
        raise
    project_id = int(created["projectId"])
    _audit_create(rt, record, body, project_id)
    return project_id


def _recover_lost_create(rt: Runtime, record: ProjectRecord) -> int:
    """The create may have committed: look it up before anyone retries."""
    found = _find(rt, record)
    if found is None:
        raise RequestTimedOut(
            f"the create of Project__c {record.id} got no answer and no project "
            "carries its reference yet",
            system="rocketlane",
        )
    return found


def _audit_create(
    rt: Runtime, record: ProjectRecord, body: dict[str, Any], project_id: int
) -> None:
    audited_ok(
        rt,
        system="rocketlane",
        operation="create",
        record_type="project",
        record_id=str(project_id),
        correlation_key=record.key,
        actor=ACTOR,
        fields=_flat(body),
    )


def _audit_failed_create(
    rt: Runtime, record: ProjectRecord, body: dict[str, Any], error: IntegrationError
) -> None:
    audited_error(
        rt,
        system="rocketlane",
        operation="create",
        record_type="project",
        record_id=None,
        correlation_key=record.key,
        actor=ACTOR,
        error=str(error),
        fields=_flat(body),
    )


def _write_back(rt: Runtime, record: ProjectRecord, project_id: int) -> None:
    if (
        record.rocketlane_project_id == project_id
        and record.get("Sync_Status__c") == "Synced"
    ):
        return
    fields = {
        "Rocketlane_Project_Id__c": str(project_id),
        "Sync_Status__c": "Synced",
        "Sync_Error__c": None,
        "Last_Synced_At__c": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    rt.salesforce.update(PROJECT_OBJECT, record.id, fields)
    audited_ok(
        rt,
        system="salesforce",
        operation="update",
        record_type=PROJECT_OBJECT,
        record_id=record.id,
        correlation_key=record.key,
        actor=ACTOR,
        fields=fields,
    )


def _flat(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if not isinstance(value, list)}
