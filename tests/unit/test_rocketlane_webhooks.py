"""The webhook envelope the sandbox sends, and its change log."""

from __future__ import annotations

from handoff.ops.sandbox.rocketlane import WebhookConfig
from handoff.ops.sandbox.rocketlane.webhooks import change_log, envelope
from handoff.ops.sandbox.rocketlane.workspace import Event

ACTOR = {"userId": 7, "emailId": "c0ffee", "firstName": "Handoff integration"}
HOOK = WebhookConfig(url="http://receiver.test/hooks", name="Handoff", webhook_id=3)


def test_an_update_carries_only_the_changed_fields_in_its_change_log() -> None:
    before = {"taskId": 1, "status": {"value": 1}, "updatedAt": 1, "taskName": "a"}
    after = {"taskId": 1, "status": {"value": 3}, "updatedAt": 2, "taskName": "a"}
    event = Event("TASK_UPDATED", "TASK", after, ACTOR, 1_000, before)

    body = envelope(event, HOOK, triggered_at=1_500)

    assert body["changeLog"] == {
        "changedFields": ["status"],
        "from": {"status": {"value": 1}},
        "to": {"status": {"value": 3}},
    }
    assert body["data"] == {"task": after}
    assert body["version"] == "1.0"
    assert body["source"] == {
        "webhook": {"webhookId": 3, "webhookName": "Handoff"},
        "actor": ACTOR,
    }
    assert (body["eventOccurredAt"], body["eventTriggeredAt"]) == (1_000, 1_500)


def test_creates_and_deletes_have_no_change_log() -> None:
    for kind in ("PROJECT_CREATED", "PROJECT_ARCHIVED", "PROJECT_DELETED"):
        event = Event(kind, "PROJECT", {"projectId": 1}, ACTOR, 1_000)

        body = envelope(event, HOOK, triggered_at=1_000)

        assert "changeLog" not in body
        assert body["data"] == {"project": {"projectId": 1}}
        assert body["resourceType"] == "PROJECT"


def test_each_envelope_gets_its_own_event_id() -> None:
    event = Event("PHASE_CREATED", "PHASE", {"phaseId": 1}, ACTOR, 1)

    ids = {envelope(event, HOOK, triggered_at=1)["eventId"] for _ in range(3)}

    assert len(ids) == 3


def test_a_field_that_appears_is_a_change() -> None:
    log = change_log({"a": 1}, {"a": 1, "dueDateActual": "2026-05-28"})

    assert log == {
        "changedFields": ["dueDateActual"],
        "from": {},
        "to": {"dueDateActual": "2026-05-28"},
    }
