"""What each list filter and ``sortBy`` name reads from a full record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ALLOCATIONS",
    "COMPANIES",
    "FIELDS",
    "PHASES",
    "PROJECTS",
    "PROJECT_UPDATES",
    "TASKS",
    "TIME_ENTRIES",
    "USERS",
]

Accessor = Callable[[Mapping[str, Any]], Any]


def key(name: str) -> Accessor:
    """Read a top-level property."""
    return lambda record: record.get(name)


def path(*names: str) -> Accessor:
    """Read a nested property, ``None`` when any step is missing."""

    def read(record: Mapping[str, Any]) -> Any:
        value: Any = record
        for name in names:
            value = value.get(name) if isinstance(value, Mapping) else None
        return value

    return read


def _keys(*names: str) -> dict[str, Accessor]:
    return {name: key(name) for name in names}


DATES = (
    "startDate",
    "dueDate",
    "startDateActual",
    "dueDateActual",
    "createdAt",
    "updatedAt",
)

PROJECTS: dict[str, Accessor] = {
    **_keys(
        *DATES,
        "projectName",
        "annualizedRecurringRevenue",
        "projectFee",
        "inferredProgress",
        "budgetedHours",
        "allocatedHours",
        "customersInvited",
        "customersJoined",
        "externalReferenceId",
    ),
    "customerId": path("customer", "companyId"),
    "companyId": lambda r: [
        r["customer"]["companyId"],
        *(p["companyId"] for p in r.get("partnerCompanies", ())),
    ],
    "teamMemberId": lambda r: [m["userId"] for m in r["teamMembers"]["members"]],
    "contractType": path("financials", "contractType"),
    "status": path("status", "value"),
}

TASKS: dict[str, Accessor] = {
    **_keys(*DATES, "taskName", "effortInMinutes", "progress", "externalReferenceId"),
    "type": key("type"),
    "projectId": path("project", "projectId"),
    "project.id": path("project", "projectId"),
    "project": path("project", "projectId"),
    "phaseId": path("phase", "phaseId"),
    "task.status": path("status", "value"),
    "status": path("status", "value"),
    "project.status": key("_projectStatus"),
}

PHASES: dict[str, Accessor] = _keys(*DATES, "phaseName")

TIME_ENTRIES: dict[str, Accessor] = {
    **_keys("date", "minutes", "billable", "createdAt", "updatedAt", "sourceType"),
    **_keys("activityName"),
    "id": key("timeEntryId"),
    "project": path("project", "projectId"),
    "projectId": path("project", "projectId"),
    "task": path("task", "taskId"),
    "taskId": path("task", "taskId"),
    "projectPhase": path("projectPhase", "phaseId"),
    "category": path("category", "categoryId"),
    "user": path("user", "userId"),
    "emailId": path("user", "emailId"),
    "approvalStatus": key("status"),
}

USERS: dict[str, Accessor] = {
    **_keys("firstName", "lastName", "email", "status", "type", "capacityInMinutes"),
    **_keys("createdAt", "updatedAt"),
    "roleId": path("role", "roleId"),
    "permissionId": path("permission", "permissionId"),
}

FIELDS: dict[str, Accessor] = _keys(
    "fieldLabel",
    "objectType",
    "fieldType",
    "enabled",
    "private",
    "createdAt",
    "updatedAt",
)

ALLOCATIONS: dict[str, Accessor] = {
    **_keys("startDate", "endDate", "allocationType", "allocationFor"),
    "memberId": path("member", "userId"),
    "projectId": path("project", "projectId"),
    "placeholderId": path("placeholder", "placeholderId"),
}

COMPANIES: dict[str, Accessor] = _keys(
    "companyId", "companyName", "companyType", "createdAt", "updatedAt"
)

PROJECT_UPDATES: dict[str, Accessor] = {
    **_keys("createdAt", "publishedAt", "updatedAt", "state", "title"),
    "project.id": path("project", "projectId"),
    "projectId": path("project", "projectId"),
}
