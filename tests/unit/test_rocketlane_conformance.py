"""The sandbox's answers validate against Rocketlane's official OpenAPI schemas.

Every operation Handoff uses is called on the sandbox and its body checked
with jsonschema against the response schema the spec declares for that
operation and status, with ``$ref``s resolved inside the document.

Where the reference records live behaviour that contradicts the spec, the
live behaviour is asserted instead and the deviation named here:

- ``currency`` is a string enum in the spec but an object
  ``{currencyCode, currencyName, currencySymbol}`` live (§16 #1): the
  project schemas are patched to expect the object.
- ``get-placeholders`` is ``{data, pagination}`` in the spec but
  ``{projectId, placeholders:[{placeholder, placeholderStatus}]}`` live
  (§16 #3): its items are validated against the spec's placeholder-mapping
  schema instead.
- ``/companies`` and ``/project-updates`` are not in the spec (§16 #10); they
  are checked against the shapes the reference gives.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import handoff.ops.sandbox.rocketlane as sandbox_package
from handoff.ops.sandbox.rocketlane import (
    RocketlaneWorkspace,
    SandboxConfig,
    build_app,
    seed_default,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SPEC_PATH = Path(sandbox_package.__file__).parent / "rocketlane-openapi.json"
KEY = {"api-key": "rl-sandbox-key"}
CURRENCY_OBJECT = {
    "type": "object",
    "required": ["currencyCode", "currencyName", "currencySymbol"],
    "properties": {
        "currencyCode": {"type": "string"},
        "currencyName": {"type": "string"},
        "currencySymbol": {"type": "string"},
    },
}
PATCHED_FOR_CURRENCY = (
    "ProjectPublicAPIResponseEntity",
    "ProjectPublicPlaceholdersAPIResponseEntity",
    "ProjectPublicAPIResponseExampleEntity",
    "ProjectPublicTeamMembersAPIResponseEntity",
    "ProjectPublicImportTemplateAPIResponseEntity",
)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The official document, with the live currency deviation applied."""
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    patched = copy.deepcopy(document)
    schemas = patched["components"]["schemas"]
    for name in PATCHED_FOR_CURRENCY:
        if "currency" in schemas.get(name, {}).get("properties", {}):
            schemas[name]["properties"]["currency"] = CURRENCY_OBJECT
    return patched


def response_schema(spec: dict[str, Any], method: str, path: str, status: int) -> Any:
    """The JSON schema the spec declares for one answer of one operation."""
    answer = spec["paths"][path][method.lower()]["responses"][str(status)]
    return answer["content"]["application/json"]["schema"]


def validate(spec: dict[str, Any], body: Any, schema: Any) -> None:
    """Validate ``body``, resolving ``$ref``s against the whole document."""
    root = {**schema, "components": spec["components"]}
    jsonschema.Draft7Validator(root).validate(body)


@pytest.fixture
def api() -> Iterator[TestClient]:
    workspace = seed_default(RocketlaneWorkspace())
    app = build_app(workspace, config=SandboxConfig(template_create_delay_s=0))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def project(api: TestClient) -> dict[str, Any]:
    body = {
        "projectName": "Acme onboarding",
        "owner": {"emailId": "pm@handoff.example"},
        "customer": {"companyName": "Acme Corporation"},
        "startDate": "2026-06-01",
        "sources": [{"templateId": 1001, "startDate": "2026-06-01"}],
        "externalReferenceId": "a0X1",
        "budgetedHours": 40,
        "financials": {
            "contractType": "TIME_AND_MATERIAL",
            "timeAndMaterialContract": {
                "rateCard": {"rateCardId": 2001},
                "projectBudget": 10000,
            },
        },
    }
    response = api.post("/api/1.0/projects", json=body, headers=KEY)
    assert response.status_code == 201
    result: dict[str, Any] = response.json()
    return result


def first_task(api: TestClient, project_id: int) -> dict[str, Any]:
    tasks = api.get("/api/1.0/tasks", params={"projectId.eq": project_id}, headers=KEY)
    task: dict[str, Any] = tasks.json()["data"][0]
    return task


ALL = {"includeAllFields": "true"}


