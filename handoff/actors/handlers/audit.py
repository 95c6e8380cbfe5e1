"""Recording every write to either system in the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from opentelemetry import trace

from handoff.adapters.telemetry import current_trace_id

from ..runtime import Runtime

__all__ = ["audited_error", "audited_ok"]

SPAN_RECORD_TYPES = {"Project__c": "project_id", "project": "project_id"}
System = Literal["salesforce", "rocketlane"]
Outcome = Literal["ok", "error"]
_ENTRY_FIELDS = (
    "system",
    "operation",
    "record_type",
    "record_id",
    "correlation_key",
    "actor",
    "reason",
    "error",
)


def audited_ok(
    rt: Runtime,
    *,
    system: System,
    operation: str,
    record_type: str,
    record_id: str | None,
    correlation_key: str | None,
    actor: str,
    fields: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Record a write that succeeded, and note it on the current span."""
    _tag_span(system, operation, record_type, record_id)
    _record(rt, locals(), outcome="ok")


def audited_error(
    rt: Runtime,
    *,
    system: System,
    operation: str,
    record_type: str,
    record_id: str | None,
    correlation_key: str | None,
    actor: str,
    error: str,
    fields: Mapping[str, Any] | None = None,
) -> None:
    """Record a write that failed, with why."""
    _record(rt, locals(), outcome="error")


def _record(rt: Runtime, entry: Mapping[str, Any], *, outcome: Outcome) -> None:
    given = {name: entry[name] for name in _ENTRY_FIELDS if name in entry}
    rt.store.record_audit(
        **given,
        fields=_json_safe(entry.get("fields") or {}),
        trace_id=current_trace_id(),
        outcome=outcome,
    )


def _tag_span(
    system: str, operation: str, record_type: str, record_id: str | None
) -> None:
    span = trace.get_current_span()
    attributes = {"record.type": record_type, "record.id": record_id or ""}
    span.add_event(f"{system}.{operation}", attributes=attributes)
    if record_id and record_type in SPAN_RECORD_TYPES:
        span.set_attribute(f"{system}.{SPAN_RECORD_TYPES[record_type]}", record_id)


def _json_safe(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value
        if isinstance(value, str | int | float | bool | None)
        else str(value)
        for name, value in fields.items()
    }
