"""Field deltas: what update-delta pushes to Rocketlane, and in what shape."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from handoff.domain.delta import rocketlane_changes, shift_dates, to_rocketlane_body
from handoff.domain.policy import (
    DEFAULT_POLICY,
    FieldMapping,
    MappedField,
    RocketlaneRules,
)

MAPPING = DEFAULT_POLICY.mapping

PUSHED = {
    "Name": "Acme – IMPL – EMEA",
    "Start_Date__c": "2025-04-01",
    "Due_Date__c": "2025-06-30",
    "Project_Owner__c": "owner@example.com",
    "Forecast_Status__c": "Reserved",
    "Budget_Hours__c": 120,
}


def test_nothing_changed_means_nothing_to_push() -> None:
    current = {**PUSHED, "Budget_Hours__c": "120.00", "Start_Date__c": date(2025, 4, 1)}

    assert rocketlane_changes(current, PUSHED, MAPPING) == {}


@pytest.mark.parametrize(
    ("sf_field", "value", "rl_field"),
    [
        pytest.param("Name", "Acme – Renamed", "projectName", id="name"),
        pytest.param("Start_Date__c", date(2025, 5, 1), "startDate", id="start"),
        pytest.param("Due_Date__c", date(2025, 7, 31), "dueDate", id="due"),
        pytest.param("Project_Owner__c", "new@example.com", "owner", id="owner"),
        pytest.param("Forecast_Status__c", "Booked", "status", id="status"),
        pytest.param("Budget_Hours__c", Decimal("150.5"), "budgetedHours", id="hours"),
    ],
)
def test_each_changed_field_is_pushed_alone(
    sf_field: str, value: Any, rl_field: str
) -> None:
    current = {**PUSHED, sf_field: value}

    assert rocketlane_changes(current, PUSHED, MAPPING) == {rl_field: value}


def test_a_field_never_pushed_is_pushed() -> None:
    assert rocketlane_changes({"Name": "Acme"}, {}, MAPPING) == {"projectName": "Acme"}


def test_a_field_not_read_is_left_alone() -> None:
    assert rocketlane_changes({}, PUSHED, MAPPING) == {}


def test_a_rocketlane_owned_field_is_never_pushed() -> None:
    mapping = FieldMapping(
        fields=(
            MappedField(salesforce="Name", rocketlane="projectName"),
            MappedField(
                salesforce="Due_Date__c", rocketlane="dueDate", owner="rocketlane"
            ),
        )
    )
    current = {"Name": "New", "Due_Date__c": date(2030, 1, 1)}

    assert rocketlane_changes(current, {}, mapping) == {"projectName": "New"}
    assert to_rocketlane_body({"dueDate": date(2030, 1, 1)}, mapping) == {}


def test_the_body_has_rocketlanes_shapes() -> None:
    values = {
        "projectName": "Acme",
        "startDate": date(2025, 4, 1),
        "dueDate": datetime(2025, 6, 30, 12, 0),
        "owner": "owner@example.com",
        "status": "Booked",
        "budgetedHours": Decimal("120.456"),
    }

    assert to_rocketlane_body(values, MAPPING) == {
        "projectName": "Acme",
        "startDate": "2025-04-01",
        "dueDate": "2025-06-30",
        "owner": {"emailId": "owner@example.com"},
        "status": {"value": 2},
        "budgetedHours": 120.46,
    }


@pytest.mark.parametrize(
    ("status", "value"),
    [
        pytest.param("Forecasted", 5, id="forecasted-proposed"),
        pytest.param("Reserved", 5, id="reserved-proposed"),
        pytest.param("Booked", 2, id="booked-active"),
        pytest.param("Cancelled", 8, id="cancelled"),
        pytest.param(6, 6, id="a-raw-status-value"),
    ],
)
def test_the_status_goes_through_the_status_mapping(status: object, value: int) -> None:
    assert to_rocketlane_body({"status": status}, MAPPING) == {
        "status": {"value": value}
    }


def test_a_configured_status_mapping_is_honoured() -> None:
    rules = RocketlaneRules(active_status=10)

    assert to_rocketlane_body({"status": "Booked"}, MAPPING, rules=rules) == {
        "status": {"value": 10}
    }


def test_a_blank_owner_or_status_is_not_sent() -> None:
    assert to_rocketlane_body({"owner": None, "status": ""}, MAPPING) == {}


def test_custom_fields_go_into_the_fields_list() -> None:
    mapping = FieldMapping(
        fields=(
            MappedField(salesforce="Region__c", rocketlane="field:101"),
            MappedField(salesforce="Amount__c", rocketlane="field:102"),
        )
    )
    changes = rocketlane_changes(
        {"Region__c": "EMEA", "Amount__c": Decimal(5)}, {}, mapping
    )

    assert to_rocketlane_body(changes, mapping) == {
        "fields": [
            {"fieldId": 101, "fieldValue": "EMEA"},
            {"fieldId": 102, "fieldValue": 5.0},
        ]
    }


@pytest.mark.parametrize(
    ("new_close", "start", "due"),
    [
        pytest.param(
            date(2025, 4, 10), date(2025, 4, 11), date(2025, 7, 10), id="slips-9-days"
        ),
        pytest.param(
            date(2025, 3, 22), date(2025, 3, 23), date(2025, 6, 21), id="pulled-in-9"
        ),
        pytest.param(
            date(2025, 4, 1), date(2025, 4, 2), date(2025, 7, 1), id="unchanged"
        ),
    ],
)
def test_a_moving_close_date_shifts_the_project_keeping_its_length(
    new_close: date, start: date, due: date
) -> None:
    shifted = shift_dates(
        date(2025, 4, 2),
        date(2025, 7, 1),
        old_close=date(2025, 4, 1),
        new_close=new_close,
    )

    assert shifted == (start, due)
    assert (due - start) == (date(2025, 7, 1) - date(2025, 4, 2))


def test_a_missing_date_stays_missing_when_shifted() -> None:
    assert shift_dates(
        None, date(2025, 1, 10), old_close=date(2025, 1, 1), new_close=date(2025, 1, 2)
    ) == (None, date(2025, 1, 11))
