"""revenue-sync: bring a project's delivery signals back onto its Project__c.

Reads the Rocketlane project with its computed metrics and writes the values
that changed onto the Project__c, tagged with Handoff's client so the echo is
dropped. This is the simplest correct version: hours, progress, phase and
health; revenue, margin and roll-ups come with the delivery-signals work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from handoff.adapters.salesforce_records import (
    PROJECT_OBJECT,
    changed_fields,
    read_project,
)

from ..messages import RevenueSyncRequested
from ..runtime import Runtime
from .audit import audited_ok

__all__ = ["METRIC_FIELDS", "run", "signals"]

logger = logging.getLogger(__name__)

ACTOR = "revenue_sync"
METRIC_FIELDS = (
    "trackedHours",
    "remainingHours",
    "budgetedHours",
    "percentageBudgetConsumed",
    "progressPercentage",
    "currentPhase",
    "inferredProgress",
    "externalReferenceId",
)
HEALTH = {
    "ON_TRACK": "On Track",
    "AHEAD_OF_TIME": "Ahead of Time",
    "RUNNING_LATE": "Running Late",
    "NONE": "None",
}


def run(rt: Runtime, message: RevenueSyncRequested) -> None:
    """Sync one project's signals into Salesforce."""
    with rt.locks.hold(message.correlation_id):
        mapping = rt.store.get_mapping(message.correlation_id)
        project_id = message.rocketlane_project_id or (
            mapping.rocketlane_project_id if mapping else None
        )
        record_id = message.project_id or (
            mapping.salesforce_project_id if mapping else None
        )
        if project_id is None or record_id is None:
            logger.info(
                "Project %r is not provisioned yet; nothing to sync.",
                message.correlation_id,
            )
            return

        project = rt.rocketlane.get_project(project_id, include_fields=METRIC_FIELDS)
        record = read_project(rt.salesforce, record_id)
        changes = changed_fields(signals(project), record)
        if not changes:
            return
        changes["Last_Synced_At__c"] = datetime.now(UTC).isoformat(timespec="seconds")
        rt.salesforce.update(PROJECT_OBJECT, record.id, changes)
        audited_ok(
            rt,
            system="salesforce",
            operation="update",
            record_type=PROJECT_OBJECT,
            record_id=record.id,
            correlation_key=record.key,
            actor=ACTOR,
            fields=changes,
        )


def signals(project: dict[str, Any]) -> dict[str, Any]:
    """The Project__c fields a Rocketlane project's metrics determine."""
    phases = project.get("currentPhases") or []
    return {
        "Hours_Burned__c": project.get("trackedHours"),
        "Hours_Remaining__c": project.get("remainingHours"),
        "Hours_Budgeted__c": project.get("budgetedHours"),
        "Budget_Consumed_Percent__c": project.get("percentageBudgetConsumed"),
        "Progress_Percent__c": project.get("progressPercentage"),
        "Current_Phase__c": ", ".join(p.get("phaseName", "") for p in phases) or None,
        "Health__c": HEALTH.get(str(project.get("inferredProgress"))),
    }
