"""Template webhooks, one custom field on request, and the call counts."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from handoff.ops.sandbox.rocketlane import (
    FaultRule,
    RocketlaneWorkspace,
    SandboxConfig,
    WebhookConfig,
    build_app,
    seed_default,
)
from handoff.ops.sandbox.rocketlane.store import Event
from handoff.ops.sandbox.rocketlane.webhooks import envelope

with warnings.catch_warnings():
    # Starlette nudges towards httpx2; httpx is what this project pins.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

KEY = {"api-key": "rl-sandbox-key"}
PROJECTS = "/api/1.0/projects"


@pytest.fixture
def workspace() -> RocketlaneWorkspace:
    return seed_default(RocketlaneWorkspace())


@pytest.fixture
def events(workspace: RocketlaneWorkspace) -> list[Event]:
    heard: list[Event] = []
    workspace.subscribe(heard.append)
    return heard


@pytest.fixture
def api(workspace: RocketlaneWorkspace) -> Iterator[TestClient]:
    config = SandboxConfig(template_create_delay_s=0, rate_limit_per_minute=3)
    app = build_app(workspace, config=config)
    with TestClient(app, base_url="http://sandbox.test") as client:
        yield client


def project_body(**extra: Any) -> dict[str, Any]:
    return {
        "projectName": "Acme onboarding",
        "owner": {"emailId": "pm@handoff.example"},
        "customer": {"companyName": "Acme Corporation"},
        **extra,
    }


# -- template webhooks -----------------------------------------------------------


def test_a_template_build_announces_each_phase_and_task_once_after_the_project(
    workspace: RocketlaneWorkspace, events: list[Event]
) -> None:
    actor = workspace.api_user("handoff")
    body = project_body(startDate="2026-06-01", sources=[{"templateId": 1001}])

    project = workspace.create_project(body, actor)

    pid = project["projectId"]
    phases = sorted(p["phaseId"] for p in workspace.phases.values())
    tasks = sorted(t["taskId"] for t in workspace.tasks.values())
    assert [e.event_type for e in events[:1]] == ["PROJECT_CREATED"]
    assert sorted(e.data["phaseId"] for e in events if e.resource_type == "PHASE") == (
        phases
    )
    assert sorted(e.data["taskId"] for e in events if e.resource_type == "TASK") == (
        tasks
    )
    assert len(events) == 1 + len(phases) + len(tasks) == 1 + 3 + 7
    assert all(e.event_type.endswith("_CREATED") for e in events)
    assert all(e.actor == actor for e in events)
    assert all(e.data["project"]["projectId"] == pid for e in events[1:])


def test_template_events_carry_the_record_as_built_in_the_usual_envelope(
    workspace: RocketlaneWorkspace, events: list[Event]
) -> None:
    """The placeholder assignment is part of the announced task."""
    actor = workspace.api_user("handoff")
    body = project_body(startDate="2026-06-01", sources=[{"templateId": 1003}])

    workspace.create_project(body, actor)
    task_event = next(e for e in events if e.event_type == "TASK_CREATED")
    hook = WebhookConfig(url="http://receiver.test/hooks", webhook_id=1)

    sent = envelope(task_event, hook, triggered_at=1)

    stored = workspace.tasks[task_event.data["taskId"]]
    assert task_event.data == stored
    assert task_event.data["assignees"]["placeholders"][0]["placeholderName"]
    assert sent["eventType"] == "TASK_CREATED"
    assert sent["data"] == {"task": stored}
    assert "changeLog" not in sent


def test_a_project_without_templates_sends_only_its_own_event(
    workspace: RocketlaneWorkspace, events: list[Event]
) -> None:
    workspace.create_project(project_body(), workspace.api_user("handoff"))

    assert [e.event_type for e in events] == ["PROJECT_CREATED"]


# -- one custom field on request ---------------------------------------------------


def make_field(api: TestClient, label: str) -> int:
    body = {"fieldLabel": label, "fieldType": "TEXT", "objectType": "PROJECT"}
    response = api.post("/api/1.0/fields", json=body, headers=KEY)
    field_id: int = response.json()["fieldId"]
    return field_id


def test_include_fields_of_one_id_returns_only_that_field(
    workspace: RocketlaneWorkspace,
) -> None:
    app = build_app(workspace, config=SandboxConfig(template_create_delay_s=0))
    with TestClient(app, base_url="http://sandbox.test") as api:
        region, tier = make_field(api, "Region"), make_field(api, "Tier")
        values = [
            {"fieldId": region, "fieldValue": "EMEA"},
            {"fieldId": tier, "fieldValue": "Gold"},
        ]
        pid = api.post(PROJECTS, json=project_body(fields=values), headers=KEY).json()[
            "projectId"
        ]

        one = api.get(
            f"{PROJECTS}/{pid}", params={"includeFields": f"fields.{tier}"}, headers=KEY
        ).json()
        every = api.get(f"{PROJECTS}/{pid}", headers=KEY).json()

    assert [f["fieldId"] for f in one["fields"]] == [tier]
    assert one["fields"][0]["fieldValue"] == "Gold"
    assert {f["fieldId"] for f in every["fields"]} == {region, tier}


def test_an_unset_field_asked_for_comes_back_with_null_label_and_value(
    workspace: RocketlaneWorkspace,
) -> None:
    app = build_app(workspace, config=SandboxConfig(template_create_delay_s=0))
    with TestClient(app, base_url="http://sandbox.test") as api:
        region, tier = make_field(api, "Region"), make_field(api, "Tier")
        body = project_body(fields=[{"fieldId": region, "fieldValue": "EMEA"}])
        api.post(PROJECTS, json=body, headers=KEY)

        listed = api.get(
            PROJECTS,
            params={"includeFields": f"fields.{tier},fields.{region}"},
            headers=KEY,
        ).json()

    fields = listed["data"][0]["fields"]
    assert fields[0] == {"fieldId": tier, "fieldLabel": None, "fieldValue": None}
    assert (fields[1]["fieldId"], fields[1]["fieldValue"]) == (region, "EMEA")


# -- call counts ---------------------------------------------------------------------


def stats(api: TestClient) -> dict[str, Any]:
    result: dict[str, Any] = api.get("/__sandbox/stats").json()
    return result


def test_stats_count_calls_by_status_and_operation_with_429s_apart(
    api: TestClient,
) -> None:
    api.post(PROJECTS, json=project_body(), headers=KEY)
    api.get(f"{PROJECTS}/1", headers=KEY)
    api.get("/api/1.0/users", headers=KEY)
    api.get("/api/1.0/users", headers=KEY)
    api.get("/api/1.0/users", headers={"api-key": "wrong"})

    counts = stats(api)

    assert counts["requests"] == 5
    assert counts["rateLimited"] == 1
    assert counts["served"] == 4
    assert counts["writes"] == 1
    assert counts["byStatus"] == {"200": 1, "201": 1, "401": 1, "404": 1, "429": 1}
    assert counts["byOperation"] == {
        "projects.create": 1,
        "projects.get": 1,
        "users.list": 3,
    }


def test_the_state_shows_the_stats_and_a_reset_zeroes_them(api: TestClient) -> None:
    api.get("/api/1.0/users", headers=KEY)
    api.get("/api/1.0/no-such-resource", headers=KEY)

    in_state = api.get("/__sandbox/state").json()["stats"]
    api.post("/__sandbox/reset", json={})
    after_reset = stats(api)

    assert in_state["requests"] == 2
    assert in_state["byOperation"] == {"unrouted": 1, "users.list": 1}
    assert after_reset["requests"] == 0
    assert after_reset["byOperation"] == {}


def test_deleting_the_stats_answers_the_old_counts_and_starts_again(
    api: TestClient,
) -> None:
    api.get("/api/1.0/users", headers=KEY)

    before = api.delete("/__sandbox/stats").json()
    after = stats(api)

    assert (before["requests"], after["requests"]) == (1, 0)


def test_injected_429s_and_dropped_responses_count_too(api: TestClient) -> None:
    pid = api.post(PROJECTS, json=project_body(), headers=KEY).json()["projectId"]
    rules = [
        FaultRule(operation="users.list", kind="error", status=429, count=1),
        FaultRule(operation="projects.get", kind="drop", count=1),
    ]
    for rule in rules:
        api.app.state.sandbox.faults.add(rule)

    api.get("/api/1.0/users", headers=KEY)
    with pytest.raises(Exception):  # noqa: B017 - the test client has no answer
        api.get(f"{PROJECTS}/{pid}", headers=KEY)
    counts = stats(api)

    assert counts["rateLimited"] == 1
    assert counts["dropped"] == 1
    assert counts["byOperation"]["projects.get"] == 1


def test_get_placeholders_is_a_read_though_it_is_a_post(api: TestClient) -> None:
    pid = api.post(PROJECTS, json=project_body(), headers=KEY).json()["projectId"]

    api.post(f"{PROJECTS}/{pid}/get-placeholders", headers=KEY)

    assert stats(api)["writes"] == 1
