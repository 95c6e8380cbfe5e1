"""Milestones: Project_Milestone__c in Salesforce, MILESTONE tasks in Rocketlane.

Salesforce defines what was promised (planned date, amount); Rocketlane says
how delivery goes (status, due date, completion). Rocketlane has no
acceptance field, so "accepted" is a configured status label or custom field
value (``MilestoneRules``). On acceptance the milestone gets its acceptance
date and, when revenue is recognized by milestone, a Financial milestone
recognizes its amount.

Applying a Rocketlane task is idempotent, and a task state older than the one
last applied changes nothing: webhooks arrive in no guaranteed order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from .policy import MilestoneRules, Recognition
from .values import same_value

__all__ = [
    "MILESTONE_FIELDS",
    "Milestone",
    "apply_rocketlane_milestone",
    "is_accepted",
    "is_stale",
    "milestone_from_rocketlane",
    "milestone_key",
    "milestone_task_body",
]

MilestoneType = Literal["Delivery", "Financial"]

MILESTONE_FIELDS: dict[str, str] = {
    "key": "Handoff_Key__c",
    "name": "Name",
    "type": "Type__c",
    "planned_date": "Planned_Date__c",
    "target_date": "Target_Date__c",
    "acceptance_date": "Acceptance_Date__c",
    "status": "Status__c",
    "amount": "Amount__c",
    "recognized_amount": "Recognized_Amount__c",
    "rocketlane_task_id": "Rocketlane_Milestone_Id__c",
    "project_id": "Project__c",
}
_DATES = frozenset({"planned_date", "target_date", "acceptance_date"})
_MONEY = frozenset({"amount", "recognized_amount"})


@dataclass(frozen=True, kw_only=True)
class Milestone:
    """A Project_Milestone__c, by attribute; ``MILESTONE_FIELDS`` names its fields.

    ``rocketlane_updated_at`` (epoch milliseconds) is the ``updatedAt`` of the
    Rocketlane task state last applied. Salesforce has no field for it: the
    caller keeps it, and without it late states cannot be told apart.
    """

    key: str
    name: str
    type: MilestoneType = "Delivery"
    planned_date: date | None = None
    target_date: date | None = None
    acceptance_date: date | None = None
    status: str | None = None
    amount: Decimal | None = None
    recognized_amount: Decimal | None = None
    rocketlane_task_id: str | None = None
    project_id: str | None = None
    rocketlane_updated_at: int | None = None

    @property
    def is_financial(self) -> bool:
        """True for a milestone that carries revenue."""
        return self.type == "Financial"

    @property
    def is_accepted(self) -> bool:
        """True once the customer accepted it."""
        return self.acceptance_date is not None

    @property
    def due_date(self) -> date | None:
        """When it is due: the target date, else the planned one."""
        return self.target_date or self.planned_date

    @classmethod
    def from_record(cls, record: Mapping[str, Any], **extra: Any) -> Milestone:
        """A milestone from a Project_Milestone__c row (dates as ISO text or dates)."""
        values = {
            name: _read(name, record.get(field))
            for name, field in MILESTONE_FIELDS.items()
            if field in record
        }
        return cls(**{**values, **extra})

    def to_record(self) -> dict[str, Any]:
        """The Project_Milestone__c field values of this milestone."""
        return {field: getattr(self, name) for name, field in MILESTONE_FIELDS.items()}

    def with_changes(self, changes: Mapping[str, Any], **extra: Any) -> Milestone:
        """This milestone once the Project_Milestone__c changes are written.

        ``extra`` sets attributes that are not Salesforce fields, such as
        ``rocketlane_updated_at``.
        """
        written = Milestone.from_record({**self.to_record(), **changes})
        kept = {"rocketlane_updated_at": self.rocketlane_updated_at}
        return replace(written, **{**kept, **extra})


def milestone_key(project_key: str, origin: Literal["SF", "RL"], source_id: str) -> str:
    """The external ID of a milestone defined in Salesforce or in a template."""
    return f"{project_key}-{origin}{source_id[:15]}"


def milestone_task_body(
    milestone: Milestone, *, project_id: int, phase_id: int | None = None
) -> dict[str, Any]:
    """The POST /tasks body that creates this milestone in Rocketlane."""
    body: dict[str, Any] = {
        "taskName": milestone.name,
        "project": {"projectId": project_id},
        "type": "MILESTONE",
        "externalReferenceId": milestone.key,
    }
    if milestone.due_date is not None:
        body["startDate"] = body["dueDate"] = milestone.due_date.isoformat()
    if phase_id is not None:
        body["phase"] = {"phaseId": phase_id}
    return body


def milestone_from_rocketlane(
    task: Mapping[str, Any],
    *,
    project_key: str,
    project_id: str | None = None,
    milestone_type: MilestoneType = "Delivery",
) -> Milestone:
    """The Salesforce milestone mirroring a milestone a template created."""
    task_id = str(task["taskId"])
    due = _day(task.get("dueDate"))
    return Milestone(
        key=task.get("externalReferenceId")
        or milestone_key(project_key, "RL", task_id),
        name=str(task.get("taskName") or task_id),
        type=milestone_type,
        planned_date=due,
        target_date=due,
        status=_label(task),
        rocketlane_task_id=task_id,
        project_id=project_id,
        rocketlane_updated_at=_updated_at(task),
    )


def apply_rocketlane_milestone(
    milestone: Milestone,
    task: Mapping[str, Any],
    rules: MilestoneRules,
    *,
    today: date,
    recognition: Recognition = "milestone",
) -> dict[str, Any]:
    """The Project_Milestone__c changes a Rocketlane task state calls for.

    Updates the status, the target date (Rocketlane's due date) and the task
    ID; on acceptance sets the acceptance date (the task's actual due date,
    else ``today``) and, for a Financial milestone under milestone-based
    recognition, the recognized amount. A milestone no longer accepted loses
    both. Returns only fields whose value changes; nothing for a stale task.
    """
    if is_stale(milestone, task):
        return {}
    wanted = {
        "Status__c": _label(task),
        "Target_Date__c": _day(task.get("dueDate")) or milestone.target_date,
        "Rocketlane_Milestone_Id__c": str(
            task.get("taskId", milestone.rocketlane_task_id)
        ),
    }
    wanted.update(_acceptance(milestone, task, rules, today, recognition))

    current = milestone.to_record()
    return {
        field: value
        for field, value in wanted.items()
        if not same_value(value, current[field])
    }


def is_accepted(task: Mapping[str, Any], rules: MilestoneRules) -> bool:
    """Whether the task's state means the customer accepted the milestone."""
    if rules.accepted_field_id is None:
        return _label(task) in rules.accepted_status_labels
    return any(
        str(entry.get("fieldValue")) in rules.accepted_field_values
        or str(entry.get("fieldValueLabel")) in rules.accepted_field_values
        for entry in task.get("fields") or ()
        if entry.get("fieldId") == rules.accepted_field_id
    )


def is_stale(milestone: Milestone, task: Mapping[str, Any]) -> bool:
    """Whether the task state is older than the one last applied."""
    seen, updated = milestone.rocketlane_updated_at, _updated_at(task)
    return seen is not None and updated is not None and updated < seen


def _acceptance(
    milestone: Milestone,
    task: Mapping[str, Any],
    rules: MilestoneRules,
    today: date,
    recognition: Recognition,
) -> dict[str, Any]:
    accepted = is_accepted(task, rules)
    when = _day(task.get("dueDateActual")) or milestone.acceptance_date or today
    changes: dict[str, Any] = {"Acceptance_Date__c": when if accepted else None}
    if milestone.is_financial and recognition == "milestone":
        changes["Recognized_Amount__c"] = milestone.amount if accepted else None
    return changes


def _label(task: Mapping[str, Any]) -> str | None:
    status = task.get("status") or {}
    label = status.get("label")
    return None if label is None else str(label)


def _updated_at(task: Mapping[str, Any]) -> int | None:
    value = task.get("updatedAt")
    return None if value is None else int(value)


def _day(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _read(name: str, value: Any) -> Any:
    if name in _DATES:
        return _day(value)
    if name in _MONEY and value is not None:
        return Decimal(str(value))
    return value
