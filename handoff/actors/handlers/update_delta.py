"""update-delta: push to Rocketlane only what changed on a Project__c.

Compares the Salesforce-owned values Rocketlane mirrors with what was last
pushed successfully, and sends one partial update with just the difference;
nothing at all when nothing mapped changed. A project not provisioned yet is
handed to provision instead. A cancelled project gets the cancelled status,
and is archived when the policy says so.

A burst of changes makes one update. Before reading what to push, the
handler waits, holding the project's lock, until the Project__c has been
quiet for ``BURST_QUIET_S`` (its ``SystemModstamp`` unchanged); requests
queued behind it during the burst then find nothing left to push. The
wait compares Salesforce's clock with ours only to decide whether to wait;
whether the record settled is judged by its stamp alone, so clock skew can
cost a wait but never a lost change.

What was pushed is merged into the mapping's ``last_pushed`` with the
store's optimistic version check, re-read and retried on Contention, so
the write-back bookkeeping revenue-sync keeps in the same document
(``writeback.RESERVED_KEYS``) is never overwritten.

An upsell delivered as a phase of the original's Rocketlane project
(governance ``new_phase``) has its name and dates pushed to that phase
(PUT /phases/{id}); the project's own owner, status and budget are the
original deal's and are left alone, and a cancelled phase upsell archives
nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from handoff.adapters.errors import Contention
from handoff.adapters.salesforce_records import ProjectRecord, read_project
from handoff.domain.delta import to_rocketlane_body
from handoff.domain.forecast import is_provisioned
from handoff.domain.keys import KEY_PREFIX
from handoff.domain.models import ForecastState

from ..messages import ProvisionRequested, UpdateDeltaRequested
from ..runtime import Runtime
from .audit import audited_ok
from .projection import (
    by_rocketlane_field,
    mapped_values,
    phase_changes,
)

__all__ = ["run"]

logger = logging.getLogger(__name__)

ACTOR = "update_delta"
BURST_QUIET_S = 0.5
MAX_SETTLE_ROUNDS = 20
MODSTAMP = "SystemModstamp"
REMEMBER_ATTEMPTS = 5


def run(rt: Runtime, message: UpdateDeltaRequested) -> None:
    """Send the delta of one Project__c to its Rocketlane project."""
    with rt.locks.hold(_project_key(rt, message)):
        record = _settled(rt, message.project_id)
        mapping = rt.store.get_mapping(record.key)
        project_id = (mapping.rocketlane_project_id if mapping else None) or (
            record.rocketlane_project_id
        )
        if project_id is None:
            _hand_to_provision(rt, record)
            return

        current = mapped_values(record, rt.policy)
        pushed = mapping.last_pushed if mapping else {}
        delta = {
            name: value for name, value in current.items() if pushed.get(name) != value
        }
        phase_id = (mapping.rocketlane_phase_id if mapping else None) or (
            record.rocketlane_phase_id
        )
        if delta and phase_id is not None:
            _push_phase(rt, record, phase_id, delta)
            _remember(rt, record, delta)
        elif delta:
            _push(rt, record, project_id, delta)
            _remember(rt, record, delta)
        else:
            logger.info("Nothing mapped changed on %r; no update sent.", record.id)
        if (
            _cancelled(record)
            and rt.policy.rocketlane.archive_on_cancel
            and phase_id is None
        ):
            _archive(rt, record, project_id)


def _remember(rt: Runtime, record: ProjectRecord, delta: dict[str, Any]) -> None:
    """Merge what was pushed into the mapping, keeping everyone else's keys.

    revenue-sync keeps its write-back bookkeeping in the same ``last_pushed``
    document and may change it while the push was on the wire, so the
    mapping is re-read and written with its version; on Contention, again.
    """
    for _ in range(REMEMBER_ATTEMPTS):
        mapping = rt.store.get_mapping(record.key)
        if mapping is None:
            mapping = rt.store.ensure_mapping(
                record.key, salesforce_project_id=record.id
            )
        try:
            rt.store.update_mapping(
                record.key,
                expected_version=mapping.version,
                last_pushed={**mapping.last_pushed, **delta},
                forecast_state=record.get("Forecast_Status__c"),
                status="cancelled" if _cancelled(record) else "active",
            )
        except Contention:
            logger.info("Mapping %r changed meanwhile; merging again.", record.key)
            continue
        return
    raise Contention(
        f"mapping {record.key!r} kept changing; the message is retried",
        system="database",
    )


def _settled(rt: Runtime, project_id: str) -> ProjectRecord:
    """The Project__c once its burst of changes is over (bounded wait)."""
    record = read_project(rt.salesforce, project_id)
    for _ in range(MAX_SETTLE_ROUNDS):
        wait = _quiet_left(record)
        if wait <= 0:
            return record
        time.sleep(wait)
        again = read_project(rt.salesforce, project_id)
        if again.get(MODSTAMP) == record.get(MODSTAMP):
            return again
        record = again
    logger.warning("Project__c %r kept changing; pushing what it says now.", project_id)
    return record


def _quiet_left(record: ProjectRecord) -> float:
    """Seconds until the record has been quiet for BURST_QUIET_S (0: it has)."""
    stamp = record.get(MODSTAMP)
    if not stamp:
        return 0.0
    changed = datetime.fromisoformat(str(stamp).replace("+0000", "+00:00"))
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    age = (datetime.now(UTC) - changed).total_seconds()
    return min(BURST_QUIET_S, max(0.0, BURST_QUIET_S - age))


def _project_key(rt: Runtime, message: UpdateDeltaRequested) -> str:
    """The project's correlation key, even when the event did not carry it."""
    if message.correlation_id.startswith(KEY_PREFIX):
        return message.correlation_id
    mapping = rt.store.find_mapping(salesforce_project_id=message.project_id)
    if mapping is not None:
        return mapping.correlation_key
    return read_project(rt.salesforce, message.project_id).key


