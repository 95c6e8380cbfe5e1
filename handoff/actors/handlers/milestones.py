"""milestone-accept: keep a project's milestones the same on both sides.

Salesforce defines what was promised (Project_Milestone__c: name, type,
planned date, amount); Rocketlane says how delivery goes (the MILESTONE
task's status, due date and completion). ``sync_milestones`` does the whole
exchange for one project, and both provision (right after the project
exists) and milestone-accept (on a webhook, or from reconcile) call it:

1. re-read the project's Project_Milestone__c rows (one SOQL query) and its
   Rocketlane milestones (one list call: the lookup by reference);
2. push every Salesforce milestone with no Rocketlane task yet as a
   MILESTONE task whose ``externalReferenceId`` is the milestone key; a
   create whose answer was lost is resolved by looking that key up;
3. mirror every Rocketlane milestone no Project_Milestone__c claims (a
   template's) into Salesforce, keyed ``Handoff_Key__c``;
4. apply each task's current state with the domain's
   ``apply_rocketlane_milestone``: status, target date, acceptance and
   recognized amount, only the fields that change;
5. write the changes in at most two collection calls and record each
   milestone in the store's milestone mapping, whose ``last_pushed`` keeps
   the ``updatedAt`` applied (older states change nothing) and the values
   written (revenue-sync reads recognized amounts from there).

Webhooks name a task, but the actor re-reads them all: a duplicate, late
or out-of-order webhook finds nothing left to change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from handoff.adapters.errors import InvalidRequest, NotFound, RequestTimedOut
from handoff.adapters.salesforce_records import soql_id
from handoff.adapters.store import ProjectMapping
from handoff.domain.milestones import (
    MILESTONE_FIELDS,
    Milestone,
    apply_rocketlane_milestone,
    milestone_from_rocketlane,
    milestone_key,
    milestone_task_body,
)
from handoff.domain.values import json_ready

from ..messages import MilestoneChanged, RevenueSyncRequested
from ..runtime import Runtime
from .audit import audited_error, audited_ok

__all__ = [
    "MILESTONE_KEY_FIELD",
    "MILESTONE_OBJECT",
    "MilestoneSync",
    "milestones_of",
    "run",
    "sync_milestones",
]

logger = logging.getLogger(__name__)

ACTOR = "milestone_accept"
MILESTONE_OBJECT = "Project_Milestone__c"
MILESTONE_KEY_FIELD = "Handoff_Key__c"
TASK_ID_FIELD = "Rocketlane_Milestone_Id__c"
PROJECT_FIELD = "Project__c"
UPDATED_AT = "rocketlane_updated_at"
WRITTEN = "fields"
PLANNED = "planned"
_SELECT = ", ".join(["Id", *MILESTONE_FIELDS.values()])

Record = dict[str, Any]


@dataclass
class MilestoneSync:
    """What one exchange did: tasks created, rows written, rows mirrored."""

    created_tasks: list[int] = field(default_factory=list)
    updated: int = 0
    mirrored: int = 0

    @property
    def changed_salesforce(self) -> bool:
        """Whether any Project_Milestone__c was written."""
        return bool(self.updated or self.mirrored)


@dataclass
class _Row:
    """One milestone on its way to Salesforce."""

    milestone: Milestone
    task: Record
    record_id: str | None
    changes: dict[str, Any]
    keyed: bool = True
    applied_at: int | None = None
    planned: Record = field(default_factory=dict)

    @property
    def updated_at(self) -> int | None:
        """The newest Rocketlane ``updatedAt`` applied, this one included."""
        stamps = [s for s in (self.applied_at, self.task.get("updatedAt")) if s]
        return max(int(s) for s in stamps) if stamps else None


def run(rt: Runtime, message: MilestoneChanged) -> None:
    """Re-read a project's milestones and bring both sides up to date."""
    mapping = _mapping_for(rt, message)
    if mapping is None:
        return
    with rt.locks.hold(mapping.correlation_key):
        mapping = rt.store.get_mapping(mapping.correlation_key) or mapping
        project_id = mapping.rocketlane_project_id or message.rocketlane_project_id
        assert mapping.salesforce_project_id is not None, "checked by _mapping_for"
        assert project_id is not None, "checked by _mapping_for"
        result = sync_milestones(
            rt,
            mapping,
            record_id=mapping.salesforce_project_id,
            project_id=project_id,
        )
    if result.changed_salesforce:
        rt.send(
            RevenueSyncRequested(
                correlation_id=mapping.correlation_key,
                rocketlane_project_id=project_id,
                reason="milestone",
            )
        )


