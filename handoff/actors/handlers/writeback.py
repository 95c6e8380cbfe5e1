"""Batched, frugal write-backs onto Project__c, and the roll-ups they feed.

Salesforce's daily allocation is the real ceiling, so revenue-sync never
writes Salesforce itself. The design:

Stage
    Under the project's lock, revenue-sync computes the Project__c values
    and keeps only those that differ from what was last written or is
    already staged (the domain's ``changed_values``). It stages them in the
    project's mapping, ``last_pushed["salesforce_pending"]``, in the store
    every worker and host shares. Nothing changed: nothing is staged and no
    call is made, not even ``Last_Synced_At__c``.
Flush
    When a project's stage goes from empty to staged, revenue-sync enqueues
    a flush: a revenue-sync message with reason ``flush``, delayed by the
    coalescing window (``DEFAULT_FLUSH_WINDOW_MS``). The flush, one at a time
    under the lock ``FLUSH_LOCK``, collects every staged project and writes
    them in sObject Collections calls of up to 200 records. It reads each
    row's result: a written value moves to ``salesforce_written`` (what the
    next comparison is against); a failed row leaves the stage, is audited
    and logged, and the next sync stages it again.
Roll up
    The Opportunities and Accounts (``policy.rollups.targets``) of the
    projects written are then recomputed from Salesforce with the domain's
    ``roll_up`` for the current calendar month: one query for their
    projects, one for those projects' milestones, one per target object for
    the values they hold; only changed values are written, 200 per call.

So N projects synced within a window cost ceil(N/200) collection calls for
Project__c plus the roll-up's 2 + T queries and ceil(R/200) writes per
target object. Extra flush messages (several projects staged at once) find
nothing staged: a scan of the local store, no API call. Every write goes
through the Salesforce client, which tags it with Handoff's client, so the
producer drops its change events.

update-delta shares ``last_pushed``: it writes only its own keys, with the
store's optimistic version check, so a flush settling meanwhile is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from handoff.adapters.errors import Contention
from handoff.adapters.salesforce_records import PROJECT_OBJECT, soql_id
from handoff.adapters.store import ProjectMapping
from handoff.domain.milestones import MILESTONE_FIELDS, Milestone
from handoff.domain.rollups import ROLLUP_FIELDS, RollUp, roll_up
from handoff.domain.values import changed_values, json_ready, same_value

from ..messages import RevenueSyncRequested
from ..runtime import Runtime
from .audit import audited_error, audited_ok

__all__ = [
    "DEFAULT_FLUSH_WINDOW_MS",
    "FLUSH_CORRELATION",
    "FLUSH_REASON",
    "MAX_COLLECTION_RECORDS",
    "RESERVED_KEYS",
    "FlushReport",
    "flush",
    "stage",
]

logger = logging.getLogger(__name__)

ACTOR = "revenue_sync"
PENDING = "salesforce_pending"
WRITTEN = "salesforce_written"
TARGETS = "rollup_targets"
RESERVED_KEYS = frozenset({PENDING, WRITTEN, TARGETS})
STAMP = "Last_Synced_At__c"
FLUSH_REASON = "flush"
FLUSH_CORRELATION = "writeback:Project__c"
FLUSH_LOCK = FLUSH_CORRELATION
DEFAULT_FLUSH_WINDOW_MS = 2_000
MAX_COLLECTION_RECORDS = 200
MAX_IDS_PER_QUERY = 200
MAPPING_PAGE = 500
MILESTONE_OBJECT = "Project_Milestone__c"
SETTLE_ATTEMPTS = 5

T = TypeVar("T")


@dataclass
class FlushReport:
    """What one flush wrote."""

    projects: int = 0
    failed: int = 0
    calls: int = 0
    rollups: dict[str, int] = field(default_factory=dict)


def stage(
    rt: Runtime,
    mapping: ProjectMapping,
    values: Mapping[str, Any],
    *,
    targets: Mapping[str, Any],
    window_ms: int = DEFAULT_FLUSH_WINDOW_MS,
) -> dict[str, Any]:
    """Stage the values that changed for the next flush; returns them.

    Hold the project's lock. ``targets`` are the project's roll-up lookups
    (``Opportunity__c``, ``Account__c``) as Salesforce holds them.
    """
    pushed = mapping.last_pushed
    pending = dict(pushed.get(PENDING) or {})
    compared = {**(pushed.get(WRITTEN) or {}), **pending}
    wanted = json_ready({k: v for k, v in values.items() if k != STAMP})
    changes = changed_values(wanted, compared)
    targets = dict(targets)
    if not changes and pushed.get(TARGETS) == targets:
        return {}

    staged = {**pending, **changes}
    if changes and STAMP in values:
        staged[STAMP] = json_ready({STAMP: values[STAMP]})[STAMP]
    rt.store.update_mapping(
        mapping.correlation_key,
        last_pushed={**pushed, PENDING: staged, TARGETS: targets},
    )
    if changes and not pending:
        _request_flush(rt, window_ms)
    return changes


def _request_flush(rt: Runtime, window_ms: int) -> None:
    message = RevenueSyncRequested(
        correlation_id=FLUSH_CORRELATION, reason=FLUSH_REASON
    )
    rt.send(message, delay_ms=window_ms)


def flush(rt: Runtime) -> FlushReport:
    """Write every staged Project__c change, 200 per call, then roll up."""
    report = FlushReport()
    with rt.locks.hold(FLUSH_LOCK):
        staged = [m for m in _every_mapping(rt) if _pending(m)]
        written: list[ProjectMapping] = []
        for chunk in _chunks(staged, MAX_COLLECTION_RECORDS):
            written += _write_chunk(rt, chunk, report)
        if written:
            report.rollups = roll_up_targets(rt, written, report)
    if staged:
        logger.info(
            "Flushed %d Project__c write-back(s) in %d call(s); %d failed.",
            report.projects,
            report.calls,
            report.failed,
        )
    return report


def _pending(mapping: ProjectMapping) -> bool:
    return bool(mapping.last_pushed.get(PENDING)) and bool(
        mapping.salesforce_project_id
    )


def _every_mapping(rt: Runtime) -> Iterator[ProjectMapping]:
    offset = 0
    while True:
        page = rt.store.list_mappings(limit=MAPPING_PAGE, offset=offset)
        yield from page
        if len(page) < MAPPING_PAGE:
            return
        offset += MAPPING_PAGE


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_chunk(
    rt: Runtime, chunk: Sequence[ProjectMapping], report: FlushReport
) -> list[ProjectMapping]:
    rows = [_row(PROJECT_OBJECT, m.salesforce_project_id, _staged(m)) for m in chunk]
    results = rt.salesforce.update_many(rows)
    report.calls += 1

    written = []
    for mapping, row, result in zip(chunk, rows, results, strict=True):
        sent = {k: v for k, v in row.items() if k not in ("attributes", "Id")}
        if result.success:
            written.append(mapping)
            report.projects += 1
            _audit(rt, mapping, sent, error=None)
        else:
            report.failed += 1
            _audit(rt, mapping, sent, error=_describe(result.errors))
        _settle(rt, mapping.correlation_key, sent, written=result.success)
    return written


def _staged(mapping: ProjectMapping) -> dict[str, Any]:
    return dict(mapping.last_pushed.get(PENDING) or {})


def _row(sobject: str, record_id: str | None, values: Mapping[str, Any]) -> Any:
    return {"attributes": {"type": sobject}, "Id": record_id, **values}


def _settle(
    rt: Runtime, correlation_key: str, sent: Mapping[str, Any], *, written: bool
) -> None:
    """Move what was sent out of the stage, unless a newer value replaced it."""
    for _ in range(SETTLE_ATTEMPTS):
        mapping = rt.store.get_mapping(correlation_key)
        if mapping is None:
            return
        pushed = dict(mapping.last_pushed)
        pending = {
            name: value
            for name, value in (pushed.get(PENDING) or {}).items()
            if name not in sent or not same_value(value, sent[name])
        }
        pushed[PENDING] = pending
        if written:
            pushed[WRITTEN] = {**(pushed.get(WRITTEN) or {}), **sent}
        try:
            rt.store.update_mapping(
                correlation_key, expected_version=mapping.version, last_pushed=pushed
            )
        except Contention:
            continue
        return
    logger.warning(
        "Could not settle the write-back of %r; it stays staged.", correlation_key
    )


def _audit(
    rt: Runtime, mapping: ProjectMapping, sent: Mapping[str, Any], *, error: str | None
) -> None:
    common: dict[str, Any] = {
        "system": "salesforce",
        "operation": "update",
        "record_type": PROJECT_OBJECT,
        "record_id": mapping.salesforce_project_id,
        "correlation_key": mapping.correlation_key,
        "actor": ACTOR,
        "fields": sent,
    }
    if error is None:
        audited_ok(rt, **common)
    else:
        logger.warning(
            "Project__c %r refused its write-back: %s",
            mapping.salesforce_project_id,
            error,
        )
        audited_error(rt, error=error, **common)


def _describe(errors: Iterable[Mapping[str, Any]]) -> str:
    described = [
        f"{e.get('statusCode', 'ERROR')}: {e.get('message', '')}" for e in errors
    ]
    return ", ".join(described) or "unknown error"


# Roll-ups.


def roll_up_targets(
    rt: Runtime, projects: Sequence[ProjectMapping], report: FlushReport | None = None
) -> dict[str, int]:
    """Recompute and write the roll-ups of the targets these projects feed.

    Returns how many records of each target object were written.
    """
    lookups = rt.policy.rollups.targets
    targets = _targets_of(projects, lookups)
    if not targets:
        return {}
    rows = _projects_under(rt, targets, lookups)
    milestones = _milestones_of(rt, [str(row["Id"]) for row in rows])
    start, end = _this_month()
    rollups = roll_up(
        rows,
        milestones,
        start,
        end,
        rules=rt.policy.rollups,
        milestone_rules=rt.policy.milestones,
        today=datetime.now(UTC).date(),
    )
    wanted = [r for r in rollups if r.record_id in targets.get(r.sobject, set())]
    return {
        sobject: _write_rollups(
            rt, sobject, [r for r in wanted if r.sobject == sobject]
        )
        for sobject in sorted(targets)
    }


def _targets_of(
    projects: Iterable[ProjectMapping], lookups: Mapping[str, str]
) -> dict[str, set[str]]:
    targets: dict[str, set[str]] = {}
    for mapping in projects:
        held = mapping.last_pushed.get(TARGETS) or {}
        for sobject, lookup in lookups.items():
            if held.get(lookup):
                targets.setdefault(sobject, set()).add(str(held[lookup]))
    return targets


def _projects_under(
    rt: Runtime, targets: Mapping[str, set[str]], lookups: Mapping[str, str]
) -> list[dict[str, Any]]:
    columns = ", ".join(
        [
            "Id",
            *sorted(set(lookups.values())),
            "Recognized_Revenue__c",
            "Hours_Burned__c",
        ]
    )
    found: dict[str, dict[str, Any]] = {}
    for sobject, ids in sorted(targets.items()):
        for chunk in _chunks(sorted(ids), MAX_IDS_PER_QUERY):
            where = f"{lookups[sobject]} IN ({_id_list(chunk)})"
            soql = f"SELECT {columns} FROM {PROJECT_OBJECT} WHERE {where}"  # noqa: S608 - checked IDs
            found.update({str(row["Id"]): row for row in rt.salesforce.query(soql)})
    return list(found.values())


def _milestones_of(rt: Runtime, project_ids: Sequence[str]) -> list[Milestone]:
    columns = ", ".join(MILESTONE_FIELDS.values())
    milestones = []
    for chunk in _chunks(sorted(project_ids), MAX_IDS_PER_QUERY):
        where = f"Project__c IN ({_id_list(chunk)})"
        soql = f"SELECT Id, {columns} FROM {MILESTONE_OBJECT} WHERE {where}"  # noqa: S608 - checked IDs
        milestones += [
            Milestone.from_record(row, key=row.get("Handoff_Key__c") or row["Id"])
            for row in rt.salesforce.query(soql)
        ]
    return milestones


def _write_rollups(rt: Runtime, sobject: str, rollups: Sequence[RollUp]) -> int:
    current = _current_values(rt, sobject, [r.record_id for r in rollups])
    rows = []
    for rollup in rollups:
        held = current.get(rollup.record_id, {})
        changes = changed_values(json_ready(rollup.values), held)
        if changes:
            rows.append(_row(sobject, rollup.record_id, changes))
    written = 0
    for chunk in _chunks(rows, MAX_COLLECTION_RECORDS):
        results = rt.salesforce.update_many(chunk)
        for row, result in zip(chunk, results, strict=True):
            _audit_rollup(rt, sobject, row, result)
            written += int(result.success)
    return written


def _current_values(
    rt: Runtime, sobject: str, record_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    columns = ", ".join(["Id", *ROLLUP_FIELDS])
    held: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(record_ids), MAX_IDS_PER_QUERY):
        soql = f"SELECT {columns} FROM {sobject} WHERE Id IN ({_id_list(chunk)})"  # noqa: S608 - checked IDs
        for row in rt.salesforce.query(soql):
            held[str(row["Id"])] = {k: row.get(k) for k in ROLLUP_FIELDS}
    return held


def _audit_rollup(
    rt: Runtime, sobject: str, row: Mapping[str, Any], result: Any
) -> None:
    common: dict[str, Any] = {
        "system": "salesforce",
        "operation": "update",
        "record_type": sobject,
        "record_id": row["Id"],
        "correlation_key": None,
        "actor": ACTOR,
        "fields": {k: v for k, v in row.items() if k not in ("attributes", "Id")},
    }
    if result.success:
        audited_ok(rt, **common)
    else:
        audited_error(rt, error=_describe(result.errors), **common)


def _id_list(ids: Iterable[str]) -> str:
    return ", ".join(soql_id(record_id) for record_id in ids)


def _this_month() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    start = today.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)
