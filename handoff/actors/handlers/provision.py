"""provision: give a Project__c exactly one Rocketlane project.

Under the project's lock, re-reads the Project__c and the mapping. A project
already mapped, or found in Rocketlane by its ``externalReferenceId`` (the
Project__c ID), is adopted; only when neither exists is one created. A create
whose response was lost is resolved by looking the ID up, never by creating
again. The Rocketlane ID is then written back to the Project__c, and the
project's milestones are exchanged (``milestones.sync_milestones``): those
defined in Salesforce become Rocketlane milestones, the template's are
mirrored into Salesforce.

An upsell (``Upsell_Of__c`` set) under the governance ``new_phase`` gets no
project of its own: it becomes a phase of the Rocketlane project of the
Project__c it extends, and maps to that one project. The phase is adopted
when the mapping, the Project__c or a phase of that project bearing its name
(which ends with the correlation key, see ``projection.PHASE_NAME``) already
has it; only then is it created. Both IDs are written back. Until the
original has its Rocketlane project the upsell waits (a transient error, so
the message retries with backoff). Milestones stay with the original project.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from handoff.adapters.errors import (
    IntegrationError,
    InvalidRequest,
    RequestTimedOut,
    TransientError,
)
from handoff.adapters.salesforce_records import (
    PROJECT_OBJECT,
    ProjectRecord,
    read_project,
)
from handoff.adapters.store import ProjectMapping
from handoff.domain.forecast import is_provisioned

from ..messages import ProvisionRequested
from ..runtime import Runtime
from .audit import audited_error, audited_ok
from .milestones import sync_milestones
from .projection import create_body, mapped_values, phase_body
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
        if _is_phase_upsell(rt, record):
            _provision_phase(rt, record, mapping)
            return
        existing = mapping.rocketlane_project_id or record.rocketlane_project_id
        project_id = existing or _find(rt, record) or _create(rt, record)

        rt.store.set_rocketlane_project(record.key, project_id)
        mapping = _remember_first_push(rt, record, mapping)
        _write_back(rt, record, project_id)
        sync_milestones(rt, mapping, record_id=record.id, project_id=project_id)


def _remember_first_push(
    rt: Runtime, record: ProjectRecord, mapping: ProjectMapping
) -> ProjectMapping:
    kept = {k: v for k, v in mapping.last_pushed.items() if k in RESERVED_KEYS}
    return rt.store.update_mapping(
        record.key,
        last_pushed={**kept, **mapped_values(record, rt.policy)},
        status="active",
        last_error=None,
    )


def _is_phase_upsell(rt: Runtime, record: ProjectRecord) -> bool:
    return rt.policy.rocketlane.upsell == "new_phase" and record.upsell_of is not None


def _provision_phase(
    rt: Runtime, record: ProjectRecord, mapping: ProjectMapping
) -> None:
    """Give a phase upsell its phase in the original's Rocketlane project."""
    project_id = mapping.rocketlane_project_id or _original_project(rt, record)
    phase_id = (
        mapping.rocketlane_phase_id
        or record.rocketlane_phase_id
        or _find_phase(rt, record, project_id)
        or _create_phase(rt, record, project_id)
    )

    rt.store.set_rocketlane_phase(record.key, project_id, phase_id)
    _remember_first_push(rt, record, mapping)
    _write_back(rt, record, project_id, phase_id=phase_id)


def _original_project(rt: Runtime, record: ProjectRecord) -> int:
    """The Rocketlane project of the Project__c the upsell extends."""
    original_id = str(record.upsell_of)
    mapping = rt.store.find_mapping(salesforce_project_id=original_id)
    project_id = mapping.rocketlane_project_id if mapping else None
    project_id = (
        project_id or read_project(rt.salesforce, original_id).rocketlane_project_id
    )
    if project_id is None:
        raise TransientError(
            f"Project__c {record.id} extends {original_id}, which has no "
            "Rocketlane project yet; its phase waits for it",
            system="handoff",
        )
    return project_id


def _find_phase(rt: Runtime, record: ProjectRecord, project_id: int) -> int | None:
    name = phase_body(record, project_id, rt.policy)["phaseName"]
    found = rt.rocketlane.find_phase_by_name(project_id, name)
    if found is None:
        return None
    logger.info("Adopting Rocketlane phase %r found by name.", found["phaseId"])
    return int(found["phaseId"])


def _create_phase(rt: Runtime, record: ProjectRecord, project_id: int) -> int:
    body = phase_body(record, project_id, rt.policy)
    try:
        created = rt.rocketlane.create_phase(body)
    except RequestTimedOut:
        found = _find_phase(rt, record, project_id)
        if found is None:
            raise
        return found
    phase_id = int(created["phaseId"])
    audited_ok(
        rt,
        system="rocketlane",
        operation="create",
        record_type="phase",
        record_id=str(phase_id),
        correlation_key=record.key,
        actor=ACTOR,
        fields={"phaseName": body["phaseName"], "projectId": project_id},
    )
    return phase_id


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


def _write_back(
    rt: Runtime, record: ProjectRecord, project_id: int, *, phase_id: int | None = None
) -> None:
    if (
        record.rocketlane_project_id == project_id
        and record.rocketlane_phase_id == phase_id
        and record.get("Sync_Status__c") == "Synced"
    ):
        return
    fields = {
        "Rocketlane_Project_Id__c": str(project_id),
        "Sync_Status__c": "Synced",
        "Sync_Error__c": None,
        "Last_Synced_At__c": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if phase_id is not None:
        fields["Rocketlane_Phase_Id__c"] = str(phase_id)
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
