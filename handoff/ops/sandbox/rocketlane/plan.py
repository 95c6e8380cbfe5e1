"""A project's plan: phases (``/phases``), tasks and milestones (``/tasks``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from .custom_fields import CustomFields
from .errors import bad_request
from .values import (
    Record,
    as_int,
    choice,
    day,
    project_brief,
    project_of,
    status,
    text,
    truthy,
)

__all__ = ["PHASE_UPDATE_KEYS", "TASK_UPDATE_KEYS", "Plan"]

TASK_UPDATE_KEYS = frozenset(
    [
        "taskName",
        "taskDescription",
        "taskPrivateNote",
        "startDate",
        "dueDate",
        "effortInMinutes",
        "progress",
        "atRisk",
        "type",
        "fields",
        "status",
        "externalReferenceId",
        "private",
    ]
)
PHASE_UPDATE_KEYS = frozenset(
    ["phaseName", "startDate", "dueDate", "status", "private"]
)
TASK_TYPES = ("TASK", "MILESTONE")
TASK_TEXTS = ("taskDescription", "taskPrivateNote", "externalReferenceId")


class Plan(CustomFields):
    """Phases, tasks and milestones; each write tells the listeners."""

    # -- phases ---------------------------------------------------------------

    def create_phase(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /phases: both dates are required."""
        with self.lock:
            name = text(body.get("phaseName"))
            if not name:
                raise bad_request("Phase name is missing", "phaseName")
            project = self._project_ref(body.get("project"))
            start, due = _phase_dates(body)
            phase = self._store_phase(project, name, start, due, actor)
            self._apply_phase_changes(phase, body, previous=1, only_sent=True)
            view = copy.deepcopy(phase)
        self._event("PHASE_CREATED", "PHASE", view, actor)
        return view

    def _store_phase(
        self, project: Record, name: str, start: date, due: date, actor: Record
    ) -> Record:
        phase: Record = {
            "phaseId": self.next_id(),
            "phaseName": name,
            "project": project_brief(project),
            "startDate": start.isoformat(),
            "dueDate": due.isoformat(),
            **self._stamps(actor),
            "status": self.phase_statuses[1].as_json(),
            "private": False,
        }
        self.phases[phase["phaseId"]] = phase
        return phase

    def update_phase(
        self, phase_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /phases/{id}: a partial update."""
        with self.lock:
            before = copy.deepcopy(self.get_phase(phase_id))
            phase = copy.deepcopy(before)
            changes = {k: v for k, v in body.items() if k in PHASE_UPDATE_KEYS}
            if changes.get("phaseName"):
                phase["phaseName"] = text(changes["phaseName"])
            self._set_dates(phase, changes)
            previous = before["status"]["value"]
            self._apply_phase_changes(phase, changes, previous=previous)
            self._touch(phase, actor)
            self.phases[phase_id] = phase
            view = copy.deepcopy(phase)
        self._event("PHASE_UPDATED", "PHASE", view, actor, before)
        return view

    def _apply_phase_changes(
        self,
        phase: Record,
        changes: Mapping[str, Any],
        *,
        previous: int,
        only_sent: bool = False,
    ) -> None:
        """``private`` and ``status``; ``only_sent`` skips those sent as null."""
        sent = {k: v for k, v in changes.items() if not only_sent or v is not None}
        if "private" in sent:
            phase["private"] = truthy(sent["private"])
        if "status" in sent:
            phase["status"] = status(sent["status"], self.phase_statuses, 1).as_json()
            self._enter_status(phase, self.phase_statuses, previous)

    def delete_phase(self, phase_id: int, actor: Record) -> None:
        """DELETE /phases/{id}: its tasks lose their phase."""
        with self.lock:
            view = copy.deepcopy(self.get_phase(phase_id))
            del self.phases[phase_id]
            for task in self.tasks.values():
                if (task.get("phase") or {}).get("phaseId") == phase_id:
                    task.pop("phase")
        self._event("PHASE_DELETED", "PHASE", view, actor)

    # -- tasks and milestones -------------------------------------------------

    def create_task(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /tasks: a task, or a milestone with ``type: MILESTONE``."""
        with self.lock:
            if not text(body.get("taskName")):
                raise bad_request("Task name is missing", "taskName")
            project = self._project_ref(body.get("project"))
            task = self._store_task(project, body, actor)
            self._touch_parent(task, actor)
            view = copy.deepcopy(task)
        self._event("TASK_CREATED", "TASK", view, actor)
        return view

    def _store_task(
        self, project: Record, body: Mapping[str, Any], actor: Record
    ) -> Record:
        task = self._new_task(project, body, actor)
        self._apply_task_changes(task, body)
        self._link_phase(task, project, body.get("phase"))
        self._link_parent(task, project, body.get("parent"))
        self._add_assignees(task, body.get("assignees"))
        self._enter_status(task, self.task_statuses, None)
        self.tasks[task["taskId"]] = task
        return task

    def _new_task(
        self, project: Record, body: Mapping[str, Any], actor: Record
    ) -> Record:
        return {
            "taskId": self.next_id(),
            "taskName": text(body.get("taskName")),
            "archived": False,
            **self._stamps(actor),
            "project": project_brief(project),
            "status": status(body.get("status"), self.task_statuses, 1).as_json(),
            "fields": [],
            "private": truthy(body.get("private")),
            "type": choice(body.get("type", "TASK"), TASK_TYPES, "type"),
            "assignees": {"members": [], "placeholders": []},
            "followers": {"members": []},
            "dependencies": [],
            "billable": True,
            "csatEnabled": truthy(body.get("csatEnabled")),
        }

    def _link_phase(self, task: Record, project: Record, ref: Any) -> None:
        if not isinstance(ref, Mapping) or ref.get("phaseId") is None:
            return
        phase = self.phases.get(as_int(ref["phaseId"], "phase"))
        if phase is None or project_of(phase) != project["projectId"]:
            raise bad_request("Invalid phase specified", "phase")
        task["phase"] = {"phaseId": phase["phaseId"], "phaseName": phase["phaseName"]}

    def _link_parent(self, task: Record, project: Record, ref: Any) -> None:
        if not isinstance(ref, Mapping) or ref.get("taskId") is None:
            return
        parent = self.tasks.get(as_int(ref["taskId"], "parent"))
        if parent is None or project_of(parent) != project["projectId"]:
            raise bad_request("Invalid parent task specified", "parent")
        task["parent"] = {"taskId": parent["taskId"], "taskName": parent["taskName"]}

    def _add_assignees(self, task: Record, assignees: Any) -> None:
        if not isinstance(assignees, Mapping):
            return
        members = task["assignees"]["members"]
        for ref in assignees.get("members") or ():
            members.append(self._user_for(ref, field="assignees"))

    def _touch_parent(self, task: Record, actor: Record) -> None:
        parent_id = (task.get("parent") or {}).get("taskId")
        if parent_id in self.tasks:
            self._touch(self.tasks[parent_id], actor)

    def _apply_task_changes(self, task: Record, changes: Mapping[str, Any]) -> None:
        if "taskName" in changes:
            name = text(changes["taskName"])
            if not name:
                raise bad_request("Task name is missing", "taskName")
            task["taskName"] = name
        for key in TASK_TEXTS:
            if changes.get(key) is not None:
                task[key] = str(changes[key])

        self._apply_task_numbers(task, changes)
        if changes.get("fields"):
            task["fields"] = self._field_values(
                changes["fields"], task["fields"], "TASK"
            )
        self._set_dates(task, changes)

    def _apply_task_numbers(self, task: Record, changes: Mapping[str, Any]) -> None:
        if changes.get("effortInMinutes") is not None:
            effort = as_int(changes["effortInMinutes"], "effortInMinutes")
            task["effortInMinutes"] = effort
        if changes.get("progress") is not None:
            progress = as_int(changes["progress"], "progress")
            if not 0 <= progress <= 100:
                raise bad_request("Progress should be between 0 and 100", "progress")
            task["progress"] = progress
        if changes.get("atRisk") is not None:
            task["atRisk"] = truthy(changes["atRisk"])

    def update_task(
        self, task_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /tasks/{id}: a partial update; a completed status stamps the date."""
        with self.lock:
            before = copy.deepcopy(self.get_task(task_id))
            task = copy.deepcopy(before)
            changes = {k: v for k, v in body.items() if k in TASK_UPDATE_KEYS}
            self._apply_task_changes(task, changes)
            self._apply_task_kind(task, changes, previous=before["status"]["value"])
            self._touch(task, actor)
            self.tasks[task_id] = task
            view = copy.deepcopy(task)
        self._event("TASK_UPDATED", "TASK", view, actor, before)
        return view

    def _apply_task_kind(
        self, task: Record, changes: Mapping[str, Any], *, previous: int
    ) -> None:
        """``type``, ``private`` and ``status``, which only a PUT changes."""
        if "type" in changes:
            task["type"] = choice(changes["type"], TASK_TYPES, "type")
        if "private" in changes:
            task["private"] = truthy(changes["private"])
        if "status" in changes:
            task["status"] = status(changes["status"], self.task_statuses, 1).as_json()
            self._enter_status(task, self.task_statuses, previous)

    def delete_task(self, task_id: int, actor: Record) -> None:
        """DELETE /tasks/{id}: a hard delete, subtasks included."""
        with self.lock:
            view = copy.deepcopy(self.get_task(task_id))
            for key in self._with_subtasks(task_id):
                del self.tasks[key]
        self._event("TASK_DELETED", "TASK", view, actor)

    def _with_subtasks(self, task_id: int) -> set[int]:
        doomed = {task_id}
        while True:
            children = {
                t["taskId"]
                for t in self.tasks.values()
                if (t.get("parent") or {}).get("taskId") in doomed
            } - doomed
            if not children:
                return doomed
            doomed |= children


def _phase_dates(body: Mapping[str, Any]) -> tuple[date, date]:
    if not body.get("startDate"):
        raise bad_request("Start Date is missing", "startDate")
    if not body.get("dueDate"):
        raise bad_request("Due Date is missing", "dueDate")
    start = day(body["startDate"], "startDate")
    due = day(body["dueDate"], "dueDate")
    if due < start:
        raise bad_request("Due date should be on or after the start date", "dueDate")
    return start, due
