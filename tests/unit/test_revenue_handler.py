"""Health from Rocketlane's status posts, in the shape Rocketlane sends them."""

from __future__ import annotations

from datetime import date

import pytest

from handoff.domain.policy import DEFAULT_POLICY
from handoff.domain.revenue import project_signals


def update(status: dict[str, object]) -> dict[str, object]:
    return {
        "projectUpdateId": 1,
        "title": "Kickoff slipped",
        "publishedAt": 1_700_000_000_000,
        "status": status,
    }


@pytest.mark.parametrize(
    ("status", "health"),
    [
        pytest.param(
            {"statusId": 4, "statusValue": "At Risk"}, "At Risk", id="live-id-and-label"
        ),
        pytest.param({"statusId": 1}, "On Track", id="id-only"),
        pytest.param({"statusValue": "3"}, "Running Late", id="number-as-value"),
    ],
)
def test_a_status_post_sets_the_health(status: dict[str, object], health: str) -> None:
    values = project_signals(
        {}, [], DEFAULT_POLICY, date(2026, 1, 5), updates=[update(status)]
    )

    assert values["Health__c"] == health


def test_a_status_post_without_a_number_leaves_health_to_the_project() -> None:
    values = project_signals(
        {"inferredProgress": "RUNNING_LATE"},
        [],
        DEFAULT_POLICY,
        date(2026, 1, 5),
        updates=[update({"statusValue": "At Risk"})],
    )

    assert values["Health__c"] == "Running Late"
