"""Request values read the way Rocketlane reads them, and record briefs.

Every reader raises the API's 400 (``bad_request``) naming the offending
field; the briefs are the small nested references responses carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from .catalog import CURRENCIES, Status
from .errors import bad_request

__all__ = [
    "Record",
    "as_float",
    "as_int",
    "choice",
    "company_brief",
    "currency",
    "day",
    "field_value",
    "minutes",
    "placeholder_ref",
    "project_brief",
    "project_of",
    "required_day",
    "status",
    "text",
    "truthy",
]

Record = dict[str, Any]
MINUTES_PER_DAY = 1440


# -- readers -------------------------------------------------------------------


def text(value: Any) -> str:
    """A string stripped of blanks; anything else reads as empty."""
    return value.strip() if isinstance(value, str) else ""


def truthy(value: Any) -> bool:
    """A boolean; strings are true only as "true", in any case."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def as_int(value: Any, field: str = "id") -> int:
    """An integer, or 400 on ``field``."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid {field} specified", field) from exc


def as_float(value: Any, field: str) -> float:
    """A number, or 400 on ``field``."""
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid {field} specified", field) from exc


def day(value: Any, field: str) -> date:
    """A ``YYYY-MM-DD`` date, or 400 on ``field``."""
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise bad_request(f"Invalid {field} specified", field) from exc


def required_day(value: Any, label: str) -> str:
    """A date that must be sent, as ISO text; ``label`` names it in errors."""
    if not value:
        raise bad_request(f"{label} is missing", label.lower())
    return day(value, label.lower()).isoformat()


def minutes(value: Any) -> int:
    """Minutes of one time entry: sent, and 1 to 1440."""
    if value is None:
        raise bad_request("Minutes is missing", "minutes")
    count = as_int(value, "minutes")
    if count < 0:
        raise bad_request("Minutes is negative", "minutes")
    if not 1 <= count <= MINUTES_PER_DAY:
        raise bad_request("Minutes should be between 1 and 1440", "minutes")
    return count


def choice(value: Any, allowed: tuple[str, ...] | list[str], field: str) -> str:
    """One of ``allowed``, or 400 on ``field``."""
    chosen = str(value) if value is not None else ""
    if chosen not in allowed:
        raise bad_request(f"Invalid {field} specified", field)
    return chosen


def status(ref: Any, statuses: Mapping[int, Status], default: int) -> Status:
    """The status ``{value}`` names; ``default`` when none was sent."""
    if ref is None:
        return statuses[default]
    value = ref.get("value") if isinstance(ref, Mapping) else None
    try:
        return statuses[int(value)]  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request("Invalid status value specified", "status") from exc


def currency(code: Any) -> Record:
    """The ``{currencyCode, currencyName, currencySymbol}`` of a code."""
    upper = str(code).upper()
    if upper not in CURRENCIES:
        raise bad_request("Invalid currency specified", "currency")
    name, symbol = CURRENCIES[upper]
    return {"currencyCode": upper, "currencyName": name, "currencySymbol": symbol}


# -- briefs ----------------------------------------------------------------------


def project_of(record: Mapping[str, Any]) -> int | None:
    """The ID of the project a record belongs to, if any."""
    return (record.get("project") or {}).get("projectId")


def project_brief(project: Mapping[str, Any]) -> Record:
    """``{projectId, projectName}``."""
    return {"projectId": project["projectId"], "projectName": project["projectName"]}


def company_brief(company: Mapping[str, Any]) -> Record:
    """``{companyId, companyName}``."""
    return {"companyId": company["companyId"], "companyName": company["companyName"]}


def placeholder_ref(placeholder: Mapping[str, Any]) -> Record:
    """``{placeholderId, placeholderName, role}``."""
    return {
        "placeholderId": placeholder["placeholderId"],
        "placeholderName": placeholder["placeholderName"],
        "role": placeholder["role"],
    }


def field_value(field: Mapping[str, Any], value: Any) -> Record:
    """A custom field's value on a record, with its option labels."""
    label = value
    options = {
        o["optionValue"]: o["optionLabel"] for o in field.get("fieldOptions", ())
    }
    if options and isinstance(value, int):
        label = options.get(value, value)
    if options and isinstance(value, list):
        label = ", ".join(str(options.get(v, v)) for v in value)
    return {
        "fieldId": field["fieldId"],
        "fieldLabel": field["fieldLabel"],
        "fieldValue": value,
        "fieldValueLabel": str(label),
    }
