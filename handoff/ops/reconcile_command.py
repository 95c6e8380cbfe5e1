"""``handoff reconcile``: check every active project, within call budgets.

Rocketlane sends each webhook once, with no retry, and Handoff may have been
down: reconcile heals whatever a lost webhook carried. Run it on a schedule
(cron, a Kubernetes CronJob). For every active, provisioned project in the
mapping it enqueues a milestone check (milestone-accept without a task ID)
and a revenue-sync; the actors do the calls.

Budgets. The actors' own calls count against the run's budgets, estimated
per project before enqueuing it:

    Rocketlane  milestone-accept: 1 (list the milestones)
                revenue-sync:     3 (project metrics, tasks, status posts)
    Salesforce  milestone-accept: 1 query, + 1 write only if something moved
                revenue-sync:     1 query (the Project__c)
                write-back:       1 collection call per 200 projects, and the
                                  roll-up's queries and writes per flush

so ``ROCKETLANE_CALLS_PER_PROJECT`` is 4 and ``SALESFORCE_CALLS_PER_PROJECT``
3 (the worst case, writes included), plus ``SALESFORCE_CALLS_PER_RUN`` for
the flush's roll-up. Projects are taken least recently updated first, so
successive runs that stop at a budget cover everyone in turn. When the next
project would exceed a budget the run stops enqueuing and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click

from handoff.actors.messages import (
    HandoffMessage,
    MilestoneChanged,
    RevenueSyncRequested,
)
from handoff.adapters.store import ProjectMapping, SqlAlchemyStore

__all__ = [
    "ROCKETLANE_CALLS_PER_PROJECT",
    "SALESFORCE_CALLS_PER_PROJECT",
    "SALESFORCE_CALLS_PER_RUN",
    "ReconcileReport",
    "reconcile",
    "reconcile_projects",
]

logger = logging.getLogger(__name__)

ROCKETLANE_CALLS_PER_PROJECT = 4
SALESFORCE_CALLS_PER_PROJECT = 3
SALESFORCE_CALLS_PER_RUN = 6
ACTIVE = "active"
PAGE = 500

Send = Callable[[HandoffMessage], Any]


@dataclass(frozen=True)
class ReconcileReport:
    """What one run enqueued, what it estimates it costs, and why it stopped."""

    projects: int
    checked: int
    salesforce_calls: int
    rocketlane_calls: int
    stopped_by: str | None = None

    def describe(self) -> str:
        """One line for the operator."""
        line = (
            f"Enqueued checks for {self.checked} of {self.projects} active "
            f"project(s): about {self.salesforce_calls} Salesforce and "
            f"{self.rocketlane_calls} Rocketlane call(s)."
        )
        if self.stopped_by:
            line += f" Stopped: the {self.stopped_by} budget is reached."
        return line


def reconcile_projects(
    store: SqlAlchemyStore,
    send: Send,
    *,
    max_salesforce_calls: int | None = None,
    max_rocketlane_calls: int | None = None,
) -> ReconcileReport:
    """Enqueue milestone and revenue checks for active projects, within budgets."""
    projects = sorted(_active(store), key=lambda m: m.updated_at)
    salesforce, rocketlane, checked = SALESFORCE_CALLS_PER_RUN, 0, 0
    stopped_by = None
    for mapping in projects:
        stopped_by = _over(
            salesforce + SALESFORCE_CALLS_PER_PROJECT,
            max_salesforce_calls,
            "Salesforce",
        ) or _over(
            rocketlane + ROCKETLANE_CALLS_PER_PROJECT,
            max_rocketlane_calls,
            "Rocketlane",
        )
        if stopped_by:
            break
        _enqueue(send, mapping)
        salesforce += SALESFORCE_CALLS_PER_PROJECT
        rocketlane += ROCKETLANE_CALLS_PER_PROJECT
        checked += 1

    report = ReconcileReport(
        projects=len(projects),
        checked=checked,
        salesforce_calls=salesforce if checked else 0,
        rocketlane_calls=rocketlane,
        stopped_by=stopped_by,
    )
    logger.info(report.describe())
    return report


def _active(store: SqlAlchemyStore) -> Iterator[ProjectMapping]:
    offset = 0
    while True:
        page = store.list_mappings(status=ACTIVE, limit=PAGE, offset=offset)
        # A phase upsell shares its original's project, which is checked once.
        yield from (
            m for m in page if m.rocketlane_project_id and m.rocketlane_phase_id is None
        )
        if len(page) < PAGE:
            return
        offset += PAGE


def _over(estimate: int, budget: int | None, system: str) -> str | None:
    return system if budget is not None and estimate > budget else None


def _enqueue(send: Send, mapping: ProjectMapping) -> None:
    assert mapping.rocketlane_project_id is not None, "filtered by _active"
    send(
        MilestoneChanged(
            correlation_id=mapping.correlation_key,
            rocketlane_project_id=mapping.rocketlane_project_id,
        )
    )
    send(
        RevenueSyncRequested(
            correlation_id=mapping.correlation_key,
            rocketlane_project_id=mapping.rocketlane_project_id,
            reason="reconcile",
        )
    )


@click.command()
@click.option(
    "--max-salesforce-calls",
    type=click.IntRange(min=0),
    help="Salesforce calls this run may cause (estimated) "
    "[HANDOFF_RECONCILE_MAX_SALESFORCE_CALLS; default: no limit].",
)
@click.option(
    "--max-rocketlane-calls",
    type=click.IntRange(min=0),
    help="Rocketlane calls this run may cause (estimated) "
    "[HANDOFF_RECONCILE_MAX_ROCKETLANE_CALLS; default: no limit].",
)
def reconcile(
    max_salesforce_calls: int | None, max_rocketlane_calls: int | None
) -> None:
    """Enqueue milestone and revenue checks for every active project.

    Needs the shared broker (HANDOFF_BROKER_URL), like `handoff publish`.
    """
    from handoff.actors.bootstrap import open_store  # noqa: PLC0415
    from handoff.actors.broker import build_broker  # noqa: PLC0415
    from handoff.actors.producer import Producer  # noqa: PLC0415
    from handoff.settings import SettingsError, load_settings  # noqa: PLC0415

    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    if settings.embedded:
        raise click.ClickException(
            "this command needs the shared broker: set HANDOFF_BROKER_URL (redis://…)"
        )
    producer = Producer(
        build_broker(settings), client_tag=settings.salesforce_client_tag
    )
    store = open_store(settings, migrate=True)
    try:
        report = reconcile_projects(
            store,
            producer.send,
            max_salesforce_calls=_either(
                max_salesforce_calls, settings.reconcile_max_salesforce_calls
            ),
            max_rocketlane_calls=_either(
                max_rocketlane_calls, settings.reconcile_max_rocketlane_calls
            ),
        )
    finally:
        store.close()
    click.echo(report.describe())


def _either(flag: int | None, setting: int | None) -> int | None:
    """The flag when given, else the setting (None: no budget)."""
    return flag if flag is not None else setting
