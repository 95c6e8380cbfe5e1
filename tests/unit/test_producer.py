"""Routing change events to actor messages."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.actors.messages import DeriveRequested, UpdateDeltaRequested
from handoff.actors.producer import route_event
from handoff.adapters.cdc import parse_change_event

OPPORTUNITY = "006000000000001AAA"
PROJECT = "a01000000000001AAA"


def event(
    entity: str,
    record_id: str,
    *,
    origin: str = "",
    change: str = "UPDATE",
    **fields: Any,
) -> Any:
    return parse_change_event(
        {
            "ChangeEventHeader": {
                "entityName": entity,
                "recordIds": [record_id],
                "changeType": change,
                "changeOrigin": origin,
                "transactionKey": "t-1",
                "sequenceNumber": 1,
            },
            **fields,
        }
    )


def test_an_opportunity_change_asks_derive_to_reread_it() -> None:
    routed = route_event(event("Opportunity", OPPORTUNITY), client_tag="handoff")

    (message,) = routed.messages
    assert isinstance(message, DeriveRequested)
    assert message.record_id == OPPORTUNITY
    assert message.correlation_id == "Opportunity:006000000000001"


def test_handoffs_own_writes_are_dropped_as_echoes() -> None:
    routed = route_event(
        event(
            "Project__c", PROJECT, origin="com/salesforce/api/rest/62.0;client=handoff"
        ),
        client_tag="handoff",
    )

    assert routed.messages == ()
    assert routed.skipped is not None and "echo" in routed.skipped


def test_someone_elses_project_change_becomes_an_update_delta() -> None:
    routed = route_event(
        event(
            "Project__c",
            PROJECT,
            origin="com/salesforce/api/rest/62.0;client=admin-ui",
            Handoff_Key__c="HO-ABC",
        ),
        client_tag="handoff",
    )

    (message,) = routed.messages
    assert isinstance(message, UpdateDeltaRequested)
    assert message.correlation_id == "HO-ABC"


def test_a_gap_event_is_never_taken_for_an_echo() -> None:
    routed = route_event(
        event("Opportunity", OPPORTUNITY, change="GAP_UPDATE", origin="client=handoff"),
        client_tag="handoff",
    )

    assert len(routed.messages) == 1


@pytest.mark.parametrize(
    ("entity", "change", "reason"),
    [
        pytest.param("Case", "UPDATE", "does not follow Case", id="unfollowed-object"),
        pytest.param(
            "OpportunityLineItem", "DELETE", "through its parent", id="deleted-line"
        ),
    ],
)
def test_events_handoff_does_not_act_on_say_why(
    entity: str, change: str, reason: str
) -> None:
    routed = route_event(
        event(entity, "500000000000001AAA", change=change), client_tag="handoff"
    )

    assert routed.messages == ()
    assert routed.skipped is not None and reason in routed.skipped
