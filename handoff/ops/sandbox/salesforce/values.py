"""Field values on the wire: parsing what clients send, formatting replies.

Records are stored in their JSON form (dates ``YYYY-MM-DD``, datetimes
``2026-05-20T20:49:32.000+0000``, numbers as floats), so rendering a record
is a copy. ``coerce`` validates one incoming value against its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.ids import is_valid_id
from handoff.ops.sandbox.salesforce.schema import NUMERIC_TYPES, FieldSchema

__all__ = [
    "coerce",
    "format_cdc_datetime",
    "format_datetime",
    "parse_datetime",
    "sortable",
]


def format_datetime(moment: dt.datetime) -> str:
    """The REST form: ``2026-05-20T20:49:32.000+0000``."""
    moment = moment.astimezone(dt.UTC)
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    )


def format_cdc_datetime(value: str) -> str:
    """The change-event form: ``2026-05-20T20:49:32.000Z``."""
    return value.replace("+0000", "Z")


def parse_datetime(text: str) -> dt.datetime:
    """Read an ISO datetime with ``Z``, ``+0000`` or ``+00:00``; ValueError."""
    text = text.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def coerce(spec: FieldSchema, value: Any, sobject: str) -> Any:
    """The stored form of an incoming value; raises SalesforceError."""
    if value is None:
        return None
    if spec.type in NUMERIC_TYPES:
        return _number(spec, value)
    parser = _PARSERS.get(spec.type, _text)
    return parser(spec, value)


def _parse_error(spec: FieldSchema, value: Any, type_name: str) -> SalesforceError:
    return SalesforceError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from VALUE_STRING value "
        f"{value} or request may be missing a required field",
        [spec.name],
    )


def _number(spec: FieldSchema, value: Any) -> float | int:
    if isinstance(value, bool):
        raise _parse_error(spec, value, spec.type)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _parse_error(spec, value, spec.type) from None
    return int(number) if spec.type == "int" else number


def _boolean(spec: FieldSchema, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _parse_error(spec, value, "boolean")


def _date(spec: FieldSchema, value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise _parse_error(spec, value, "date") from None


def _datetime(spec: FieldSchema, value: Any) -> str:
    try:
        return format_datetime(parse_datetime(str(value)))
    except ValueError:
        raise _parse_error(spec, value, "datetime") from None


def _reference(spec: FieldSchema, value: Any) -> str:
    if not is_valid_id(value):
        raise SalesforceError(
            400,
            "MALFORMED_ID",
            f"{spec.label or spec.name}: id value of incorrect type: {value}",
            [spec.name],
        )
    return str(value)


def _text(spec: FieldSchema, value: Any) -> str:
    if isinstance(value, dict | list):
        raise _parse_error(spec, value, "string")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if spec.length and len(text) > spec.length:
        raise SalesforceError(
            400,
            "STRING_TOO_LONG",
            f"{spec.label or spec.name}: data value too large: {text[:40]} "
            f"(max length={spec.length})",
            [spec.name],
        )
    if spec.type == "picklist" and spec.restricted and text not in spec.picklist:
        raise SalesforceError(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{spec.label or spec.name}: bad value for restricted picklist field: "
            f"{text}",
            [spec.name],
        )
    return text


_PARSERS = {
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "reference": _reference,
    "id": _reference,
}


def sortable(spec: FieldSchema | None, value: Any) -> Any:
    """A value comparable with others of the same field, for WHERE and ORDER BY."""
    if value is None or spec is None:
        return value
    if spec.type == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    if spec.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if spec.type in ("string", "textarea", "picklist", "email", "url", "phone"):
        return str(value).lower()
    return value
