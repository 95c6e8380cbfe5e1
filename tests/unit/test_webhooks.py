"""Rocketlane webhooks at the ingress: authentication, routing, de-duplication."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from handoff.actors.messages import (
    HandoffMessage,
    MilestoneChanged,
    RevenueSyncRequested,
)
from handoff.actors.webhooks import InvalidWebhook, parse_webhook, route_webhook
from handoff.ops.ingress import IngressConfig, build_ingress

API_USER = "integration@handoff.example"
KEY = "HO-0123456789ABCDEF0123"


class RecordingProducer:
    """Keeps what would be enqueued."""

    def __init__(self) -> None:
        self.sent: list[HandoffMessage] = []

    def send(self, message: HandoffMessage, *, delay_ms: int | None = None) -> str:
        self.sent.append(message)
        return str(len(self.sent))


def envelope(
    event_id: str = "evt-1",
    *,
    event_type: str = "TASK_UPDATED",
    task_type: str = "MILESTONE",
    actor: str = "pm@customer.example",
) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "eventType": event_type,
        "resourceType": "TASK",
        "data": {
            "task": {"taskId": 77, "type": task_type, "project": {"projectId": 501}}
        },
        "source": {"actor": {"emailId": actor, "userId": 9}},
    }


@pytest.fixture
def producer() -> RecordingProducer:
    return RecordingProducer()


@pytest.fixture
def client(producer: RecordingProducer) -> TestClient:
    config = IngressConfig(
        webhook_username="rocketlane",
        webhook_password="s3cret",
        webhook_secret="path-secret",
        rocketlane_api_user=API_USER,
        correlation_of=lambda project_id: KEY if project_id == 501 else None,
    )
    return TestClient(build_ingress(producer, config))  # type: ignore[arg-type]


def test_a_milestone_change_becomes_milestone_accept_for_that_task() -> None:
    routed = route_webhook(
        parse_webhook(envelope()), api_user=API_USER, correlation_of=lambda _: KEY
    )

    assert routed.messages == (
        MilestoneChanged(
            correlation_id=KEY,
            rocketlane_project_id=501,
            rocketlane_task_id=77,
            event_id="evt-1",
        ),
    )


def test_an_ordinary_task_change_becomes_revenue_sync() -> None:
    routed = route_webhook(
        parse_webhook(envelope(task_type="TASK")),
        api_user=API_USER,
        correlation_of=lambda _: KEY,
    )

    assert routed.messages == (
        RevenueSyncRequested(
            correlation_id=KEY, rocketlane_project_id=501, reason="webhook"
        ),
    )


@pytest.mark.parametrize("api_user", [API_USER, "9"], ids=["by email", "by user ID"])
def test_handoffs_own_writes_are_dropped_as_echoes(api_user: str) -> None:
    routed = route_webhook(
        parse_webhook(envelope(actor=API_USER)),
        api_user=api_user,
        correlation_of=lambda _: KEY,
    )

    assert routed.messages == ()
    assert routed.skipped == "an echo of Handoff's own write"


def test_a_project_handoff_does_not_map_is_skipped() -> None:
    routed = route_webhook(
        parse_webhook(envelope()), api_user=API_USER, correlation_of=lambda _: None
    )

    assert routed.messages == ()


@pytest.mark.parametrize(
    "body",
    [[], {"eventType": "TASK_UPDATED"}, {"eventId": "e", "eventType": "TASK_UPDATED"}],
    ids=["not an object", "no event ID", "no task"],
)
def test_a_body_that_is_no_envelope_is_refused(body: object) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(body)


def test_basic_credentials_are_accepted(
    client: TestClient, producer: RecordingProducer
) -> None:
    response = client.post(
        "/webhooks/rocketlane", json=envelope(), auth=("rocketlane", "s3cret")
    )

    assert response.status_code == 200
    assert [m.actor for m in producer.sent] == ["milestone_accept"]


def test_a_secret_path_segment_is_accepted(
    client: TestClient, producer: RecordingProducer
) -> None:
    response = client.post("/webhooks/rocketlane/path-secret", json=envelope())

    assert response.status_code == 200
    assert len(producer.sent) == 1


@pytest.mark.parametrize(
    ("path", "auth"),
    [
        ("/webhooks/rocketlane", None),
        ("/webhooks/rocketlane", ("rocketlane", "wrong")),
        ("/webhooks/rocketlane/wrong-secret", None),
    ],
    ids=["no credentials", "wrong password", "wrong secret"],
)
def test_unauthenticated_webhooks_are_refused(
    client: TestClient,
    producer: RecordingProducer,
    path: str,
    auth: tuple[str, str] | None,
) -> None:
    response = client.post(path, json=envelope(), auth=auth)

    assert response.status_code == 401
    assert producer.sent == []


def test_without_configured_credentials_every_webhook_is_refused(
    producer: RecordingProducer,
) -> None:
    client = TestClient(build_ingress(producer, IngressConfig()))  # type: ignore[arg-type]

    response = client.post("/webhooks/rocketlane", json=envelope())

    assert response.status_code == 401


def test_a_repeated_event_is_enqueued_once(
    client: TestClient, producer: RecordingProducer
) -> None:
    for _ in range(3):
        response = client.post(
            "/webhooks/rocketlane", json=envelope(), auth=("rocketlane", "s3cret")
        )
        assert response.status_code == 200

    assert len(producer.sent) == 1
    assert response.json()["skipped"] == "a repeated delivery of this event"


def test_a_malformed_webhook_is_answered_400(client: TestClient) -> None:
    response = client.post(
        "/webhooks/rocketlane", content=b"{not json", auth=("rocketlane", "s3cret")
    )

    assert response.status_code == 400
