"""Field values compared as Salesforce stores them, for frugal write-backs.

Salesforce returns ``10`` for a number written as ``10.00``, JSON carries
floats, and a policy file may say ``"10"``: all three are the same value. A
write-back that only sends what changed must compare them as equal, or every
sync re-writes every field and spends API calls for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["changed_values", "json_ready", "money", "normalise", "same_value"]

_CENT = Decimal("0.01")


def changed_values(
    new: Mapping[str, Any], last_written: Mapping[str, Any]
) -> dict[str, Any]:
    """The values of ``new`` that differ from those last written.

    A field never written before counts as changed.
    """
    return {
        name: value
        for name, value in new.items()
        if name not in last_written or not same_value(value, last_written[name])
    }


def money(value: Decimal) -> Decimal:
    """An amount rounded to cents, half up."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def same_value(left: object, right: object) -> bool:
    """Whether two field values are the same once normalised."""
    return normalise(left) == normalise(right)


def normalise(value: object) -> object:
    """A comparable form: numbers as Decimal, dates as ISO text, text trimmed.

    Booleans are kept apart from numbers, since ``True == 1`` in Python.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return ("checkbox", value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return _text(value)
    return value


def json_ready(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values with Decimal as float and dates as ISO text, for a JSON body."""
    return {name: _json_value(value) for name, value in values.items()}


def _number(value: int | float | Decimal) -> Decimal | float:
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return number if number.is_finite() else float(number)


def _text(value: str) -> object:
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return number if number.is_finite() else text


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
