"""derive: a commercial record changed; make its Project__c set match it.

Reads the deal as Salesforce holds it now (events are hints), derives the
projects under the policy, reconciles them with the Project__c records that
exist, upserts every change in one batched call, and fans out provision or
update-delta per project. Holding the deal's lock, two workers given the same
event serialise; the second finds nothing to change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from handoff.adapters.deals import FOLLOWED_OBJECTS, deals_to_derive, read_deal
from handoff.adapters.errors import InvalidRequest
from handoff.adapters.salesforce_records import (
    PROJECT_KEY_FIELD,
    PROJECT_OBJECT,
    ProjectRecord,
    changed_fields,
    keys_of,
    plan_fields,
    project_ids_by_key,
    read_projects_of_deal,
    read_routes,
)
from handoff.domain.derive import derive
from handoff.domain.forecast import is_provisioned, target_state
from handoff.domain.keys import deal_key
from handoff.domain.models import Deal, ForecastState, ProjectPlan
from handoff.domain.policy import Route
from handoff.domain.reconcile import Reconciliation, reconcile
from handoff.domain.routing import RouteTable

from ..messages import DeriveRequested, ProvisionRequested, UpdateDeltaRequested
from ..runtime import Runtime
from .audit import audited_error, audited_ok

__all__ = ["UnsupportedRecord", "run"]

logger = logging.getLogger(__name__)

ACTOR = "derive"
UPSELL_FIELD = "Upsell_Of__c"


class UnsupportedRecord(InvalidRequest):
    """derive was asked about a record type it cannot derive projects from."""


@dataclass(frozen=True)
class _Write:
    key: str
    fields: dict[str, Any]
    record: ProjectRecord | None


def run(rt: Runtime, message: DeriveRequested) -> None:
    """Derive, reconcile, upsert and fan out for the deals behind the message.

    The changed record leads to the policy's master deals (an Account to
    its deals, a line to its parent, an Opportunity to its syncing quote…);
    each is derived under its own lock. Template routes kept in Salesforce
    are read once for them all.
    """
    deal_ids = _deal_ids(rt, message)
    if not deal_ids:
        logger.info(
            "%s %r leads to no %s: nothing to derive.",
            message.record_object,
            message.record_id,
            rt.policy.source_object,
        )
        return
    routes = _routes(rt)
    for deal_id in deal_ids:
        derive_deal(rt, deal_id, routes=routes)


def derive_deal(rt: Runtime, deal_id: str, *, routes: list[Route] | None) -> None:
    """Derive one master deal and make its Project__c set match."""
    source_object = rt.policy.source_object
    with rt.locks.hold(deal_key(source_object, deal_id)):
        deal = read_deal(rt.salesforce, source_object, deal_id, rt.policy.fields)
        plans = derive(deal, rt.policy, routes=routes)
        records = keys_of(read_projects_of_deal(rt.salesforce, deal.id))

        states = {k: r.forecast_state for k, r in records.items() if r.forecast_state}
        result = reconcile(states, plans, below_threshold=not _sells(deal, rt))
        _record_decisions(rt, result)
        writes = _writes(result, plans, records, _upsells(rt, plans))

        ids = _upsert(rt, writes)
        _map(rt, plans, records, ids)
        _fan_out(rt, writes, records, ids)
    logger.info(
        "Derived %d project(s) from %s %r: %d written.",
        len(plans),
        source_object,
        deal_id,
        len(writes),
    )


def _deal_ids(rt: Runtime, message: DeriveRequested) -> list[str]:
    if message.record_object not in FOLLOWED_OBJECTS:
        raise UnsupportedRecord(
            f"derive cannot start from a {message.record_object}; "
            f"expected one of {', '.join(sorted(FOLLOWED_OBJECTS))}"
        )
    return deals_to_derive(
        rt.salesforce,
        rt.policy.source_object,
        message.record_object,
        message.record_id,
    )


def _routes(rt: Runtime) -> list[Route] | None:
    """Routes from Salesforce when the policy keeps them there, else None."""
    if rt.policy.routing.source != "salesforce":
        return None
    table: RouteTable = read_routes(rt.salesforce, rt.policy.routing.salesforce_object)
    for problem in table.problems:
        logger.warning("Skipped a template route: %s", problem)
    return list(table.routes)


def _sells(deal: Deal, rt: Runtime) -> bool:
    """Whether the deal is above the threshold (a lost deal counts as above)."""
    return target_state(deal, rt.policy.forecast) is not None


def _upsells(rt: Runtime, plans: list[ProjectPlan]) -> dict[str, str]:
    """Upsell plan key → the Project__c ID of the project it extends."""
    originals = {plan.upsell_of_key for plan in plans if plan.upsell_of_key}
    ids = project_ids_by_key(rt.salesforce, sorted(k for k in originals if k))
    return {
        plan.key: ids[plan.upsell_of_key]
        for plan in plans
        if plan.upsell_of_key and plan.upsell_of_key in ids
    }


def _writes(
    result: Reconciliation,
    plans: list[ProjectPlan],
    records: Mapping[str, ProjectRecord],
    upsells: Mapping[str, str],
) -> list[_Write]:
    refused = {refusal.key for refusal in result.refuse}
    skipped = set(result.skip)
    writes = [
        _plan_write(plan, records.get(plan.key), upsells.get(plan.key))
        for plan in plans
        if plan.key not in refused | skipped
    ]
    writes += [_cancel_write(move.key, records[move.key]) for move in result.cancel]
    writes += [
        _Write(r.key, {"Sync_Error__c": r.reason}, records.get(r.key))
        for r in result.refuse
        if r.key in records and records[r.key].get("Sync_Error__c") != r.reason
    ]
    return [write for write in writes if write.fields]


def _plan_write(
    plan: ProjectPlan, record: ProjectRecord | None, upsell_of: str | None
) -> _Write:
    wanted = plan_fields(plan) | _sync_fields(plan, record)
    if upsell_of is not None:
        wanted[UPSELL_FIELD] = upsell_of
    return _Write(plan.key, changed_fields(wanted, record), record)


def _sync_fields(plan: ProjectPlan, record: ProjectRecord | None) -> dict[str, Any]:
    if plan.problems:
        return {"Sync_Status__c": "Blocked", "Sync_Error__c": "; ".join(plan.problems)}
    status = record.get("Sync_Status__c") if record else None
    if status in (None, "Blocked"):
        return {"Sync_Status__c": "Pending", "Sync_Error__c": None}
    return {}


def _cancel_write(key: str, record: ProjectRecord) -> _Write:
    return _Write(key, {"Forecast_Status__c": str(ForecastState.CANCELLED)}, record)


def _upsert(rt: Runtime, writes: list[_Write]) -> dict[str, str]:
    """Write every change in one call; returns key → Project__c ID."""
    if not writes:
        return {}
    rows = [{PROJECT_KEY_FIELD: write.key, **write.fields} for write in writes]
    results = rt.salesforce.upsert_many(PROJECT_OBJECT, PROJECT_KEY_FIELD, rows)

    ids: dict[str, str] = {}
    failures = []
    for write, result in zip(writes, results, strict=True):
        if result.success and result.id:
            ids[write.key] = result.id
            _audit(rt, write, result.id)
        else:
            failures.append(f"{write.key}: {_errors(result.errors)}")
            _audit_failure(rt, write, _errors(result.errors))
    if failures:
        raise InvalidRequest(
            "Salesforce refused Project__c rows: " + "; ".join(failures),
            system="salesforce",
        )
    return ids


def _audit(rt: Runtime, write: _Write, record_id: str) -> None:
    audited_ok(
        rt,
        system="salesforce",
        operation="upsert",
        record_type=PROJECT_OBJECT,
        record_id=record_id,
        correlation_key=write.key,
        actor=ACTOR,
        fields=write.fields,
        reason="created" if write.record is None else "changed",
    )


def _audit_failure(rt: Runtime, write: _Write, error: str) -> None:
    audited_error(
        rt,
        system="salesforce",
        operation="upsert",
        record_type=PROJECT_OBJECT,
        record_id=write.record.id if write.record else None,
        correlation_key=write.key,
        actor=ACTOR,
        error=error,
        fields=write.fields,
    )


def _errors(errors: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(
        f"{error.get('statusCode') or error.get('errorCode')}: {error.get('message')}"
        for error in errors
    )


def _record_decisions(rt: Runtime, result: Reconciliation) -> None:
    for move in result.move + result.cancel:
        rt.store.record_transition(
            correlation_key=move.key,
            from_state=str(move.current),
            to_state=str(move.target),
            accepted=True,
            reason=move.reason,
        )
    for refusal in result.refuse:
        logger.warning(
            "Refused a forecast move of %r: %s.", refusal.key, refusal.reason
        )
        rt.store.record_transition(
            correlation_key=refusal.key,
            from_state=str(refusal.current) if refusal.current else None,
            to_state=str(refusal.target),
            accepted=False,
            reason=refusal.reason,
        )


def _map(
    rt: Runtime,
    plans: list[ProjectPlan],
    records: Mapping[str, ProjectRecord],
    ids: Mapping[str, str],
) -> None:
    for plan in plans:
        record_id = ids.get(plan.key) or (
            records[plan.key].id if plan.key in records else None
        )
        if record_id is None:
            continue
        rt.store.ensure_mapping(
            plan.key,
            salesforce_project_id=record_id,
            deal_id=plan.deal_id,
            deal_object=plan.deal_object,
            forecast_state=str(plan.forecast_state),
        )


def _fan_out(
    rt: Runtime,
    writes: list[_Write],
    records: Mapping[str, ProjectRecord],
    ids: Mapping[str, str],
) -> None:
    written = {write.key: write for write in writes}
    for key in sorted(set(records) | set(ids)):
        record_id = ids.get(key) or records[key].id
        record = records.get(key)
        write = written.get(key)
        _next_step(rt, key, record_id, record, write)


def _next_step(
    rt: Runtime,
    key: str,
    record_id: str,
    record: ProjectRecord | None,
    write: _Write | None,
) -> None:
    fields = {**(record.row if record else {}), **(write.fields if write else {})}
    if fields.get("Rocketlane_Project_Id__c"):
        if write is not None:
            changed = tuple(sorted(write.fields))
            rt.send(
                UpdateDeltaRequested(
                    correlation_id=key, project_id=record_id, changed_fields=changed
                )
            )
        return
    if _should_provision(rt, fields):
        rt.send(ProvisionRequested(correlation_id=key, project_id=record_id))


def _should_provision(rt: Runtime, fields: Mapping[str, Any]) -> bool:
    state = fields.get("Forecast_Status__c")
    if not state or fields.get("Sync_Status__c") == "Blocked":
        return False
    return is_provisioned(ForecastState(state), rt.policy.forecast)