def operations(project_id: int, task_id: int) -> list[tuple[str, str, str, Any, Any]]:
    """(method, url, spec path, params, body) of every operation Handoff uses."""
    p, t = project_id, task_id
    return [
        ("GET", f"/projects/{p}", "/1.0/projects/{projectId}", ALL, None),
        ("GET", "/projects", "/1.0/projects", ALL, None),
        (
            "PUT",
            f"/projects/{p}",
            "/1.0/projects/{projectId}",
            None,
            {"projectName": "Renamed", "status": {"value": 2}},
        ),
        ("GET", "/phases", "/1.0/phases", {"projectId": p, **ALL}, None),
        (
            "POST",
            "/phases",
            "/1.0/phases",
            None,
            {
                "phaseName": "Extra",
                "project": {"projectId": p},
                "startDate": "2026-06-01",
                "dueDate": "2026-06-05",
            },
        ),
        ("GET", "/tasks", "/1.0/tasks", {"projectId.eq": p, **ALL}, None),
        ("GET", f"/tasks/{t}", "/1.0/tasks/{taskId}", ALL, None),
        (
            "POST",
            "/tasks",
            "/1.0/tasks",
            None,
            {"taskName": "Sign-off", "type": "MILESTONE", "project": {"projectId": p}},
        ),
        (
            "PUT",
            f"/tasks/{t}",
            "/1.0/tasks/{taskId}",
            ALL,
            {"status": {"value": 3}, "externalReferenceId": "m-1"},
        ),
        (
            "POST",
            "/time-entries",
            "/1.0/time-entries",
            {"includeFields": "costRate,billRate"},
            {"date": "2026-06-02", "minutes": 90, "project": {"projectId": p}},
        ),
        ("GET", "/time-entries", "/1.0/time-entries", {"projectId.eq": p, **ALL}, None),
        (
            "GET",
            "/resource-allocations",
            "/1.0/resource-allocations",
            {"startDate": "2026-06-01", "endDate": "2026-07-31", **ALL},
            None,
        ),
        ("GET", "/users", "/1.0/users", ALL, None),
        (
            "POST",
            "/fields",
            "/1.0/fields",
            None,
            {
                "fieldLabel": "Accepted",
                "fieldType": "SINGLE_CHOICE",
                "objectType": "TASK",
                "fieldOptions": [{"optionLabel": "Yes", "optionColor": "GREEN"}],
            },
        ),
        ("GET", "/fields", "/1.0/fields", ALL, None),
    ]


def test_every_operation_handoff_uses_answers_in_the_spec_shape(
    api: TestClient, spec: dict[str, Any], project: dict[str, Any]
) -> None:
    project_id = project["projectId"]
    task_id = first_task(api, project_id)["taskId"]

    for method, url, spec_path, params, body in operations(project_id, task_id):
        response = api.request(
            method, "/api/1.0" + url, params=params, json=body, headers=KEY
        )
        schema = response_schema(spec, method, spec_path, response.status_code)

        validate(spec, response.json(), schema)


def test_the_create_answer_matches_its_schema(
    spec: dict[str, Any], project: dict[str, Any]
) -> None:
    validate(spec, project, response_schema(spec, "POST", "/1.0/projects", 201))


def test_a_user_and_a_field_option_match_their_schemas(
    api: TestClient, spec: dict[str, Any]
) -> None:
    users = api.get("/api/1.0/users", headers=KEY).json()["data"]
    user = api.get(f"/api/1.0/users/{users[0]['userId']}", headers=KEY)
    field = api.post(
        "/api/1.0/fields",
        json={
            "fieldLabel": "Tier",
            "fieldType": "SINGLE_CHOICE",
            "objectType": "PROJECT",
        },
        headers=KEY,
    ).json()
    option = api.post(
        f"/api/1.0/fields/{field['fieldId']}/add-option",
        json={"optionLabel": "Gold", "optionColor": "YELLOW"},
        headers=KEY,
    )

    validate(
        spec, user.json(), response_schema(spec, "GET", "/1.0/users/{userId}", 200)
    )
    assert option.status_code == 201
    schema = response_schema(spec, "POST", "/1.0/fields/{fieldId}/add-option", 201)
    validate(spec, option.json(), schema)
    assert option.json()["optionValue"] == 1


