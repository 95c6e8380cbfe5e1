"""Building a project from templates (``sources`` on ``POST /projects``).

Each source lays the template's phases and tasks out from its start date,
creates one placeholder per template role and assigns it to the tasks of
that role. Like the real service, the build announces each phase and task
it created (PHASE_CREATED, TASK_CREATED), once, after the project's event.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from .errors import bad_request
from .people import TemplatePhase, TemplateTask, user_ref
from .plan import Plan
from .staffing import Staffing
from .values import Record, as_int, day, placeholder_ref, project_of, text, truthy

__all__ = ["Templates"]


class Templates(Plan, Staffing):
    """Template instantiation: phases, tasks, milestones, placeholders."""

    def _apply_sources(
        self, project: Record, body: Mapping[str, Any], owner: Record
    ) -> None:
        """Instantiate ``body["sources"]``; the due date becomes the last end."""
        sources = body.get("sources") or []
        if not sources:
            return
        if not project.get("startDate"):
            raise bad_request("Start Date is missing", "startDate")
        built = [self._instantiate(project, source) for source in sources]
        project["sources"] = [entry for entry, _ in built]
        project["dueDate"] = max(due for _, due in built).isoformat()
        self._assign_initial(project, body, owner)

    def _instantiate(
        self, project: Record, source: Mapping[str, Any]
    ) -> tuple[Record, date]:
        template = self.templates.get(as_int(source.get("templateId"), "sources"))
        if template is None:
            raise bad_request("Invalid template specified", "sources")
        start = day(source.get("startDate") or project["startDate"], "startDate")
        prefix = text(source.get("prefix"))

        roles = self._create_placeholders(project, template)
        for phase in template.phases:
            self._instantiate_phase(project, phase, start, prefix, roles)

        entry: Record = {
            "templateId": template.template_id,
            "templateName": template.name,
            "startDate": start.isoformat(),
        }
        if prefix:
            entry["prefix"] = prefix
        return entry, start + timedelta(days=template.duration_days - 1)

    def _instantiate_phase(
        self,
        project: Record,
        phase: TemplatePhase,
        start: date,
        prefix: str,
        roles: Mapping[str, Record],
    ) -> None:
        phase_start = start + timedelta(days=phase.start_offset_days)
        phase_due = phase_start + timedelta(days=phase.duration_days - 1)
        name = f"{prefix} {phase.name}".strip()
        actor = project["createdBy"]
        record = self._store_phase(project, name, phase_start, phase_due, actor)
        for task in phase.tasks:
            body = _task_body(task, phase_start, prefix, record["phaseId"])
            stored = self._store_task(project, body, actor)
            placeholder = roles.get(task.role or "")
            if placeholder is not None:
                placeholders = stored["assignees"]["placeholders"]
                placeholders.append(placeholder_ref(placeholder))

    def _assign_initial(
        self, project: Record, body: Mapping[str, Any], owner: Record
    ) -> None:
        """Fill the sent placeholders; with ``assignProjectOwner`` the rest."""
        if body.get("placeholders"):
            self._assign(project, body["placeholders"])
        if not truthy(body.get("assignProjectOwner")):
            return
        for task in self._project_tasks(project["projectId"]):
            assignees = task["assignees"]
            if not assignees["members"] and not assignees["placeholders"]:
                assignees["members"].append(user_ref(owner))

    def _built_plan(self, project_id: int) -> list[tuple[str, str, Record]]:
        """The (event, resource, record) a new project's build announces.

        Phases first, then tasks, each in the order it was created.
        """
        phases = [p for p in self.phases.values() if project_of(p) == project_id]
        tasks = self._project_tasks(project_id)
        return [
            *(("PHASE_CREATED", "PHASE", copy.deepcopy(p)) for p in phases),
            *(("TASK_CREATED", "TASK", copy.deepcopy(t)) for t in tasks),
        ]


def _task_body(
    task: TemplateTask, phase_start: date, prefix: str, phase_id: int
) -> Record:
    """The ``POST /tasks``-like body of a template task."""
    start = phase_start + timedelta(days=task.start_offset_days)
    due = start + timedelta(days=task.duration_days - 1)
    body: Record = {
        "taskName": f"{prefix} {task.name}".strip(),
        "startDate": start.isoformat(),
        "dueDate": due.isoformat(),
        "type": task.kind,
        "phase": {"phaseId": phase_id},
    }
    if task.effort_minutes is not None:
        body["effortInMinutes"] = task.effort_minutes
    return body
