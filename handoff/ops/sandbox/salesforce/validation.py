"""Validation rules: loaded from SFDX source or the admin API, enforced on writes.

A rule is compiled against the org's catalog when it is added, so an
unknown field or function, a malformed formula or a non-Boolean result is
refused then, with the rule's name, and never surfaces at write time.

``ValidationRules.check`` runs after the platform's own checks (required
fields, picklists, references). Like the platform it evaluates every active
rule of the object and reports each one whose error condition is TRUE, as
``FIELD_CUSTOM_VALIDATION_EXCEPTION`` with the rule's message and its error
display field (``fields: []`` for a rule shown at the top of the page).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.formula import (
    BOOLEAN,
    Formula,
    FormulaError,
    Scope,
    compile_formula,
)
from handoff.ops.sandbox.salesforce.schema import Catalog, ObjectSchema

__all__ = [
    "RulesViolated",
    "ValidationRule",
    "ValidationRuleError",
    "ValidationRules",
]

logger = logging.getLogger(__name__)

Record = dict[str, Any]
ERROR_CODE = "FIELD_CUSTOM_VALIDATION_EXCEPTION"


class ValidationRuleError(ValueError):
    """A rule that cannot be loaded; the message names the rule and why."""


@dataclass(frozen=True)
class ValidationRule:
    """One validation rule as SFDX source and the admin API describe it.

    ``formula`` is the error condition: the write is refused when it is
    TRUE. ``field`` is the error display field, None for the page top.
    """

    object: str
    name: str
    formula: str
    message: str
    field: str | None = None
    active: bool = True

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> ValidationRule:
        """Read the admin API's JSON form; ValidationRuleError if incomplete."""
        missing = [
            k for k in ("object", "name", "formula", "message") if not body.get(k)
        ]
        if missing:
            raise ValidationRuleError(f"missing {', '.join(missing)}")
        active = body.get("active", True)
        if not isinstance(active, bool):
            raise ValidationRuleError("active must be true or false")
        return cls(
            object=str(body["object"]),
            name=str(body["name"]),
            formula=str(body["formula"]),
            message=str(body["message"]),
            field=str(body["field"]) if body.get("field") else None,
            active=active,
        )

    def to_dict(self) -> dict[str, Any]:
        """The admin API's JSON form."""
        return asdict(self)

    @property
    def label(self) -> str:
        """``Object.Name``, as errors about the rule name it."""
        return f"{self.object}.{self.name}"


class RulesViolated(SalesforceError):
    """One or more rules fired: 400 with one error entry per rule."""

    def __init__(self, fired: list[ValidationRule]) -> None:
        first = fired[0]
        super().__init__(400, ERROR_CODE, first.message, _fields(first))
        self.fired = fired

    def rest_body(self) -> list[dict[str, Any]]:
        """``[{"message","errorCode","fields"}]``, one entry per rule."""
        return [
            {"message": r.message, "errorCode": ERROR_CODE, "fields": _fields(r)}
            for r in self.fired
        ]

    def row_errors(self) -> list[dict[str, Any]]:
        """The sObject Collections form, ``statusCode`` instead of errorCode."""
        return [
            {"statusCode": ERROR_CODE, "message": r.message, "fields": _fields(r)}
            for r in self.fired
        ]


def _fields(rule: ValidationRule) -> list[str]:
    return [rule.field] if rule.field else []


@dataclass(frozen=True)
class _Compiled:
    rule: ValidationRule
    formula: Formula


class ValidationRules:
    """The org's rules by object, each compiled against the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._rules: dict[str, dict[str, _Compiled]] = {}

    def add(self, rule: ValidationRule) -> ValidationRule:
        """Compile and add (or replace) a rule; ValidationRuleError if bad.

        The stored rule carries the object's and field's canonical names.
        """
        schema = self.catalog.get(rule.object)
        if schema is None:
            raise ValidationRuleError(f"{rule.label}: no object {rule.object!r}")
        rule = _canonical(rule, schema)
        formula = _compile(rule, schema, self.catalog)
        by_name = self._rules.setdefault(schema.name.lower(), {})
        by_name[rule.name.lower()] = _Compiled(rule, formula)
        logger.debug("Loaded validation rule %r.", rule.label)
        return rule

    def remove(self, sobject: str | None = None, name: str | None = None) -> int:
        """Drop one rule, every rule of an object, or all; returns how many."""
        if sobject is None:
            count = sum(len(rules) for rules in self._rules.values())
            self._rules.clear()
            return count
        rules = self._rules.get(sobject.lower(), {})
        if name is None:
            count = len(rules)
            rules.clear()
            return count
        return 1 if rules.pop(name.lower(), None) is not None else 0

    def rules(self, sobject: str | None = None) -> list[ValidationRule]:
        """Every rule, or those of one object, in the order they were added."""
        groups = (
            [self._rules.get(sobject.lower(), {})] if sobject else self._rules.values()
        )
        return [c.rule for group in groups for c in group.values()]

    def check(
        self,
        schema: ObjectSchema,
        record: Record,
        prior: Record | None,
        *,
        lookup: Callable[[str], Record | None],
        now: dt.datetime,
    ) -> None:
        """Raise RulesViolated if any active rule's error condition is TRUE."""
        scope = Scope(record=record, prior=prior, lookup=lookup, now=now)
        fired = [
            compiled.rule
            for compiled in self._rules.get(schema.name.lower(), {}).values()
            if compiled.rule.active and compiled.formula.evaluate(scope) is True
        ]
        if fired:
            logger.info(
                "Validation rules %s refused a write to %r.",
                [rule.name for rule in fired],
                record.get("Id"),
            )
            raise RulesViolated(fired)

    def extend(self, rules: Iterable[ValidationRule]) -> None:
        """Add several rules; the first bad one raises ValidationRuleError."""
        for rule in rules:
            self.add(rule)


def _canonical(rule: ValidationRule, schema: ObjectSchema) -> ValidationRule:
    field_name = rule.field
    if field_name is not None:
        spec = schema.field(field_name)
        if spec is None:
            raise ValidationRuleError(
                f"{rule.label}: error display field {field_name!r} does not exist"
            )
        field_name = spec.name
    return ValidationRule(
        object=schema.name,
        name=rule.name,
        formula=rule.formula,
        message=rule.message,
        field=field_name,
        active=rule.active,
    )


def _compile(rule: ValidationRule, schema: ObjectSchema, catalog: Catalog) -> Formula:
    try:
        formula = compile_formula(rule.formula, schema, catalog)
    except FormulaError as exc:
        raise ValidationRuleError(f"{rule.label}: {exc}") from exc
    if formula.type != BOOLEAN:
        raise ValidationRuleError(
            f"{rule.label}: Formula result is data type ({formula.type}), "
            "incompatible with expected data type (true or false)."
        )
    return formula
