"""Fixed vocabularies: statuses, currencies and the field sets of §3.2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CURRENCIES",
    "FIELD_SETS",
    "UPDATE_STATUSES",
    "FieldSet",
    "Status",
    "phase_statuses",
    "project_statuses",
    "task_statuses",
]

NOT_STARTED = "NOT_STARTED"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class Status:
    """An account status: its value, label and category."""

    value: int
    label: str
    category: str

    def as_json(self) -> dict[str, Any]:
        """The ``{value, label}`` object responses carry."""
        return {"value": self.value, "label": self.label}


def project_statuses(*, with_todo: bool = True) -> dict[int, Status]:
    """Project statuses seen live, plus 1 "To do" when asked for."""
    statuses = [
        Status(2, "In progress", IN_PROGRESS),
        Status(3, "Completed", COMPLETED),
        Status(4, "Blocked", IN_PROGRESS),
        Status(5, "Proposed", NOT_STARTED),
        Status(6, "In Planning", NOT_STARTED),
        Status(8, "Cancelled", COMPLETED),
    ]
    if with_todo:
        statuses.insert(0, Status(1, "To do", NOT_STARTED))
    return {status.value: status for status in statuses}


def task_statuses() -> dict[int, Status]:
    """Task statuses seen live."""
    statuses = [
        Status(1, "To do", NOT_STARTED),
        Status(2, "In progress", IN_PROGRESS),
        Status(3, "Completed", COMPLETED),
        Status(4, "Blocked", IN_PROGRESS),
    ]
    return {status.value: status for status in statuses}


def phase_statuses() -> dict[int, Status]:
    """Phase statuses: their own list, which live starts at 1 "To do"."""
    return task_statuses()


UPDATE_STATUSES = {
    1: "On Track",
    2: "Ahead of Time",
    3: "Running Late",
    4: "At Risk",
    5: "None",
}

CURRENCIES = {
    "USD": ("US Dollar", "$"),
    "EUR": ("Euro", "€"),
    "GBP": ("British Pound", "£"),
    "INR": ("Indian Rupee", "₹"),
    "AUD": ("Australian Dollar", "A$"),
    "CAD": ("Canadian Dollar", "C$"),
    "JPY": ("Japanese Yen", "¥"),
}


@dataclass(frozen=True)
class FieldSet:
    """Which properties a resource shows by default and which on request.

    ``optional`` maps an ``includeFields`` name to the response properties it
    unlocks (``currentPhase`` unlocks ``currentPhases``).
    """

    default: frozenset[str]
    optional: dict[str, tuple[str, ...]]


def _same(*names: str) -> dict[str, tuple[str, ...]]:
    return {name: (name,) for name in names}


PROJECT_FIELDS = FieldSet(
    default=frozenset(
        [
            "projectId",
            "projectName",
            "startDate",
            "dueDate",
            "createdAt",
            "updatedAt",
            "owner",
            "teamMembers",
            "status",
            "fields",
            "customer",
            "partnerCompanies",
            "archived",
            "visibility",
            "createdBy",
            "updatedBy",
            "currency",
        ]
    ),
    optional={
        **_same(
            *[
                "annualizedRecurringRevenue",
                "projectFee",
                "allocatedHours",
                "allocatedMinutes",
                "budgetedHours",
                "percentageBudgetedHoursConsumed",
                "percentageBudgetConsumed",
                "billableHours",
                "billableMinutes",
                "nonBillableHours",
                "nonBillableMinutes",
                "trackedHours",
                "trackedMinutes",
                "progressPercentage",
                "startDateActual",
                "dueDateActual",
                "autoAllocation",
                "sources",
                "inferredProgress",
                "projectAgeInDays",
                "customersInvited",
                "customersJoined",
                "externalReferenceId",
                "remainingMinutes",
                "remainingHours",
            ]
        ),
        "currentPhase": ("currentPhases",),
        "plannedDuration": ("plannedDurationInDays",),
        "metrics": ("financials",),
    },
)

TASK_FIELDS = FieldSet(
    default=frozenset(
        [
            "taskId",
            "taskName",
            "taskDescription",
            "startDate",
            "dueDate",
            "archived",
            "createdAt",
            "updatedAt",
            "createdBy",
            "updatedBy",
            "project",
            "status",
            "fields",
            "private",
        ]
    ),
    optional={
        **_same(
            *[
                "startDateActual",
                "dueDateActual",
                "type",
                "phase",
                "assignees",
                "followers",
                "dependencies",
                "billable",
                "csatEnabled",
                "priority",
                "timeEntryCategory",
                "taskPrivateNote",
                "parent",
                "externalReferenceId",
            ]
        ),
        "financialsBudget": ("financialsBudgets",),
    },
)

PHASE_FIELDS = FieldSet(
    default=frozenset(
        [
            "phaseId",
            "phaseName",
            "project",
            "startDate",
            "dueDate",
            "createdAt",
            "updatedAt",
            "status",
            "private",
            "createdBy",
            "updatedBy",
        ]
    ),
    optional=_same("startDateActual", "dueDateActual"),
)

USER_FIELDS = FieldSet(
    default=frozenset(
        [
            "userId",
            "email",
            "firstName",
            "lastName",
            "type",
            "status",
            "fields",
            "createdAt",
            "createdBy",
            "updatedAt",
            "updatedBy",
        ]
    ),
    optional=_same(
        "role",
        "company",
        "permission",
        "holidayCalendar",
        "capacityInMinutes",
        "profilePictureUrl",
    ),
)

TIME_ENTRY_FIELDS = FieldSet(
    default=frozenset(
        [
            "timeEntryId",
            "date",
            "minutes",
            "billable",
            "project",
            "user",
            "createdAt",
            "createdBy",
            "updatedAt",
            "updatedBy",
            "activityName",
            "task",
            "projectPhase",
            "category",
        ]
    ),
    optional=_same(
        *[
            "notes",
            "sourceType",
            "deleted",
            "status",
            "submittedBy",
            "submittedAt",
            "approvedBy",
            "approvedAt",
            "rejectedBy",
            "rejectedAt",
            "costRate",
            "billRate",
        ]
    ),
)

ALLOCATION_FIELDS = FieldSet(
    default=frozenset(
        [
            "allocationId",
            "startDate",
            "endDate",
            "secondsPerDay",
            "minutesPerDay",
            "hoursPerDay",
            "allocationType",
            "allocationFor",
            "project",
            "createdAt",
            "updatedAt",
            "createdBy",
            "updatedBy",
        ]
    ),
    optional={**_same("member", "placeholder", "duration"), "task": ("tasks",)},
)

FIELD_FIELDS = FieldSet(
    default=frozenset(
        [
            "fieldId",
            "fieldLabel",
            "fieldDescription",
            "fieldType",
            "objectType",
            "enabled",
            "private",
            "ratingScale",
            "createdAt",
            "updatedAt",
            "createdBy",
            "updatedBy",
        ]
    ),
    optional={"options": ("fieldOptions",)},
)

PROJECT_UPDATE_FIELDS = FieldSet(
    default=frozenset(
        [
            "projectUpdateId",
            "title",
            "project",
            "createdAt",
            "createdBy",
            "publishedAt",
            "publishedBy",
            "updatedAt",
            "updatedBy",
            "autoPublished",
            "state",
            "status",
            "private",
        ]
    ),
    optional={},
)

OPEN_FIELDS = FieldSet(default=frozenset(), optional={})

FIELD_SETS = {
    "project": PROJECT_FIELDS,
    "task": TASK_FIELDS,
    "phase": PHASE_FIELDS,
    "user": USER_FIELDS,
    "timeEntry": TIME_ENTRY_FIELDS,
    "allocation": ALLOCATION_FIELDS,
    "field": FIELD_FIELDS,
    "projectUpdate": PROJECT_UPDATE_FIELDS,
    "company": OPEN_FIELDS,
}
