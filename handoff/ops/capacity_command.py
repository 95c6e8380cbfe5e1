"""``handoff capacity``: soft and hard allocated hours by month per project.

Reads the resource allocations of every project Handoff maps to Rocketlane
(``GET /1.0/resource-allocations``, one project at a time) and sums them by
month with the domain's ``hours_by_month``. Soft hours are tentative
bookings against forecast projects; hard hours are firm.

A cancelled project's capacity is freed: its allocations no longer count in
this report, whatever Rocketlane still holds for it, because a cancelled
deal's soft bookings are exactly what resource managers need to release.
``--include-cancelled`` shows them anyway.

An upsell delivered as a phase shares its Rocketlane project with the deal
it extends; that project's hours are reported once, under the original.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import click

from handoff.domain.allocations import MonthlyHours, hours_by_month
from handoff.domain.models import ForecastState

__all__ = ["CapacityRow", "capacity", "capacity_report", "month_window"]

logger = logging.getLogger(__name__)

DEFAULT_MONTHS = 6
CANCELLED = str(ForecastState.CANCELLED)


@dataclass(frozen=True)
class CapacityRow:
    """One project's allocated hours in one month, with whose project it is."""

    correlation_key: str
    forecast_state: str | None
    hours: MonthlyHours


def month_window(start: str | None, end: str | None) -> tuple[date, date]:
    """First day of ``start`` to last day of ``end`` (``YYYY-MM``), inclusive.

    Defaults: this month, and the ``DEFAULT_MONTHS`` months from it.
    """
    first = _month(start) if start else date.today().replace(day=1)
    last_month = _month(end) if end else _add_months(first, DEFAULT_MONTHS - 1)
    last = _add_months(last_month, 1) - timedelta(days=1)
    if last < first:
        raise click.BadParameter("--to comes before --from")
    return first, last


def capacity_report(
    rocketlane: Any,
    mappings: Iterable[Any],
    window: tuple[date, date],
    *,
    include_cancelled: bool = False,
) -> list[CapacityRow]:
    """Hours by month for each mapped Rocketlane project in the window."""
    rows: list[CapacityRow] = []
    for mapping in mappings:
        project_id = mapping.rocketlane_project_id
        if project_id is None or getattr(mapping, "rocketlane_phase_id", None):
            continue
        if mapping.forecast_state == CANCELLED and not include_cancelled:
            logger.debug("Skipped cancelled project %r.", mapping.correlation_key)
            continue
        items = rocketlane.list_resource_allocations(
            project_id,
            start_date=window[0].isoformat(),
            end_date=window[1].isoformat(),
        )
        rows += [
            CapacityRow(mapping.correlation_key, mapping.forecast_state, hours)
            for hours in hours_by_month(items, window=window)
        ]
    return rows


def render(rows: Sequence[CapacityRow]) -> str:
    """The report as an aligned table, one line per project and month."""
    if not rows:
        return "No allocations in this window.\n"
    header = f"{'project':<10} {'key':<24} {'state':<11} {'month':<8} "
    header += f"{'soft h':>9} {'hard h':>9}"
    lines = [header]
    for row in rows:
        hours = row.hours
        lines.append(
            f"{hours.project_id:<10} {row.correlation_key:<24} "
            f"{row.forecast_state or '—':<11} {hours.month:<8} "
            f"{hours.soft:>9} {hours.hard:>9}"
        )
    return "\n".join(lines) + "\n"


def as_dicts(rows: Sequence[CapacityRow]) -> list[dict[str, Any]]:
    """The report as JSON-able rows."""
    return [
        {
            "rocketlane_project_id": row.hours.project_id,
            "correlation_key": row.correlation_key,
            "forecast_state": row.forecast_state,
            "month": row.hours.month,
            "soft_hours": float(row.hours.soft),
            "hard_hours": float(row.hours.hard),
        }
        for row in rows
    ]


@click.command()
@click.option("--from", "start", help="First month, YYYY-MM [this month].")
@click.option("--to", "end", help="Last month, YYYY-MM [five months on].")
@click.option("--include-cancelled", is_flag=True, help="Count cancelled projects.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
def capacity(
    start: str | None, end: str | None, include_cancelled: bool, as_json: bool
) -> None:
    """Soft and hard allocated hours by month per project, from Rocketlane."""
    from handoff.actors.bootstrap import build_rocketlane, open_store  # noqa: PLC0415
    from handoff.settings import load_settings  # noqa: PLC0415

    window = month_window(start, end)
    settings = load_settings()
    store = open_store(settings, migrate=True)
    try:
        rows = capacity_report(
            build_rocketlane(settings),
            _all_mappings(store),
            window,
            include_cancelled=include_cancelled,
        )
    finally:
        store.close()
    click.echo(json.dumps(as_dicts(rows), indent=2) if as_json else render(rows))


def _all_mappings(store: Any, page: int = 500) -> list[Any]:
    found: list[Any] = []
    while batch := store.list_mappings(limit=page, offset=len(found)):
        found += batch
    return found


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not YYYY-MM") from error


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)