def test_archive_answers_204_without_a_body(
    api: TestClient, spec: dict[str, Any], project: dict[str, Any]
) -> None:
    response = api.post(
        f"/api/1.0/projects/{project['projectId']}/archive", headers=KEY
    )

    assert (
        "204" in spec["paths"]["/1.0/projects/{projectId}/archive"]["post"]["responses"]
    )
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (("GET", "/projects/1", KEY, "/1.0/projects/{projectId}"), 404),
        (("GET", "/projects/1", {"api-key": "nope"}, "/1.0/projects/{projectId}"), 401),
        (("POST", "/projects", KEY, "/1.0/projects"), 400),
    ],
    ids=["404", "401", "400"],
)
def test_errors_match_the_spec_envelopes(
    api: TestClient,
    spec: dict[str, Any],
    call: tuple[str, str, dict[str, str], str],
    status: int,
) -> None:
    method, url, headers, spec_path = call

    response = api.request(method, "/api/1.0" + url, json={}, headers=headers)

    assert response.status_code == status
    validate(spec, response.json(), response_schema(spec, method, spec_path, status))


def test_currency_is_the_live_object_not_the_spec_string(
    project: dict[str, Any],
) -> None:
    jsonschema.validate(project["currency"], CURRENCY_OBJECT)


def test_get_placeholders_answers_the_live_shape(
    api: TestClient, spec: dict[str, Any], project: dict[str, Any]
) -> None:
    url = f"/api/1.0/projects/{project['projectId']}/get-placeholders"
    mapping = {"$ref": "#/components/schemas/PlaceholderMappingPublicAPIResponseEntity"}

    body = api.post(url, headers=KEY).json()

    assert set(body) == {"projectId", "placeholders"}
    assert "data" not in body
    for item in body["placeholders"]:
        validate(spec, item, mapping)


def test_a_project_without_template_roles_has_only_its_id(api: TestClient) -> None:
    body = {
        "projectName": "Bare",
        "owner": {"emailId": "pm@handoff.example"},
        "customer": {"companyName": "Globex"},
    }
    created = api.post("/api/1.0/projects", json=body, headers=KEY).json()

    url = f"/api/1.0/projects/{created['projectId']}/get-placeholders"
    answer = api.post(url, headers=KEY).json()

    assert answer == {"projectId": created["projectId"]}


def test_assign_placeholders_matches_its_schema(
    api: TestClient, spec: dict[str, Any], project: dict[str, Any]
) -> None:
    pid = project["projectId"]
    found = api.post(f"/api/1.0/projects/{pid}/get-placeholders", headers=KEY).json()
    placeholder_id = found["placeholders"][0]["placeholder"]["placeholderId"]

    response = api.post(
        f"/api/1.0/projects/{pid}/assign-placeholders",
        json=[
            {"placeholderId": placeholder_id, "user": {"emailId": "pm@handoff.example"}}
        ],
        headers=KEY,
    )

    schema = response_schema(
        spec, "POST", "/1.0/projects/{projectId}/assign-placeholders", 200
    )
    validate(spec, response.json(), schema)
    assert response.json()["placeholders"][0]["placeholderStatus"] == "ASSIGNED"


def test_companies_and_project_updates_have_the_live_shapes(
    api: TestClient, project: dict[str, Any]
) -> None:
    app_state = api.app.state.sandbox  # type: ignore[attr-defined]
    app_state.workspace.add_project_update(
        {"projectId": project["projectId"], "title": "Week 1", "status": 3}
    )

    companies = api.get("/api/1.0/companies", headers=KEY).json()
    updates = api.get(
        "/api/1.0/project-updates",
        params={"project.id.eq": project["projectId"], "includeAllFields": "true"},
        headers=KEY,
    ).json()
    posted = api.post("/api/1.0/project-updates", json={}, headers=KEY)

    assert {"companyId", "companyName", "companyType"} <= set(companies["data"][0])
    assert updates["data"][0]["status"] == {
        "statusId": 3,
        "statusValue": "Running Late",
    }
    assert updates["data"][0]["state"] == "PUBLISHED"
    assert "content" in updates["data"][0]
    assert posted.status_code == 400
