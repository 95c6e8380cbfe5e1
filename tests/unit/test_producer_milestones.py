"""Routing Project_Milestone__c change events to milestone-accept."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.actors.messages import MalformedMessage, MilestoneChanged, parse_message
from handoff.actors.producer import route_event
from handoff.adapters.cdc import parse_change_event

MILESTONE = "a02000000000001AAA"
OTHER_MILESTONE = "a02000000000002AAA"
PROJECT = "a01000000000001AAA"
HANDOFF = "com/salesforce/api/rest/62.0;client=handoff"


def event(change: str, *record_ids: str, origin: str = "", **fields: Any) -> Any:
    return parse_change_event(
        {
            "ChangeEventHeader": {
                "entityName": "Project_Milestone__c",
                "recordIds": list(record_ids or [MILESTONE]),
                "changeType": change,
                "changeOrigin": origin,
                "transactionKey": "t-1",
                "sequenceNumber": 1,
            },
            **fields,
        }
    )


def test_a_created_milestone_asks_for_its_projects_milestone_sync() -> None:
    routed = route_event(
        event("CREATE", Name="Design signed", Project__c=PROJECT),
        client_tag="handoff",
    )

    (message,) = routed.messages
    assert isinstance(message, MilestoneChanged)
    assert message.project_id == PROJECT
    assert message.rocketlane_project_id is None
    assert message.correlation_id == f"Project__c:{PROJECT}"


def test_an_updated_milestone_names_itself_for_its_project_to_be_reread() -> None:
    routed = route_event(
        event("UPDATE", MILESTONE, OTHER_MILESTONE, Name="Renamed"),
        client_tag="handoff",
    )

    assert [m.milestone_id for m in routed.messages] == [MILESTONE, OTHER_MILESTONE]
    assert all(isinstance(m, MilestoneChanged) for m in routed.messages)
    assert all(m.project_id is None for m in routed.messages)


@pytest.mark.parametrize(
    ("change", "origin", "reason"),
    [
        ("UPDATE", HANDOFF, "echo"),
        ("CREATE", HANDOFF, "echo"),
        ("DELETE", "", "deleted"),
        ("GAP_DELETE", "", "deleted"),
    ],
    ids=["Handoff's update", "Handoff's mirror", "a delete", "a gap delete"],
)
def test_echoes_and_deletes_of_milestones_produce_nothing(
    change: str, origin: str, reason: str
) -> None:
    routed = route_event(
        event(change, origin=origin, Project__c=PROJECT), client_tag="handoff"
    )

    assert routed.messages == ()
    assert routed.skipped is not None and reason in routed.skipped


def test_a_gap_update_is_followed_through_the_milestone() -> None:
    routed = route_event(event("GAP_UPDATE"), client_tag="handoff")

    (message,) = routed.messages
    assert isinstance(message, MilestoneChanged)
    assert message.milestone_id == MILESTONE


def test_a_milestone_message_must_name_some_project() -> None:
    with pytest.raises(MalformedMessage, match="one of rocketlane_project_id"):
        parse_message(MilestoneChanged, {"correlation_id": "HO-1"})


def test_a_webhook_era_milestone_message_still_parses() -> None:
    message = parse_message(
        MilestoneChanged,
        {"correlation_id": "HO-1", "rocketlane_project_id": 7, "event_id": "e"},
    )

    assert message.rocketlane_project_id == 7
    assert message.project_id is None and message.milestone_id is None
