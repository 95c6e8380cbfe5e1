"""Recording every write to either system in the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from handoff.adapters.telemetry import current_trace_id

from ..runtime import Runtime

__all__ = ["audited_error", "audited_ok"]


def audited_ok(
    rt: Runtime,
    *,
    system: Literal["salesforce", "rocketlane"],
    operation: str,
    record_type: str,
    record_id: str | None,
    correlation_key: str | None,
    actor: str,
    fields: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Record a write that succeeded."""
    rt.store.record_audit(
        system=system,
        operation=operation,
        record_type=record_type,
        record_id=record_id,
        correlation_key=correlation_key,
        actor=actor,
        trace_id=current_trace_id(),
        fields=_json_safe(fields or {}),
        reason=reason,
    )


def audited_error(
    rt: Runtime,
    *,
    system: Literal["salesforce", "rocketlane"],
    operation: str,
    record_type: str,
    record_id: str | None,
    correlation_key: str | None,
    actor: str,
    error: str,
    fields: Mapping[str, Any] | None = None,
) -> None:
    """Record a write that failed, with why."""
    rt.store.record_audit(
        system=system,
        operation=operation,
        record_type=record_type,
        record_id=record_id,
        correlation_key=correlation_key,
        actor=actor,
        trace_id=current_trace_id(),
        fields=_json_safe(fields or {}),
        outcome="error",
        error=error,
    )


def _json_safe(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value
        if isinstance(value, str | int | float | bool | None)
        else str(value)
        for name, value in fields.items()
    }
