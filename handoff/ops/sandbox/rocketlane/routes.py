"""The Rocketlane endpoints Handoff and its tools use, one handler each."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from . import accessors
from .errors import SERVER_ERROR_MESSAGE, ApiError, bad_request, not_found
from .pipeline import Call, api_route, json_response, list_response, one
from .query import parse_bool

__all__ = ["api_routes"]

Record = dict[str, Any]


# -- projects -----------------------------------------------------------------


async def list_projects(call: Call) -> Response:
    """GET /projects: archived ones only with ``includeArchive.eq=true``."""
    query = call.query()
    if call.sandbox.config.limit_param_fails and query.first("limit") is not None:
        raise _server_error()
    with_archived = parse_bool(query.filter_value("includeArchive"))
    with call.ws.lock:
        views = [call.ws.project_view(i) for i in call.ws.projects]
    views = [v for v in views if with_archived or not v["archived"]]
    return list_response(
        call, views, kind="project", readers=accessors.PROJECTS, id_key="projectId"
    )


def _server_error() -> Exception:
    return ApiError(500, "SERVER_ERROR", SERVER_ERROR_MESSAGE)


async def create_project(call: Call) -> Response:
    """POST /projects; a template create answers only after the build delay."""
    body = await call.object_body()
    view = call.ws.create_project(body, call.actor)
    if body.get("sources"):
        await asyncio.sleep(call.sandbox.config.template_create_delay_s)
    return one(call, view, "project", 201)


async def get_project(call: Call) -> Response:
    """GET /projects/{projectId}."""
    return one(call, call.ws.project_view(call.path_id("projectId")), "project")


async def update_project(call: Call) -> Response:
    """PUT /projects/{projectId}: a partial update."""
    body = await call.object_body()
    view = call.ws.update_project(call.path_id("projectId"), body, call.actor)
    return one(call, view, "project")


async def delete_project(call: Call) -> Response:
    """DELETE /projects/{projectId} → 204."""
    call.ws.delete_project(call.path_id("projectId"), call.actor)
    return json_response(None)


async def archive_project(call: Call) -> Response:
    """POST /projects/{projectId}/archive → 204."""
    call.ws.archive_project(call.path_id("projectId"), call.actor)
    return json_response(None)


async def get_placeholders(call: Call) -> Response:
    """POST /projects/{projectId}/get-placeholders, in its live shape (§8.5)."""
    project_id = call.path_id("projectId")
    with call.ws.lock:
        found = call.ws.project_placeholders(project_id)
        body: Record = {"projectId": project_id}
        if found:
            body["placeholders"] = [call.ws.placeholder_mapping(p) for p in found]
    return json_response(body)


async def assign_placeholders(call: Call) -> Response:
    """POST /projects/{projectId}/assign-placeholders."""
    body = await call.body()
    result = call.ws.assign_placeholders(call.path_id("projectId"), body, call.actor)
    return json_response(result)


async def unassign_placeholders(call: Call) -> Response:
    """POST /projects/{projectId}/unassign-placeholders."""
    body = await call.body()
    result = call.ws.unassign_placeholders(call.path_id("projectId"), body, call.actor)
    return json_response(result)


# -- phases ---------------------------------------------------------------------


async def list_phases(call: Call) -> Response:
    """GET /phases?projectId= (required)."""
    project_id = call.query().first("projectId")
    if not project_id:
        raise bad_request("Project Id is missing", "projectId")
    with call.ws.lock:
        phases = [
            copy.deepcopy(p)
            for p in call.ws.phases.values()
            if str(p["project"]["projectId"]) == project_id
        ]
    return list_response(
        call, phases, kind="phase", readers=accessors.PHASES, id_key="phaseId"
    )


async def create_phase(call: Call) -> Response:
    """POST /phases → 201."""
    return one(
        call, call.ws.create_phase(await call.object_body(), call.actor), "phase", 201
    )


async def get_phase(call: Call) -> Response:
    """GET /phases/{phaseId}."""
    return one(call, copy.deepcopy(call.ws.get_phase(call.path_id("phaseId"))), "phase")


async def update_phase(call: Call) -> Response:
    """PUT /phases/{phaseId}."""
    body = await call.object_body()
    return one(
        call, call.ws.update_phase(call.path_id("phaseId"), body, call.actor), "phase"
    )


async def delete_phase(call: Call) -> Response:
    """DELETE /phases/{phaseId} → 204."""
    call.ws.delete_phase(call.path_id("phaseId"), call.actor)
    return json_response(None)


# -- tasks ----------------------------------------------------------------------


async def list_tasks(call: Call) -> Response:
    """GET /tasks; archived tasks only with ``includeArchive.eq=true``."""
    with_archived = parse_bool(call.query().filter_value("includeArchive"))
    with call.ws.lock:
        tasks = [_with_project_status(call, t) for t in call.ws.tasks.values()]
    tasks = [t for t in tasks if with_archived or not t["archived"]]
    return list_response(
        call, tasks, kind="task", readers=accessors.TASKS, id_key="taskId"
    )


def _with_project_status(call: Call, task: Record) -> Record:
    project = call.ws.projects.get(task["project"]["projectId"]) or {}
    status = (project.get("status") or {}).get("value")
    return {**copy.deepcopy(task), "_projectStatus": status}


async def create_task(call: Call) -> Response:
    """POST /tasks → 201 (a milestone is ``type: MILESTONE``)."""
    return one(
        call, call.ws.create_task(await call.object_body(), call.actor), "task", 201
    )


async def get_task(call: Call) -> Response:
    """GET /tasks/{taskId}."""
    return one(call, copy.deepcopy(call.ws.get_task(call.path_id("taskId"))), "task")


async def update_task(call: Call) -> Response:
    """PUT /tasks/{taskId}: a partial update."""
    body = await call.object_body()
    return one(
        call, call.ws.update_task(call.path_id("taskId"), body, call.actor), "task"
    )


async def delete_task(call: Call) -> Response:
    """DELETE /tasks/{taskId} → 204, a hard delete."""
    call.ws.delete_task(call.path_id("taskId"), call.actor)
    return json_response(None)


# -- custom fields ----------------------------------------------------------------


async def list_fields(call: Call) -> Response:
    """GET /fields."""
    with call.ws.lock:
        found = [copy.deepcopy(f) for f in call.ws.fields.values()]
    return list_response(
        call, found, kind="field", readers=accessors.FIELDS, id_key="fieldId"
    )


async def create_field(call: Call) -> Response:
    """POST /fields → 201."""
    return one(
        call, call.ws.create_field(await call.object_body(), call.actor), "field", 201
    )


async def get_field(call: Call) -> Response:
    """GET /fields/{fieldId}."""
    return one(call, copy.deepcopy(call.ws.get_field(call.path_id("fieldId"))), "field")


async def update_field(call: Call) -> Response:
    """PUT /fields/{fieldId}."""
    body = await call.object_body()
    return one(
        call, call.ws.update_field(call.path_id("fieldId"), body, call.actor), "field"
    )


async def delete_field(call: Call) -> Response:
    """DELETE /fields/{fieldId} → 204."""
    call.ws.delete_field(call.path_id("fieldId"))
    return json_response(None)


async def add_option(call: Call) -> Response:
    """POST /fields/{fieldId}/add-option → 201 with the new option."""
    body = await call.object_body()
    return json_response(call.ws.add_option(call.path_id("fieldId"), body), 201)


# -- time entries -------------------------------------------------------------------


async def list_time_entries(call: Call) -> Response:
    """GET /time-entries."""
    with call.ws.lock:
        found = [copy.deepcopy(e) for e in call.ws.time_entries.values()]
    return list_response(
        call,
        found,
        kind="timeEntry",
        readers=accessors.TIME_ENTRIES,
        id_key="timeEntryId",
    )


async def create_time_entry(call: Call) -> Response:
    """POST /time-entries → 201."""
    body = await call.object_body()
    owner = call.sandbox.config.api_key_owner_email
    return one(
        call, call.ws.create_time_entry(body, call.actor, owner), "timeEntry", 201
    )


async def get_time_entry(call: Call) -> Response:
    """GET /time-entries/{timeEntryId}."""
    entry = copy.deepcopy(call.ws.get_time_entry(call.path_id("timeEntryId")))
    return one(call, entry, "timeEntry")


async def update_time_entry(call: Call) -> Response:
    """PUT /time-entries/{timeEntryId}."""
    body = await call.object_body()
    entry = call.ws.update_time_entry(call.path_id("timeEntryId"), body, call.actor)
    return one(call, entry, "timeEntry")


async def delete_time_entry(call: Call) -> Response:
    """DELETE /time-entries/{timeEntryId} → 204."""
    call.ws.delete_time_entry(call.path_id("timeEntryId"))
    return json_response(None)


# -- read-only resources ----------------------------------------------------------


async def list_allocations(call: Call) -> Response:
    """GET /resource-allocations?startDate=&endDate= (both required)."""
    query = call.query()
    start, end = query.first("startDate"), query.first("endDate")
    if not start:
        raise bad_request("Start Date is missing", "startDate")
    if not end:
        raise bad_request("End Date is missing", "endDate")
    found = [
        a
        for a in call.ws.all_allocations()
        if a["startDate"] <= end and a["endDate"] >= start
    ]
    return list_response(
        call,
        found,
        kind="allocation",
        readers=accessors.ALLOCATIONS,
        id_key="allocationId",
    )


async def list_users(call: Call) -> Response:
    """GET /users (read-only)."""
    with call.ws.lock:
        found = [copy.deepcopy(u) for u in call.ws.users.values()]
    return list_response(
        call, found, kind="user", readers=accessors.USERS, id_key="userId"
    )


async def get_user(call: Call) -> Response:
    """GET /users/{userId}."""
    user = call.ws.users.get(call.path_id("userId"))
    if user is None:
        raise not_found()
    return one(call, copy.deepcopy(user), "user")


async def list_companies(call: Call) -> Response:
    """GET /companies (live, not in the spec)."""
    with call.ws.lock:
        found = [copy.deepcopy(c) for c in call.ws.companies.values()]
    return list_response(
        call, found, kind="company", readers=accessors.COMPANIES, id_key="companyId"
    )


async def list_project_updates(call: Call) -> Response:
    """GET /project-updates; ``content`` only with ``includeAllFields``."""
    with call.ws.lock:
        found = [copy.deepcopy(u) for u in call.ws.project_updates.values()]
    return list_response(
        call,
        found,
        kind="projectUpdate",
        readers=accessors.PROJECT_UPDATES,
        id_key="projectUpdateId",
    )


async def post_project_update(call: Call) -> Response:
    """POST /project-updates is not supported live: 400."""
    raise bad_request("Method not supported")


PROJECT = "/projects/{projectId:int}"


def api_routes() -> list[Route]:
    """Every API route, each named by its fault operation."""
    return [
        api_route("GET", "/projects", "projects.list", list_projects, is_list=True),
        api_route("POST", "/projects", "projects.create", create_project),
        api_route("GET", PROJECT, "projects.get", get_project),
        api_route("PUT", PROJECT, "projects.update", update_project),
        api_route("DELETE", PROJECT, "projects.delete", delete_project),
        api_route("POST", PROJECT + "/archive", "projects.archive", archive_project),
        api_route(
            "POST",
            PROJECT + "/get-placeholders",
            "projects.get_placeholders",
            get_placeholders,
            write=False,
        ),
        api_route(
            "POST",
            PROJECT + "/assign-placeholders",
            "projects.assign_placeholders",
            assign_placeholders,
        ),
        api_route(
            "POST",
            PROJECT + "/unassign-placeholders",
            "projects.unassign_placeholders",
            unassign_placeholders,
        ),
        api_route("GET", "/phases", "phases.list", list_phases, is_list=True),
        api_route("POST", "/phases", "phases.create", create_phase),
        api_route("GET", "/phases/{phaseId:int}", "phases.get", get_phase),
        api_route("PUT", "/phases/{phaseId:int}", "phases.update", update_phase),
        api_route("DELETE", "/phases/{phaseId:int}", "phases.delete", delete_phase),
        api_route("GET", "/tasks", "tasks.list", list_tasks, is_list=True),
        api_route("POST", "/tasks", "tasks.create", create_task),
        api_route("GET", "/tasks/{taskId:int}", "tasks.get", get_task),
        api_route("PUT", "/tasks/{taskId:int}", "tasks.update", update_task),
        api_route("DELETE", "/tasks/{taskId:int}", "tasks.delete", delete_task),
        api_route("GET", "/fields", "fields.list", list_fields, is_list=True),
        api_route("POST", "/fields", "fields.create", create_field),
        api_route("GET", "/fields/{fieldId:int}", "fields.get", get_field),
        api_route("PUT", "/fields/{fieldId:int}", "fields.update", update_field),
        api_route("DELETE", "/fields/{fieldId:int}", "fields.delete", delete_field),
        api_route(
            "POST", "/fields/{fieldId:int}/add-option", "fields.add_option", add_option
        ),
        api_route(
            "GET", "/time-entries", "time_entries.list", list_time_entries, is_list=True
        ),
        api_route("POST", "/time-entries", "time_entries.create", create_time_entry),
        api_route(
            "GET", "/time-entries/{timeEntryId:int}", "time_entries.get", get_time_entry
        ),
        api_route(
            "PUT",
            "/time-entries/{timeEntryId:int}",
            "time_entries.update",
            update_time_entry,
        ),
        api_route(
            "DELETE",
            "/time-entries/{timeEntryId:int}",
            "time_entries.delete",
            delete_time_entry,
        ),
        api_route(
            "GET",
            "/resource-allocations",
            "resource_allocations.list",
            list_allocations,
            is_list=True,
        ),
        api_route("GET", "/users", "users.list", list_users, is_list=True),
        api_route("GET", "/users/{userId:int}", "users.get", get_user),
        api_route("GET", "/companies", "companies.list", list_companies, is_list=True),
        api_route(
            "GET",
            "/project-updates",
            "project_updates.list",
            list_project_updates,
            is_list=True,
        ),
        api_route(
            "POST", "/project-updates", "project_updates.create", post_project_update
        ),
    ]
