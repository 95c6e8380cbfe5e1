"""Change events: both accepted shapes, and clear errors for anything else."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.adapters.cdc import InvalidChangeEvent, parse_change_event

OPPORTUNITY = "006000000000001AAA"


def header(**overrides: Any) -> dict[str, Any]:
    return {
        "entityName": "Opportunity",
        "recordIds": [OPPORTUNITY],
        "changeType": "UPDATE",
        "changeOrigin": "com/salesforce/api/rest/62.0;client=handoff",
        "transactionKey": "0005349f-124e-0df1-3a25-f551ab84d237",
        "sequenceNumber": 1,
        "commitTimestamp": 1672428268000,
        "changedFields": ["StageName", "LastModifiedDate"],
        **overrides,
    }


def test_the_cometd_shape_is_read() -> None:
    raw = {
        "channel": "/data/OpportunityChangeEvent",
        "data": {
            "schema": "s",
            "payload": {"ChangeEventHeader": header(), "StageName": "Closed Won"},
            "event": {"replayId": 42},
        },
    }

    event = parse_change_event(raw)

    assert event.header.entity_name == "Opportunity"
    assert event.fields == {"StageName": "Closed Won"}
    assert event.replay_id == 42
    assert event.header.client_tag == "handoff"


def test_the_decoded_pubsub_shape_is_read() -> None:
    event = parse_change_event(
        {"ChangeEventHeader": header(changeOrigin=""), "Amount": 10}
    )

    assert event.header.client_tag is None
    assert event.event_id == "0005349f-124e-0df1-3a25-f551ab84d237:1"


def test_a_gap_event_carries_no_fields_and_says_so() -> None:
    event = parse_change_event({"ChangeEventHeader": header(changeType="GAP_UPDATE")})

    assert event.header.is_gap
    assert event.fields == {}


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        pytest.param([], "JSON object, not an array", id="array"),
        pytest.param({"Amount": 1}, "missing ChangeEventHeader", id="no-header"),
        pytest.param({"data": {"payload": 3}}, "data.payload", id="bad-payload"),
        pytest.param(
            {"ChangeEventHeader": header(changeType="RENAME")},
            "changeType",
            id="unknown-change",
        ),
        pytest.param(
            {"ChangeEventHeader": header(recordIds=[])},
            "recordIds is empty",
            id="no-records",
        ),
        pytest.param(
            {"ChangeEventHeader": header(recordIds=["42"])},
            "not a Salesforce ID",
            id="bad-id",
        ),
        pytest.param(
            {"ChangeEventHeader": {"recordIds": [OPPORTUNITY], "changeType": "UPDATE"}},
            "entityName",
            id="no-entity",
        ),
    ],
)
def test_malformed_events_are_refused_with_the_reason(raw: Any, complaint: str) -> None:
    with pytest.raises(InvalidChangeEvent, match=complaint):
        parse_change_event(raw)
