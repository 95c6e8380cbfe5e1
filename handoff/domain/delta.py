"""Field deltas: push to Rocketlane only what Salesforce changed.

Each mapped field has one owner (DESIGN principle 4). A Salesforce-owned field
is pushed when its Project__c value differs from the value last pushed; a
Rocketlane-owned one is never pushed, whatever Salesforce says. Rocketlane's
PUT is a partial update, so the delta is the whole body.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .forecast import rocketlane_status
from .models import ForecastState
from .policy import FieldMapping, MappedField, RocketlaneRules
from .values import same_value

__all__ = [
    "CUSTOM_FIELD_PREFIX",
    "rocketlane_changes",
    "shift_dates",
    "to_rocketlane_body",
]

CUSTOM_FIELD_PREFIX = "field:"
_DATE_FIELDS = frozenset({"startDate", "dueDate"})
_ABSENT = object()
_STATES = frozenset(ForecastState)


def rocketlane_changes(
    current: Mapping[str, Any], last_pushed: Mapping[str, Any], mapping: FieldMapping
) -> dict[str, Any]:
    """Rocketlane field → new value, for Salesforce-owned fields that changed.

    ``current`` and ``last_pushed`` are keyed by Project__c field name; a
    field missing from ``current`` was not read and is left alone, one
    missing from ``last_pushed`` was never pushed and counts as changed.
    """
    return {
        field.rocketlane: current[field.salesforce]
        for field in _pushed(mapping)
        if field.salesforce in current
        and not same_value(
            current[field.salesforce], last_pushed.get(field.salesforce, _ABSENT)
        )
    }


def to_rocketlane_body(
    values: Mapping[str, Any],
    mapping: FieldMapping,
    *,
    rules: RocketlaneRules | None = None,
) -> dict[str, Any]:
    """The PUT /projects body for these values, keyed by Rocketlane field.

    Dates become ``YYYY-MM-DD``, the owner ``{"emailId": …}``, the status
    ``{"value": int}`` (a forecast state goes through the status mapping),
    ``field:<id>`` entries the ``fields`` list. Fields that are not mapped as
    Salesforce-owned are left out, and so is an owner or status that is blank.
    """
    rules = rules or RocketlaneRules()
    allowed = {field.rocketlane for field in _pushed(mapping)}
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name in allowed:
            _put(body, name, value, rules)
    return body


def shift_dates(
    start: date | None, due: date | None, *, old_close: date, new_close: date
) -> tuple[date | None, date | None]:
    """Start and due moved by as much as the close date moved, keeping duration."""
    delta = new_close - old_close
    return _moved(start, delta), _moved(due, delta)


def _pushed(mapping: FieldMapping) -> tuple[MappedField, ...]:
    return tuple(field for field in mapping.fields if field.owner == "salesforce")


def _moved(day: date | None, delta: timedelta) -> date | None:
    return None if day is None else day + delta


def _put(body: dict[str, Any], name: str, value: Any, rules: RocketlaneRules) -> None:
    if name.startswith(CUSTOM_FIELD_PREFIX):
        field_id = int(name.removeprefix(CUSTOM_FIELD_PREFIX))
        body.setdefault("fields", []).append(
            {"fieldId": field_id, "fieldValue": _plain(value)}
        )
    elif name == "owner":
        if value:
            body["owner"] = {"emailId": str(value)}
    elif name == "status":
        if value is not None and value != "":
            body["status"] = {"value": _status(value, rules)}
    else:
        body[name] = _iso_day(value) if name in _DATE_FIELDS else _plain(value)


def _status(value: Any, rules: RocketlaneRules) -> int:
    if value in _STATES:
        return rocketlane_status(ForecastState(value), rules)
    return int(value)


def _iso_day(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)[:10]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(round(value, 2))
    if isinstance(value, date):
        return _iso_day(value)
    return value