def _mapping_for(rt: Runtime, message: MilestoneChanged) -> ProjectMapping | None:
    """The project a message is about; None when there is nothing to sync yet."""
    if message.rocketlane_project_id is not None:
        return _mapping_of(rt, message.rocketlane_project_id)
    record_id = message.project_id or _project_of(rt, message.milestone_id)
    if record_id is None:
        return None

    mapping = rt.store.find_mapping(salesforce_project_id=record_id)
    if mapping is None or mapping.rocketlane_project_id is None:
        logger.info(
            "Project__c %r is not provisioned: provision pushes its milestones.",
            record_id,
        )
        return None
    return mapping


def _mapping_of(rt: Runtime, project_id: int) -> ProjectMapping:
    mapping = rt.store.find_mapping(rocketlane_project_id=project_id)
    if mapping is None or mapping.salesforce_project_id is None:
        raise NotFound(
            f"Rocketlane project {project_id} maps to no Project__c",
            system="handoff",
        )
    return mapping


def _project_of(rt: Runtime, milestone_id: str | None) -> str | None:
    """The Project__c of a Project_Milestone__c, re-read (one GET)."""
    if milestone_id is None:
        return None
    try:
        record = rt.salesforce.get(
            MILESTONE_OBJECT, milestone_id, fields=(PROJECT_FIELD,)
        )
    except NotFound:
        logger.info("Milestone %r is gone; nothing to sync.", milestone_id)
        return None
    project = record.get(PROJECT_FIELD)
    return str(project) if project else None


def sync_milestones(
    rt: Runtime, mapping: ProjectMapping, *, record_id: str, project_id: int
) -> MilestoneSync:
    """Push, mirror and update one project's milestones; hold its lock."""
    records = _read_records(rt, record_id)
    tasks = rt.rocketlane.list_tasks(project_id, milestones_only=True)
    seen = {m.key: m for m in rt.store.list_milestones(mapping.correlation_key)}
    result = MilestoneSync()

    rows = _salesforce_defined(
        rt,
        mapping,
        records=records,
        tasks=tasks,
        project_id=project_id,
        result=result,
    )
    for row in rows:
        _push_plan(rt, mapping, row, seen.get(row.milestone.key))
    claimed = {str(row.task.get("taskId")) for row in rows}
    mirrors = [
        _mirror(rt, mapping, record_id, task)
        for task in tasks
        if str(task.get("taskId")) not in claimed
    ]
    for row in rows:
        row.changes = _state_changes(rt, row, seen.get(row.milestone.key))

    _write_updates(rt, mapping, [r for r in rows if r.changes], result)
    _write_mirrors(rt, mapping, mirrors, result)
    _remember(rt, mapping, [*rows, *mirrors])
    return result


def milestones_of(rt: Runtime, correlation_key: str) -> list[Milestone]:
    """The project's milestones as last written, from the milestone mapping."""
    found = []
    for mapping in rt.store.list_milestones(correlation_key):
        written = mapping.last_pushed.get(WRITTEN)
        if written:
            found.append(Milestone.from_record(written, key=mapping.key))
    return found


def _read_records(rt: Runtime, record_id: str) -> list[Record]:
    where = f"WHERE Project__c = {soql_id(record_id)}"
    return rt.salesforce.query(f"SELECT {_SELECT} FROM {MILESTONE_OBJECT} {where}")  # noqa: S608 - soql_id checks the ID


