"""Rocketlane webhooks, validated and routed to actor messages.

A webhook is a hint, like a change event: it names a task, phase or project
whose current state the actor re-reads. Routing is pure and cheap, so the
ingress can answer well within Rocketlane's 10 s:

    TASK_* of a milestone          → milestone-accept (that task)
    TASK_* of an ordinary task     → revenue-sync (counts, progress)
    PHASE_*, PROJECT_CREATED/UPDATED → revenue-sync (phase, health, hours)
    anything else                  → nothing, with the reason

Deletions are hints too: a deleted milestone's re-read finds its task gone
and keeps the Project_Milestone__c as it is; a deleted phase's re-read
counts what is left. PROJECT_ARCHIVED and PROJECT_DELETED are not followed:
Handoff never archives or forgets a project on Rocketlane's word.

Webhooks of projects Handoff does not map are skipped, and so are the
echoes of Handoff's own writes: their ``source.actor`` is the API key's
user, named in the settings by email or user ID.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .messages import HandoffMessage, MilestoneChanged, RevenueSyncRequested

__all__ = [
    "WEBHOOK_SOURCE",
    "InvalidWebhook",
    "RoutedWebhook",
    "Webhook",
    "parse_webhook",
    "route_webhook",
]

WEBHOOK_SOURCE = "rocketlane"
SYNCED_PROJECT_EVENTS = frozenset({"PROJECT_CREATED", "PROJECT_UPDATED"})

Record = Mapping[str, Any]
CorrelationOf = Callable[[int], str | None]


class InvalidWebhook(ValueError):
    """A body that is not a Rocketlane webhook envelope."""


@dataclass(frozen=True)
class Webhook:
    """The parts of a Rocketlane webhook envelope Handoff reads."""

    event_id: str
    event_type: str
    resource: Record
    actor: Record

    @property
    def project_id(self) -> int | None:
        """The Rocketlane project the resource belongs to."""
        if self.event_type.startswith("PROJECT_"):
            return _int(self.resource.get("projectId"))
        return _int((self.resource.get("project") or {}).get("projectId"))

    def is_by(self, api_user: str | None) -> bool:
        """Whether the API key's user (an email or a user ID) wrote this."""
        if not api_user:
            return False
        wanted = api_user.strip().lower()
        email = str(self.actor.get("emailId") or "").lower()
        user_id = str(self.actor.get("userId") or "")
        return wanted in (email, user_id)


@dataclass(frozen=True)
class RoutedWebhook:
    """What became of one webhook: messages, or why none."""

    messages: tuple[HandoffMessage, ...]
    skipped: str | None = None


def parse_webhook(body: object) -> Webhook:
    """The envelope's event ID, type, resource and actor; raises InvalidWebhook."""
    if not isinstance(body, dict):
        raise InvalidWebhook("the body must be a JSON object")
    event_id, event_type = body.get("eventId"), body.get("eventType")
    if not isinstance(event_id, str) or not event_id:
        raise InvalidWebhook("eventId is missing")
    if not isinstance(event_type, str) or "_" not in event_type:
        raise InvalidWebhook("eventType is missing")

    kind = event_type.split("_", 1)[0].lower()
    resource = (body.get("data") or {}).get(kind)
    if not isinstance(resource, dict):
        raise InvalidWebhook(f"data.{kind} is missing")
    actor = (body.get("source") or {}).get("actor") or {}
    return Webhook(event_id, event_type.rstrip("."), resource, actor)


def route_webhook(
    webhook: Webhook, *, api_user: str | None, correlation_of: CorrelationOf
) -> RoutedWebhook:
    """The messages one webhook calls for."""
    if webhook.is_by(api_user):
        return RoutedWebhook((), skipped="an echo of Handoff's own write")
    project_id = webhook.project_id
    if project_id is None:
        return RoutedWebhook((), skipped="it names no project")
    key = correlation_of(project_id)
    if key is None:
        return RoutedWebhook((), skipped=f"project {project_id} is not Handoff's")
    message = _message(webhook, key, project_id)
    if message is None:
        return RoutedWebhook(
            (), skipped=f"Handoff does not follow {webhook.event_type}"
        )
    return RoutedWebhook((message,))


def _message(webhook: Webhook, key: str, project_id: int) -> HandoffMessage | None:
    kind = webhook.event_type.split("_", 1)[0]
    if kind == "TASK" and webhook.resource.get("type") == "MILESTONE":
        return MilestoneChanged(
            correlation_id=key,
            rocketlane_project_id=project_id,
            rocketlane_task_id=_int(webhook.resource.get("taskId")),
            event_id=webhook.event_id,
        )
    if kind in ("TASK", "PHASE") or webhook.event_type in SYNCED_PROJECT_EVENTS:
        return RevenueSyncRequested(
            correlation_id=key, rocketlane_project_id=project_id, reason="webhook"
        )
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number > 0 else None
