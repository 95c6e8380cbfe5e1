"""revenue-sync: bring a project's delivery signals back onto its Project__c.

Under the project's lock, re-reads what Rocketlane knows (the project with
its metrics, its tasks, its status posts: three calls) and what Salesforce
owns (the Project__c's amount and hour budget: one query), and computes
every delivery field with the domain's ``project_signals``: health and
notes, phase, progress, task and milestone counts, hours burned, remaining
and budgeted (a retainer's bucket), budget consumed, recognized revenue per
policy, cost and margin. Milestone recognized amounts come from the
milestone mapping milestone-accept keeps, so they cost no call.

The values are not written here: ``writeback.stage`` keeps only those that
changed and a delayed flush writes many projects per collection call, then
rolls them up (see ``writeback``). A message with reason ``flush`` is that
flush.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from handoff.adapters.salesforce_records import ProjectRecord, read_project
from handoff.domain.revenue import project_signals

from ..messages import RevenueSyncRequested
from ..runtime import Runtime
from . import writeback
from .milestones import milestones_of

__all__ = ["run", "signals"]

logger = logging.getLogger(__name__)

ACTOR = "revenue_sync"


def run(rt: Runtime, message: RevenueSyncRequested) -> None:
    """Sync one project's signals into the write-back stage, or flush it."""
    if message.reason == writeback.FLUSH_REASON:
        writeback.flush(rt)
        return
    with rt.locks.hold(message.correlation_id):
        mapping = rt.store.get_mapping(message.correlation_id)
        if mapping is None:
            logger.info(
                "Project %r is not mapped; nothing to sync.", message.correlation_id
            )
            return
        if mapping.rocketlane_phase_id is not None:
            logger.info(
                "Project %r is a phase of another project's Rocketlane project; "
                "its signals stay on the original's Project__c.",
                message.correlation_id,
            )
            return
        project_id = mapping.rocketlane_project_id or message.rocketlane_project_id
        record_id = mapping.salesforce_project_id or message.project_id
        if project_id is None or record_id is None:
            logger.info(
                "Project %r is not provisioned yet; nothing to sync.",
                message.correlation_id,
            )
            return

        record = read_project(rt.salesforce, record_id)
        values = signals(rt, record, project_id)
        targets = {
            lookup: record.get(lookup) for lookup in rt.policy.rollups.targets.values()
        }
        changes = writeback.stage(
            rt, mapping, values, targets=targets, window_ms=rt.writeback_window_ms
        )
    logger.info(
        "Synced project %r: %d field(s) staged.", message.correlation_id, len(changes)
    )


def signals(rt: Runtime, record: ProjectRecord, project_id: int) -> dict[str, Any]:
    """The Project__c delivery fields of one project, as of now."""
    api = rt.rocketlane
    now = datetime.now(UTC)
    return project_signals(
        api.get_project_metrics(project_id),
        api.list_tasks(project_id),
        rt.policy,
        now.date(),
        updates=api.list_project_updates(project_id),
        milestones=milestones_of(rt, record.key),
        amount=_decimal(record.get("Amount__c")),
        budget_hours=_decimal(record.get("Budget_Hours__c")),
        synced_at=now.replace(microsecond=0),
    )


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value))
