"""Staffing: the placeholders templates create, and who fills them.

Allocations follow from these (``metrics.placeholder_allocations``); the
seeded, explicit ones are ``directory``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import metrics
from .errors import bad_request
from .people import Template
from .store import WorkspaceState
from .values import Record, as_int, project_of

__all__ = ["Staffing"]


class Staffing(WorkspaceState):
    """Project placeholders, their assignment and their rates."""

    def project_placeholders(self, project_id: int) -> list[Record]:
        """The placeholders the project's templates created, in ID order."""
        self.get_project(project_id)
        found = [p for p in self.placeholders.values() if project_of(p) == project_id]
        return sorted(found, key=lambda p: p["placeholderId"])

    def placeholder_mapping(self, placeholder: Record) -> Record:
        """The ``{placeholder, placeholderStatus, user, rates}`` entry."""
        user = placeholder.get("user")
        mapping: Record = {
            "placeholder": {
                "placeholderId": placeholder["placeholderId"],
                "placeholderName": placeholder["placeholderName"],
            },
            "placeholderStatus": "ASSIGNED" if user else "UNASSIGNED",
        }
        if user:
            mapping["user"] = {**user, "role": placeholder["role"]["roleName"]}
            mapping.update(self._placeholder_rates(placeholder, user["userId"]))
        return mapping

    def _placeholder_rates(self, placeholder: Record, user_id: int) -> Record:
        cost, bill, currency = metrics.role_rates(
            self,
            user_id=user_id,
            project_id=project_of(placeholder),
            role=placeholder["role"]["roleName"],
        )
        return {
            "hourlyCostRate": cost,
            "costRateCurrency": currency,
            "hourlyBillRate": bill,
            "billRateCurrency": currency,
        }

    def assign_placeholders(self, project_id: int, body: Any, actor: Record) -> Record:
        """POST /projects/{id}/assign-placeholders."""
        with self.lock:
            project = self.get_project(project_id)
            self._assign(project, body)
            self._touch(project, actor)
            return self._with_placeholders(project_id)

    def _assign(self, project: Record, body: Any) -> None:
        """Fill each ``{placeholderId, user}``; the user joins the team."""
        for entry in _entries(body):
            placeholder = self._placeholder_of(project, entry)
            user = self._user_for(entry.get("user"), field="user")
            placeholder["user"] = user
            members = project["teamMembers"]["members"]
            if user["userId"] not in {m["userId"] for m in members}:
                members.append(user)

    def unassign_placeholders(
        self, project_id: int, body: Any, actor: Record
    ) -> Record:
        """POST /projects/{id}/unassign-placeholders."""
        with self.lock:
            project = self.get_project(project_id)
            for entry in _entries(body):
                self._placeholder_of(project, entry).pop("user", None)
            self._touch(project, actor)
            return self._with_placeholders(project_id)

    def _placeholder_of(self, project: Record, entry: Any) -> Record:
        ref = entry.get("placeholderId") if isinstance(entry, Mapping) else None
        placeholder = self.placeholders.get(as_int(ref, "placeholderId"))
        if placeholder is None or project_of(placeholder) != project["projectId"]:
            raise bad_request("Invalid placeholder specified", "placeholderId")
        return placeholder

    def _with_placeholders(self, project_id: int) -> Record:
        view = self.project_view(project_id)
        view["placeholders"] = [
            self.placeholder_mapping(p) for p in self.project_placeholders(project_id)
        ]
        return view

    def _create_placeholders(
        self, project: Record, template: Template
    ) -> dict[str, Record]:
        """One placeholder per template role, by role name."""
        by_role: dict[str, Record] = {}
        for role in template.roles:
            placeholder: Record = {
                "placeholderId": self.next_id(),
                "placeholderName": role.placeholder_name,
                "project": {"projectId": project["projectId"]},
                "role": {"roleId": role.role_id, "roleName": role.role_name},
                "placeholderType": "NATIVE",
                "minutesPerDay": role.minutes_per_day,
                "allocationType": role.allocation_type,
                "createdAt": project["createdAt"],
                "updatedAt": project["createdAt"],
            }
            self.placeholders[placeholder["placeholderId"]] = placeholder
            by_role[role.role_name] = placeholder
        return by_role


def _entries(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise bad_request("Invalid placeholders specified", "placeholders")
    return body
