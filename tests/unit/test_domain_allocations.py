"""Soft and hard allocations as hours by month per project."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from handoff.domain.allocations import (
    MonthlyHours,
    hours_by_month,
    working_days_by_month,
)


def _item(
    start: str, end: str, kind: str = "SOFT", project: int = 77, **rate: Any
) -> dict:
    return {
        "startDate": start,
        "endDate": end,
        "allocationType": kind,
        "allocationFor": "PLACEHOLDER",
        "project": {"projectId": project, "projectName": "Acme"},
        **(rate or {"hoursPerDay": 8}),
    }


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        pytest.param(
            date(2025, 6, 2), date(2025, 6, 6), {"2025-06": 5}, id="mon-to-fri"
        ),
        pytest.param(date(2025, 6, 7), date(2025, 6, 8), {}, id="weekend-only"),
        pytest.param(
            date(2025, 5, 29),
            date(2025, 6, 3),
            {"2025-05": 2, "2025-06": 2},
            id="across-months",
        ),
        pytest.param(date(2025, 6, 3), date(2025, 6, 3), {"2025-06": 1}, id="one-day"),
        pytest.param(date(2025, 6, 4), date(2025, 6, 3), {}, id="end-before-start"),
    ],
)
def test_working_days_are_counted_by_month(start: date, end: date, days: dict) -> None:
    assert dict(working_days_by_month(start, end)) == days


def test_soft_and_hard_hours_are_split_by_month() -> None:
    items = [
        _item("2025-05-26", "2025-06-06", "SOFT"),
        _item("2025-06-02", "2025-06-03", "HARD", minutesPerDay=240),
    ]

    assert hours_by_month(items) == [
        MonthlyHours(project_id="77", month="2025-05", soft=Decimal("40.00")),
        MonthlyHours(
            project_id="77",
            month="2025-06",
            soft=Decimal("40.00"),
            hard=Decimal("8.00"),
        ),
    ]


def test_projects_are_kept_apart_and_sorted() -> None:
    items = [
        _item("2025-06-02", "2025-06-02", project=9),
        _item("2025-06-02", "2025-06-02"),
    ]

    assert [row.project_id for row in hours_by_month(items)] == ["77", "9"]


def test_the_window_clips_allocations() -> None:
    items = [_item("2025-05-01", "2025-07-31", "HARD", secondsPerDay=3600)]

    [june] = hours_by_month(items, window=(date(2025, 6, 1), date(2025, 6, 30)))

    assert (june.month, june.hard, june.total) == (
        "2025-06",
        Decimal("21.00"),
        Decimal("21.00"),
    )


def test_items_without_project_or_rate_are_ignored() -> None:
    no_project = {**_item("2025-06-02", "2025-06-02"), "project": None}
    no_rate = {
        key: value
        for key, value in _item("2025-06-02", "2025-06-02").items()
        if key != "hoursPerDay"
    }

    assert hours_by_month([no_project, no_rate]) == []
