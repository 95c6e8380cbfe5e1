"""Every Rocketlane event type is routed, in any order, and none crashes.

Rocketlane sends TASK_*, PROJECT_* and PHASE_* events once each, in no
guaranteed order. The router turns each into a hint (or into nothing, with
the reason); the actors re-read current state, so the order of the hints
does not matter, only that each one asks for the right re-read.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest
from starlette.testclient import TestClient

from handoff.actors.messages import (
    HandoffMessage,
    MilestoneChanged,
    RevenueSyncRequested,
)
from handoff.actors.webhooks import parse_webhook, route_webhook
from handoff.ops.ingress import IngressConfig, build_ingress

API_USER = "integration@handoff.example"
KEY = "HO-0123456789ABCDEF0123"
PROJECT = 501


def correlation_of(project_id: int) -> str | None:
    return KEY if project_id == PROJECT else None


def project_event(
    event_type: str,
    event_id: str = "evt-p",
    *,
    status: tuple[int, str] = (2, "In progress"),
) -> dict[str, Any]:
    project = {
        "projectId": PROJECT,
        "projectName": "Acme rollout",
        "status": {"value": status[0], "label": status[1]},
    }
    body: dict[str, Any] = {
        "eventId": event_id,
        "eventType": event_type,
        "resourceType": "PROJECT",
        "data": {"project": project},
        "source": {"actor": {"emailId": "pm@customer.example", "userId": 9}},
    }
    if event_type.endswith("_UPDATED"):
        body["changeLog"] = {
            "changedFields": ["status"],
            "from": {"status": {"value": 5, "label": "Tentative"}},
            "to": {"status": project["status"]},
        }
    return body


def phase_event(event_type: str, event_id: str = "evt-ph") -> dict[str, Any]:
    phase = {
        "phaseId": 31,
        "phaseName": "Build",
        "project": {"projectId": PROJECT, "projectName": "Acme rollout"},
    }
    return {
        "eventId": event_id,
        "eventType": event_type,
        "resourceType": "PHASE",
        "data": {"phase": phase},
        "source": {"actor": {"emailId": "pm@customer.example", "userId": 9}},
    }


def task_event(
    event_type: str, event_id: str = "evt-t", *, task_type: str = "MILESTONE"
) -> dict[str, Any]:
    task = {"taskId": 77, "type": task_type, "project": {"projectId": PROJECT}}
    return {
        "eventId": event_id,
        "eventType": event_type,
        "resourceType": "TASK",
        "data": {"task": task},
        "source": {"actor": {"emailId": "pm@customer.example", "userId": 9}},
    }


def route(body: dict[str, Any]) -> Any:
    return route_webhook(
        parse_webhook(body), api_user=API_USER, correlation_of=correlation_of
    )


def actors(body: dict[str, Any]) -> list[str]:
    return [message.actor for message in route(body).messages]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            project_event("PROJECT_CREATED"), ["revenue_sync"], id="project created"
        ),
        pytest.param(
            project_event("PROJECT_UPDATED"), ["revenue_sync"], id="project updated"
        ),
        pytest.param(project_event("PROJECT_ARCHIVED"), [], id="project archived"),
        pytest.param(project_event("PROJECT_DELETED"), [], id="project deleted"),
        pytest.param(
            phase_event("PHASE_CREATED"), ["revenue_sync"], id="phase created"
        ),
        pytest.param(
            phase_event("PHASE_UPDATED"), ["revenue_sync"], id="phase updated"
        ),
        pytest.param(
            phase_event("PHASE_DELETED"), ["revenue_sync"], id="phase deleted"
        ),
        pytest.param(
            task_event("TASK_CREATED"), ["milestone_accept"], id="milestone created"
        ),
        pytest.param(
            task_event("TASK_UPDATED"), ["milestone_accept"], id="milestone updated"
        ),
        pytest.param(
            task_event("TASK_DELETED"), ["milestone_accept"], id="milestone deleted"
        ),
        pytest.param(
            task_event("TASK_UPDATED", task_type="TASK"),
            ["revenue_sync"],
            id="task updated",
        ),
        pytest.param(
            task_event("TASK_DELETED", task_type="TASK"),
            ["revenue_sync"],
            id="task deleted",
        ),
    ],
)
def test_each_event_type_asks_for_the_right_reread(
    body: dict[str, Any], expected: list[str]
) -> None:
    assert actors(body) == expected


def test_a_project_status_change_asks_revenue_sync_for_that_project() -> None:
    routed = route(project_event("PROJECT_UPDATED", status=(4, "Blocked")))

    (message,) = routed.messages
    assert isinstance(message, RevenueSyncRequested)
    assert message.correlation_id == KEY
    assert message.rocketlane_project_id == PROJECT
    assert message.reason == "webhook"


@pytest.mark.parametrize(
    "event_type", ["PROJECT_ARCHIVED", "PROJECT_DELETED"], ids=str.lower
)
def test_archive_and_delete_are_skipped_with_a_reason(event_type: str) -> None:
    routed = route(project_event(event_type))

    assert routed.messages == ()
    assert routed.skipped == f"Handoff does not follow {event_type}"


def test_a_project_event_of_a_project_handoff_does_not_map_is_skipped() -> None:
    body = project_event("PROJECT_UPDATED")
    body["data"]["project"]["projectId"] = 999

    routed = route(body)

    assert routed.messages == ()
    assert routed.skipped == "project 999 is not Handoff's"


def test_any_order_of_a_projects_events_asks_for_the_same_rereads() -> None:
    """Out of order, the same hints go out: each actor then reads the present."""
    events = [
        project_event("PROJECT_CREATED", "e1"),
        phase_event("PHASE_CREATED", "e2"),
        task_event("TASK_CREATED", "e3"),
        task_event("TASK_UPDATED", "e4"),
        project_event("PROJECT_UPDATED", "e5", status=(3, "Completed")),
        phase_event("PHASE_DELETED", "e6"),
        project_event("PROJECT_ARCHIVED", "e7"),
    ]

    outcomes = {
        tuple(sorted(_hint(m) for body in order for m in route(body).messages))
        for order in permutations(events)
    }

    (only,) = outcomes
    assert only.count(("milestone_accept", PROJECT)) == 2
    assert only.count(("revenue_sync", PROJECT)) == 4


def _hint(message: HandoffMessage) -> tuple[str, int | None]:
    assert isinstance(message, MilestoneChanged | RevenueSyncRequested)
    return message.actor, message.rocketlane_project_id


class RecordingProducer:
    """Keeps what would be enqueued."""

    def __init__(self) -> None:
        self.sent: list[HandoffMessage] = []

    def send(self, message: HandoffMessage, *, delay_ms: int | None = None) -> str:
        self.sent.append(message)
        return str(len(self.sent))


@pytest.mark.parametrize(
    "body",
    [
        project_event("PROJECT_UPDATED"),
        project_event("PROJECT_ARCHIVED"),
        project_event("PROJECT_DELETED"),
        phase_event("PHASE_DELETED"),
        task_event("TASK_DELETED"),
    ],
    ids=lambda body: body["eventType"].lower(),
)
def test_the_ingress_answers_every_event_type_at_once(body: dict[str, Any]) -> None:
    producer = RecordingProducer()
    config = IngressConfig(
        webhook_username="rocketlane",
        webhook_password="s3cret",
        rocketlane_api_user=API_USER,
        correlation_of=correlation_of,
    )
    client = TestClient(build_ingress(producer, config))  # type: ignore[arg-type]

    response = client.post(
        "/webhooks/rocketlane", json=body, auth=("rocketlane", "s3cret")
    )

    assert response.status_code == 200
    assert [m.actor for m in producer.sent] == actors(body)