def _salesforce_defined(
    rt: Runtime,
    mapping: ProjectMapping,
    *,
    records: Sequence[Record],
    tasks: Sequence[Record],
    project_id: int,
    result: MilestoneSync,
) -> list[_Row]:
    by_reference = {
        t["externalReferenceId"]: t for t in tasks if t.get("externalReferenceId")
    }
    by_id = {str(t.get("taskId")): t for t in tasks}
    rows = []
    for record in records:
        key = record.get(MILESTONE_KEY_FIELD) or milestone_key(
            mapping.correlation_key, "SF", str(record["Id"])
        )
        milestone = Milestone.from_record(record, key=key)
        task = by_reference.get(key) or by_id.get(str(record.get(TASK_ID_FIELD)))
        if task is None and record.get(TASK_ID_FIELD):
            logger.warning(
                "Milestone %r lost its Rocketlane task %s; not recreating it.",
                key,
                record.get(TASK_ID_FIELD),
            )
            continue
        planned: Record = {}
        if task is None:
            task = _create_task(rt, mapping, milestone, project_id)
            result.created_tasks.append(int(task["taskId"]))
            planned = _plan_of(milestone)
        keyed = bool(record.get(MILESTONE_KEY_FIELD))
        row = _Row(milestone, task, str(record["Id"]), {}, keyed, planned=planned)
        rows.append(row)
    return rows


def _plan_of(milestone: Milestone) -> Record:
    """The Salesforce-owned part of a milestone, as last sent to Rocketlane."""
    planned = milestone.planned_date
    return {
        "taskName": milestone.name,
        "plannedDate": None if planned is None else planned.isoformat(),
    }


def _push_plan(rt: Runtime, mapping: ProjectMapping, row: _Row, seen: Any) -> None:
    """Send a renamed or re-planned milestone's new name or date to its task.

    Salesforce owns the name and the planned date: they go to the task's
    ``taskName`` and its start and due dates, only when they differ from
    what was last sent. A milestone with no record of what was sent (older
    than this rule) takes its current values as sent, so delivery's own
    changes to the due date are never overwritten by a value Salesforce
    did not change.
    """
    if row.planned:
        return
    row.planned = plan = _plan_of(row.milestone)
    before = seen.last_pushed.get(PLANNED) if seen is not None else None
    if not before:
        return
    edits: Record = {}
    if plan["taskName"] and plan["taskName"] != before.get("taskName"):
        edits["taskName"] = plan["taskName"]
    if plan["plannedDate"] and plan["plannedDate"] != before.get("plannedDate"):
        edits["startDate"] = edits["dueDate"] = plan["plannedDate"]
    if not edits:
        return

    task_id = int(row.task["taskId"])
    row.task = {**row.task, **rt.rocketlane.update_task(task_id, edits)}
    audited_ok(
        rt,
        system="rocketlane",
        operation="update",
        record_type="task",
        record_id=str(task_id),
        correlation_key=mapping.correlation_key,
        actor=ACTOR,
        fields=edits,
    )


def _create_task(
    rt: Runtime, mapping: ProjectMapping, milestone: Milestone, project_id: int
) -> Record:
    body = milestone_task_body(milestone, project_id=project_id)
    try:
        task = rt.rocketlane.create_task(body)
    except RequestTimedOut:
        found = rt.rocketlane.find_task_by_reference(project_id, milestone.key)
        if found is None:
            raise
        logger.info("Adopting milestone %r found by reference.", milestone.key)
        return found
    audited_ok(
        rt,
        system="rocketlane",
        operation="create",
        record_type="task",
        record_id=str(task.get("taskId")),
        correlation_key=mapping.correlation_key,
        actor=ACTOR,
        fields={k: v for k, v in body.items() if not isinstance(v, dict)},
    )
    return task


def _mirror(rt: Runtime, mapping: ProjectMapping, record_id: str, task: Record) -> _Row:
    mirrored = milestone_from_rocketlane(
        task, project_key=mapping.correlation_key, project_id=record_id
    )
    blank = replace(mirrored, status=None, rocketlane_updated_at=None)
    changes = apply_rocketlane_milestone(
        blank,
        task,
        rt.policy.milestones,
        today=_today(),
        recognition=rt.policy.revenue.method,
    )
    changes = {**mirrored.to_record(), **changes}
    return _Row(mirrored, task, None, changes, planned=_plan_of(mirrored))


