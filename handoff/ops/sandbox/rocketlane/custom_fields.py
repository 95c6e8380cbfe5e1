"""Custom fields (``/fields``): definitions, options, values on records."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import bad_request
from .store import WorkspaceState, stored_or_404
from .values import Record, as_int, choice, field_value, text, truthy

__all__ = ["FIELD_TYPES", "OPTION_COLORS", "CustomFields"]

FIELD_TYPES = (
    "TEXT",
    "MULTI_LINE_TEXT",
    "YES_OR_NO",
    "DATE",
    "SINGLE_CHOICE",
    "MULTIPLE_CHOICE",
    "SINGLE_USER",
    "MULTIPLE_USER",
    "NUMBER",
    "NOTE",
    "RATING",
)
OPTION_COLORS = (
    "RED",
    "YELLOW",
    "GREEN",
    "TEAL",
    "CYAN",
    "BLUE",
    "PURPLE",
    "MAGENTA",
    "GRAY",
    "COOL_GRAY",
)
OBJECT_TYPES = ("PROJECT", "TASK", "USER")


class CustomFields(WorkspaceState):
    """Custom field definitions and the values records carry."""

    def create_field(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /fields."""
        with self.lock:
            record = self._new_field(body, actor)
            for option in body.get("fieldOptions") or ():
                self._new_option(record, option)
            self.fields[record["fieldId"]] = record
            return copy.deepcopy(record)

    def _new_field(self, body: Mapping[str, Any], actor: Record) -> Record:
        label = text(body.get("fieldLabel"))
        if not label:
            raise bad_request("Field label is missing", "fieldLabel")
        record: Record = {
            "fieldId": self.next_id(),
            "fieldLabel": label,
            "fieldType": choice(body.get("fieldType"), FIELD_TYPES, "fieldType"),
            "objectType": choice(body.get("objectType"), OBJECT_TYPES, "objectType"),
            "enabled": body.get("enabled", True) is not False,
            "private": truthy(body.get("private")),
            **self._stamps(actor),
            "fieldOptions": [],
        }
        for key in ("fieldDescription", "ratingScale"):
            if body.get(key):
                record[key] = str(body[key])
        return record

    def get_field(self, field_id: int) -> Record:
        """The stored custom field, or 404."""
        return stored_or_404(self.fields, field_id)

    def update_field(
        self, field_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /fields/{id}: label, description, enabled, private."""
        with self.lock:
            record = self.get_field(field_id)
            for key in ("fieldLabel", "fieldDescription"):
                if body.get(key):
                    record[key] = str(body[key])
            for key in ("enabled", "private"):
                if key in body:
                    record[key] = truthy(body[key])
            self._touch(record, actor)
            return copy.deepcopy(record)

    def delete_field(self, field_id: int) -> None:
        """DELETE /fields/{id}."""
        with self.lock:
            self.get_field(field_id)
            del self.fields[field_id]

    def add_option(self, field_id: int, body: Mapping[str, Any]) -> Record:
        """POST /fields/{id}/add-option: the new option, numbered in order."""
        with self.lock:
            return dict(self._new_option(self.get_field(field_id), body))

    def _new_option(self, record: Record, body: Mapping[str, Any]) -> Record:
        label = text(body.get("optionLabel"))
        if not label:
            raise bad_request("Option label is missing", "optionLabel")
        option = {
            "optionValue": len(record["fieldOptions"]) + 1,
            "optionLabel": label,
            "optionColor": choice(
                body.get("optionColor"), OPTION_COLORS, "optionColor"
            ),
        }
        record["fieldOptions"].append(option)
        return option

    def _field_values(
        self, values: Any, current: list[Record], object_type: str
    ) -> list[Record]:
        """``current`` with the sent ``{fieldId, fieldValue}`` merged in."""
        merged = {entry["fieldId"]: entry for entry in current}
        for value in values or ():
            record = self.fields.get(as_int(value.get("fieldId"), "fields"))
            if record is None or record["objectType"] != object_type:
                raise bad_request("Invalid field specified", "fields")
            merged[record["fieldId"]] = field_value(record, value.get("fieldValue"))
        return list(merged.values())
