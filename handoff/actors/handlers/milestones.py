"""milestone-accept: mirror a Rocketlane milestone into Project_Milestone__c.

Re-reads the milestone (a task of type MILESTONE) rather than trusting the
webhook, upserts its Project_Milestone__c by Rocketlane_Milestone_Id__c, sets
the Acceptance Date when it reaches the accepted status, and asks
revenue-sync to refresh the project.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from handoff.adapters.errors import NotFound

from ..messages import MilestoneChanged, RevenueSyncRequested
from ..runtime import Runtime
from .audit import audited_ok

__all__ = ["MILESTONE_OBJECT", "run"]

logger = logging.getLogger(__name__)

ACTOR = "milestone_accept"
MILESTONE_OBJECT = "Project_Milestone__c"
MILESTONE_KEY_FIELD = "Rocketlane_Milestone_Id__c"
ACCEPTED_LABELS = frozenset({"Completed"})


class _TaskReader(Protocol):
    def get_task(self, task_id: int) -> dict[str, Any]: ...


def run(rt: Runtime, message: MilestoneChanged) -> None:
    """Upsert the Project_Milestone__c of one Rocketlane milestone."""
    with rt.locks.hold(message.correlation_id):
        mapping = rt.store.find_mapping(
            rocketlane_project_id=message.rocketlane_project_id
        )
        if mapping is None or mapping.salesforce_project_id is None:
            raise NotFound(
                f"Rocketlane project {message.rocketlane_project_id} maps to no Project__c",
                system="handoff",
            )
        reader: _TaskReader = rt.rocketlane  # type: ignore[assignment]
        task = reader.get_task(message.rocketlane_task_id)
        if task.get("type", "MILESTONE") != "MILESTONE":
            return

        fields = _fields(task, mapping.salesforce_project_id)
        result = rt.salesforce.upsert(
            MILESTONE_OBJECT,
            MILESTONE_KEY_FIELD,
            str(message.rocketlane_task_id),
            fields,
        )
        audited_ok(
            rt,
            system="salesforce",
            operation="upsert",
            record_type=MILESTONE_OBJECT,
            record_id=result.id,
            correlation_key=mapping.correlation_key,
            actor=ACTOR,
            fields=fields,
        )
    rt.send(
        RevenueSyncRequested(
            correlation_id=mapping.correlation_key,
            rocketlane_project_id=message.rocketlane_project_id,
            reason="milestone",
        )
    )


def _fields(task: dict[str, Any], project_record_id: str) -> dict[str, Any]:
    status = (task.get("status") or {}).get("label")
    fields: dict[str, Any] = {
        "Name": str(task.get("taskName") or "Milestone")[:80],
        "Project__c": project_record_id,
        "Status__c": status,
        "Target_Date__c": task.get("dueDate"),
    }
    if status in ACCEPTED_LABELS:
        fields["Acceptance_Date__c"] = task.get("dueDateActual") or task.get("dueDate")
    return fields