def _state_changes(rt: Runtime, row: _Row, seen: Any) -> dict[str, Any]:
    row.applied_at = seen.last_pushed.get(UPDATED_AT) if seen is not None else None
    milestone = replace(row.milestone, rocketlane_updated_at=row.applied_at)
    changes = apply_rocketlane_milestone(
        milestone,
        row.task,
        rt.policy.milestones,
        today=_today(),
        recognition=rt.policy.revenue.method,
    )
    if not row.keyed:
        changes[MILESTONE_KEY_FIELD] = row.milestone.key
    return changes


def _write_updates(
    rt: Runtime, mapping: ProjectMapping, rows: Sequence[_Row], result: MilestoneSync
) -> None:
    if not rows:
        return
    payload = [
        {
            "attributes": {"type": MILESTONE_OBJECT},
            "Id": r.record_id,
            **json_ready(r.changes),
        }
        for r in rows
    ]
    outcomes = rt.salesforce.update_many(payload)
    for row, outcome in zip(rows, outcomes, strict=True):
        _audit_row(
            rt,
            mapping,
            row,
            operation="update",
            success=outcome.success,
            errors=outcome.errors,
        )
    result.updated += sum(1 for outcome in outcomes if outcome.success)
    _raise_failures(outcomes)


def _write_mirrors(
    rt: Runtime, mapping: ProjectMapping, rows: Sequence[_Row], result: MilestoneSync
) -> None:
    if not rows:
        return
    payload = [json_ready(_without_id(row.changes)) for row in rows]
    outcomes = rt.salesforce.upsert_many(MILESTONE_OBJECT, MILESTONE_KEY_FIELD, payload)
    for row, outcome in zip(rows, outcomes, strict=True):
        row.record_id = outcome.id
        _audit_row(
            rt,
            mapping,
            row,
            operation="upsert",
            success=outcome.success,
            errors=outcome.errors,
        )
    result.mirrored += sum(1 for outcome in outcomes if outcome.success)
    _raise_failures(outcomes)


def _without_id(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name != "Id"}


def _audit_row(
    rt: Runtime,
    mapping: ProjectMapping,
    row: _Row,
    *,
    operation: str,
    success: bool,
    errors: Sequence[Mapping[str, Any]],
) -> None:
    common: dict[str, Any] = {
        "system": "salesforce",
        "operation": operation,
        "record_type": MILESTONE_OBJECT,
        "record_id": row.record_id,
        "correlation_key": mapping.correlation_key,
        "actor": ACTOR,
        "fields": json_ready(row.changes),
    }
    if success:
        audited_ok(rt, **common)
    else:
        audited_error(rt, error=_describe(errors), **common)


def _raise_failures(outcomes: Sequence[Any]) -> None:
    failed = [_describe(outcome.errors) for outcome in outcomes if not outcome.success]
    if failed:
        raise InvalidRequest(
            f"{len(failed)} Project_Milestone__c write(s) failed: {'; '.join(failed)}",
            system="salesforce",
        )


def _describe(errors: Sequence[Mapping[str, Any]]) -> str:
    return (
        ", ".join(
            f"{e.get('statusCode', 'ERROR')}: {e.get('message', '')}" for e in errors
        )
        or "unknown error"
    )


def _remember(rt: Runtime, mapping: ProjectMapping, rows: Sequence[_Row]) -> None:
    for row in rows:
        if row.record_id is None:
            continue
        key, task_id = row.milestone.key, int(row.task["taskId"])
        rt.store.ensure_milestone(
            mapping.correlation_key,
            key,
            salesforce_milestone_id=row.record_id,
            rocketlane_task_id=task_id,
        )
        written = {**row.milestone.to_record(), **row.changes}
        rt.store.update_milestone(
            mapping.correlation_key,
            key,
            salesforce_milestone_id=row.record_id,
            rocketlane_task_id=task_id,
            last_pushed={
                UPDATED_AT: row.updated_at,
                WRITTEN: json_ready(written),
                PLANNED: row.planned or None,
            },
        )


def _today() -> date:
    return datetime.now(UTC).date()
