"""Time entries (``/time-entries``): minutes logged against one source.

A source is exactly one of an ad-hoc activity, a task (or milestone), a
phase or a project; no user may log more than 24 hours on one day. Rates
come from the project's rate card by the user's role, else the user's own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from . import metrics
from .errors import bad_request
from .people import user_ref
from .store import WorkspaceState, stored_or_404
from .values import (
    MINUTES_PER_DAY,
    Record,
    as_int,
    minutes,
    project_brief,
    required_day,
)

__all__ = ["TimeEntries"]

SOURCES = ("activityName", "task", "projectPhase", "project")


class TimeEntries(WorkspaceState):
    """Logged time, its sources and its rates."""

    def create_time_entry(
        self, body: Mapping[str, Any], actor: Record, owner_email: str
    ) -> Record:
        """POST /time-entries: 1-1440 minutes on exactly one source."""
        with self.lock:
            date = required_day(body.get("date"), "Date")
            logged = minutes(body.get("minutes"))
            user = self._entry_user(body.get("user"), owner_email)
            self._check_daily_total(user["userId"], date, logged, None)
            entry = self._new_entry(date, logged, user, body, actor)
            self.time_entries[entry["timeEntryId"]] = entry
            return copy.deepcopy(entry)

    def _entry_user(self, ref: Any, owner_email: str) -> Record:
        if ref:
            return self._user_for(ref)
        owner = self.user_by_email(owner_email) or next(iter(self.users.values()), None)
        if owner is None:
            raise bad_request("Invalid user specified", "user")
        return user_ref(owner)

    def _check_daily_total(
        self, user_id: int, date: str, logged: int, skip: int | None
    ) -> None:
        earlier = sum(
            e["minutes"]
            for e in self.time_entries.values()
            if e["user"]["userId"] == user_id
            and e["date"] == date
            and e["timeEntryId"] != skip
        )
        if earlier + logged > MINUTES_PER_DAY:
            raise bad_request(
                "Total time logged for the day exceeds 24 hours", "minutes"
            )

    def _new_entry(
        self,
        date: str,
        logged: int,
        user: Record,
        body: Mapping[str, Any],
        actor: Record,
    ) -> Record:
        stamps = self._stamps(actor)
        entry: Record = {
            "timeEntryId": self.next_id(),
            "date": date,
            "minutes": logged,
            "billable": body.get("billable", True) is not False,
            "user": user,
            **stamps,
            "status": "NOT_SUBMITTED",
            "deleted": False,
        }
        entry.update(self._entry_source(body))
        if body.get("notes"):
            entry["notes"] = str(body["notes"])
        entry.update(self._entry_rates(entry))
        return entry

    def _entry_source(self, body: Mapping[str, Any]) -> Record:
        given = [key for key in SOURCES if body.get(key)]
        if len(given) != 1:
            raise bad_request(
                "Exactly one of activityName, task, projectPhase or project is required",
                "source",
            )
        kind = given[0]
        if kind == "activityName":
            return {"activityName": str(body["activityName"]), "sourceType": "ADHOC"}
        if kind == "task":
            return self._task_source(body["task"])
        if kind == "projectPhase":
            return self._phase_source(body["projectPhase"])
        project = self._project_ref(body["project"])
        return {"project": project_brief(project), "sourceType": "PROJECT"}

    def _task_source(self, ref: Mapping[str, Any]) -> Record:
        task = self.tasks.get(as_int(ref.get("taskId"), "task"))
        if task is None:
            raise bad_request("Invalid task specified", "task")
        source = "MILESTONE" if task["type"] == "MILESTONE" else "TASK"
        brief = {"taskId": task["taskId"], "taskName": task["taskName"]}
        return {"task": brief, "project": task["project"], "sourceType": source}

    def _phase_source(self, ref: Mapping[str, Any]) -> Record:
        phase = self.phases.get(as_int(ref.get("phaseId"), "projectPhase"))
        if phase is None:
            raise bad_request("Invalid phase specified", "projectPhase")
        brief = {"phaseId": phase["phaseId"], "phaseName": phase["phaseName"]}
        return {
            "projectPhase": brief,
            "project": phase["project"],
            "sourceType": "PHASE",
        }

    def _entry_rates(self, entry: Record) -> Record:
        user_id = entry["user"]["userId"]
        role = (self.users.get(user_id) or {}).get("role", {}).get("roleName", "")
        cost, bill, currency = metrics.role_rates(
            self,
            user_id=user_id,
            project_id=(entry.get("project") or {}).get("projectId"),
            role=role,
        )
        return {
            "costRate": {"rate": cost, "currency": currency},
            "billRate": {"rate": bill, "currency": currency},
        }

    def get_time_entry(self, entry_id: int) -> Record:
        """The stored time entry, or 404."""
        return stored_or_404(self.time_entries, entry_id)

    def update_time_entry(
        self, entry_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /time-entries/{id}: minutes, notes, billable, activity."""
        with self.lock:
            entry = self.get_time_entry(entry_id)
            if body.get("minutes") is not None:
                logged = minutes(body["minutes"])
                user_id = entry["user"]["userId"]
                self._check_daily_total(user_id, entry["date"], logged, entry_id)
                entry["minutes"] = logged
            if "billable" in body:
                entry["billable"] = body["billable"] is not False
            for key in ("notes", "activityName"):
                if body.get(key) is not None:
                    entry[key] = str(body[key])
            self._touch(entry, actor)
            return copy.deepcopy(entry)

    def delete_time_entry(self, entry_id: int) -> None:
        """DELETE /time-entries/{id}."""
        with self.lock:
            self.get_time_entry(entry_id)
            del self.time_entries[entry_id]