def _push(
    rt: Runtime, record: ProjectRecord, project_id: int, delta: dict[str, Any]
) -> None:
    body = to_rocketlane_body(
        by_rocketlane_field(delta, rt.policy),
        rt.policy.mapping,
        rules=rt.policy.rocketlane,
    )
    if not body:
        logger.info("Nothing in %s maps to a Rocketlane field.", ", ".join(delta))
        return
    rt.rocketlane.update_project(project_id, body)
    audited_ok(
        rt,
        system="rocketlane",
        operation="update",
        record_type="project",
        record_id=str(project_id),
        correlation_key=record.key,
        actor=ACTOR,
        fields=delta,
    )
    logger.info(
        "Pushed %s to Rocketlane project %r.", ", ".join(sorted(delta)), project_id
    )


def _push_phase(
    rt: Runtime, record: ProjectRecord, phase_id: int, delta: dict[str, Any]
) -> None:
    """Send a phase upsell's name and dates to its phase, never to the project."""
    body = phase_changes(delta, record, rt.policy)
    if not body:
        logger.info("Nothing in %s applies to phase %r.", ", ".join(delta), phase_id)
        return
    rt.rocketlane.update_phase(phase_id, body)
    audited_ok(
        rt,
        system="rocketlane",
        operation="update",
        record_type="phase",
        record_id=str(phase_id),
        correlation_key=record.key,
        actor=ACTOR,
        fields=delta,
    )
    logger.info("Pushed %s to Rocketlane phase %r.", ", ".join(sorted(body)), phase_id)


def _archive(rt: Runtime, record: ProjectRecord, project_id: int) -> None:
    project = rt.rocketlane.get_project(project_id)
    if project.get("archived"):
        return
    rt.rocketlane.archive_project(project_id)
    audited_ok(
        rt,
        system="rocketlane",
        operation="archive",
        record_type="project",
        record_id=str(project_id),
        correlation_key=record.key,
        actor=ACTOR,
        reason="the deal was lost or slipped below the forecast threshold",
    )


def _cancelled(record: ProjectRecord) -> bool:
    return record.forecast_state is ForecastState.CANCELLED


def _hand_to_provision(rt: Runtime, record: ProjectRecord) -> None:
    state = record.forecast_state
    if state is not None and is_provisioned(state, rt.policy.forecast):
        rt.send(ProvisionRequested(correlation_id=record.key, project_id=record.id))
