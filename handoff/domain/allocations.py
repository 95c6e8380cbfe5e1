"""Capacity: Rocketlane resource allocations as hours by month per project.

Each allocation item (``GET /1.0/resource-allocations``) books a person or a
placeholder for some hours a day between two dates, softly (tentative) or
hard. Only working days (Monday to Friday) count; the split between SOFT and
HARD shows how much of a forecast has firmed up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .values import money

__all__ = ["MonthlyHours", "hours_by_month", "working_days_by_month"]

_SATURDAY = 5


@dataclass(frozen=True, kw_only=True)
class MonthlyHours:
    """The hours allocated to one project in one month (``YYYY-MM``)."""

    project_id: str
    month: str
    soft: Decimal = Decimal("0.00")
    hard: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        """Soft and hard hours together."""
        return self.soft + self.hard


def hours_by_month(
    items: Iterable[Mapping[str, Any]], *, window: tuple[date, date] | None = None
) -> list[MonthlyHours]:
    """Allocated hours per project and month, split SOFT/HARD, sorted.

    ``window`` (inclusive) clips the allocations to the period asked for.
    Items without a project or a daily rate are left out.
    """
    totals: dict[tuple[str, str, str], Decimal] = {}
    for item in items:
        for (project, month, kind), hours in _item_hours(item, window).items():
            totals[project, month, kind] = (
                totals.get((project, month, kind), Decimal(0)) + hours
            )

    cells = {(project, month) for project, month, _ in totals}
    return [
        MonthlyHours(
            project_id=project,
            month=month,
            soft=money(totals.get((project, month, "SOFT"), Decimal(0))),
            hard=money(totals.get((project, month, "HARD"), Decimal(0))),
        )
        for project, month in sorted(cells)
    ]


def working_days_by_month(start: date, end: date) -> Counter[str]:
    """Monday-to-Friday days from start to end (inclusive), by ``YYYY-MM``."""
    days: Counter[str] = Counter()
    day = start
    while day <= end:
        if day.weekday() < _SATURDAY:
            days[day.strftime("%Y-%m")] += 1
        day += timedelta(days=1)
    return days


def _item_hours(
    item: Mapping[str, Any], window: tuple[date, date] | None
) -> dict[tuple[str, str, str], Decimal]:
    project = (item.get("project") or {}).get("projectId")
    per_day = _hours_per_day(item)
    if project is None or per_day is None or not item.get("startDate"):
        return {}

    start = date.fromisoformat(str(item["startDate"])[:10])
    end = date.fromisoformat(str(item.get("endDate") or item["startDate"])[:10])
    if window is not None:
        start, end = max(start, window[0]), min(end, window[1])
    kind = "HARD" if str(item.get("allocationType")).upper() == "HARD" else "SOFT"
    return {
        (str(project), month, kind): per_day * days
        for month, days in working_days_by_month(start, end).items()
    }


def _hours_per_day(item: Mapping[str, Any]) -> Decimal | None:
    for name, per_hour in (
        ("hoursPerDay", 1),
        ("minutesPerDay", 60),
        ("secondsPerDay", 3600),
    ):
        if item.get(name) is not None:
            return Decimal(str(item[name])) / per_hour
    return None
