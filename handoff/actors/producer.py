"""The producer API: turning Salesforce change events into actor messages.

``handoff publish``, the ingress and tests all go through ``Producer``. An
event is a hint: it names records to re-read, never values to trust. Events
that Handoff's own writes caused (``changeOrigin`` carrying its client tag)
are dropped here, so nothing ping-pongs between the two systems.

A Project_Milestone__c someone else created or changed asks milestone-accept
to sync its project's milestones at once, rather than at the next reconcile.
A created (or undeleted) milestone's event carries its ``Project__c``, so the
message names the project; an update's event carries only the changed
fields, so the message names the milestone and the actor re-reads its
``Project__c`` (one GET). A deleted milestone is not followed: Handoff never
deletes a Rocketlane milestone on Salesforce's word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypeGuard

from dramatiq import Broker

from handoff.adapters.cdc import ChangeEvent
from handoff.adapters.deals import ACCOUNT_OBJECT, SOURCES
from handoff.domain.keys import KEY_PREFIX, deal_key

from .broker import enqueue
from .messages import (
    DeriveRequested,
    HandoffMessage,
    MilestoneChanged,
    UpdateDeltaRequested,
)

__all__ = ["DEAL_OBJECTS", "Producer", "Routed", "route_event"]

logger = logging.getLogger(__name__)

DEAL_OBJECTS = frozenset(SOURCES) | {ACCOUNT_OBJECT}
LINE_OBJECTS = frozenset(
    {"OpportunityLineItem", "QuoteLineItem", "SBQQ__QuoteLine__c", "OrderItem"}
)
PROJECT_OBJECT = "Project__c"
MILESTONE_OBJECT = "Project_Milestone__c"
DELETES = frozenset({"DELETE", "GAP_DELETE"})


@dataclass(frozen=True)
class Routed:
    """What became of one event: the messages it produced, or why none."""

    messages: tuple[HandoffMessage, ...]
    skipped: str | None = None


def route_event(event: ChangeEvent, *, client_tag: str) -> Routed:
    """The messages one change event calls for."""
    header = event.header
    if header.client_tag == client_tag and not header.is_gap:
        return Routed((), skipped=f"an echo of Handoff's own write ({client_tag})")
    if header.change_type == "GAP_OVERFLOW":
        return Routed(
            (), skipped="GAP_OVERFLOW names no records: run `handoff reconcile`"
        )
    return _by_entity(event)


def _by_entity(event: ChangeEvent) -> Routed:
    header, entity = event.header, event.header.entity_name
    if entity in LINE_OBJECTS and header.change_type in DELETES:
        return Routed((), skipped="a deleted line is seen through its parent's change")
    if entity in DEAL_OBJECTS | LINE_OBJECTS:
        return Routed(
            tuple(_derive(entity, record_id, event) for record_id in header.record_ids)
        )
    if entity == PROJECT_OBJECT:
        return Routed(
            tuple(_update(record_id, event) for record_id in header.record_ids)
        )
    if entity == MILESTONE_OBJECT:
        return _milestones(event)
    return Routed((), skipped=f"Handoff does not follow {entity} changes")


def _milestones(event: ChangeEvent) -> Routed:
    header = event.header
    if header.change_type in DELETES:
        return Routed((), skipped="a deleted milestone stays in Rocketlane")
    project_id = event.fields.get(PROJECT_OBJECT)
    if _is_record_id(project_id):
        message = MilestoneChanged(
            correlation_id=f"{PROJECT_OBJECT}:{project_id}",
            project_id=project_id,
            event_id=event.event_id,
        )
        return Routed((message,))
    return Routed(
        tuple(
            MilestoneChanged(
                correlation_id=f"{MILESTONE_OBJECT}:{record_id}",
                milestone_id=record_id,
                event_id=event.event_id,
            )
            for record_id in header.record_ids
        )
    )


def _is_record_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) in (15, 18) and value.isalnum()


def _derive(entity: str, record_id: str, event: ChangeEvent) -> DeriveRequested:
    correlation = deal_key(entity, record_id)
    return DeriveRequested(
        correlation_id=correlation,
        record_object=entity,
        record_id=record_id,
        reason=event.header.change_type.lower(),
        event_id=event.event_id,
    )


def _update(record_id: str, event: ChangeEvent) -> UpdateDeltaRequested:
    key = event.fields.get("Handoff_Key__c")
    correlation = (
        key
        if isinstance(key, str) and key.startswith(KEY_PREFIX)
        else f"{PROJECT_OBJECT}:{record_id}"
    )
    return UpdateDeltaRequested(
        correlation_id=correlation,
        project_id=record_id,
        changed_fields=event.header.changed_fields,
    )


class Producer:
    """Enqueues messages for the actors on one broker."""

    def __init__(self, broker: Broker, *, client_tag: str = "handoff") -> None:
        self._broker = broker
        self._client_tag = client_tag

    def send(self, message: HandoffMessage, *, delay_ms: int | None = None) -> str:
        """Enqueue one message for its actor; returns the message ID."""
        return enqueue(
            self._broker, message.payload(), message.actor, delay_ms=delay_ms
        )

    def publish(self, event: ChangeEvent) -> Routed:
        """Route one change event and enqueue what it calls for."""
        routed = route_event(event, client_tag=self._client_tag)
        for message in routed.messages:
            self.send(message)
        if routed.skipped:
            logger.info("Skipped event %r: %s.", event.event_id, routed.skipped)
        return routed
