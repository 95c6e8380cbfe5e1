"""``handoff demo``: a won deal becomes exactly one Rocketlane project.

Runs everything in this process on embedded defaults (in-process broker,
a SQLite file, both sandboxes served on local ports) and narrates what
happens on each side, so a newcomer sees the whole path in a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from handoff.actors.broker import build_broker
from handoff.actors.logcontext import configure_logging
from handoff.adapters.telemetry import configure_tracing, shutdown_tracing
from handoff.settings import Settings

from .stack import Stack, start_stack

__all__ = ["DemoResult", "run_demo"]

logger = logging.getLogger(__name__)

Echo = Callable[[str], None]
DEMO_DATABASE = Path(".handoff") / "demo.db"
DEMO_CLIENT_TAG = "demo-seller"


class DemoResult(dict[str, Any]):
    """What the demo created, for tests to check."""


def run_demo(
    settings: Settings, *, keep: bool = False, echo: Echo = print
) -> DemoResult:
    """Run the walking-skeleton path and narrate it through ``echo``."""
    configure_logging("WARNING", settings.log_format)
    configure_tracing(service_name="handoff-demo")
    # The demo is self-contained whatever is configured: in-process broker,
    # a fresh SQLite file, in-process locks, and its own sandboxes.
    DEMO_DATABASE.unlink(missing_ok=True)
    settings = settings.model_copy(
        update={
            "broker_url": None,
            "redis_url": None,
            "database_url": f"sqlite:///{DEMO_DATABASE}",
        }
    )

    stack = start_stack(settings, broker=build_broker(settings))
    try:
        result = _story(stack, echo)
        if keep:
            _wait_for_interrupt(stack, echo)
        return result
    finally:
        stack.stop()
        shutdown_tracing()


def _story(stack: Stack, echo: Echo) -> DemoResult:
    seller = stack.sandboxes.salesforce_client(client_tag=DEMO_CLIENT_TAG)
    echo("Handoff demo: a won deal becomes exactly one Rocketlane project.\n")
    echo(f"  Salesforce sandbox   {stack.sandboxes.salesforce_url}")
    echo(f"  Rocketlane sandbox   {stack.sandboxes.rocketlane_api_url}")
    echo(f"  Ingress (CDC target) {stack.ingress.url}/events/salesforce")
    echo(f"  Database             {stack.settings.database_url}\n")

    opportunity, line = _sell(stack, seller)
    stack.settle()
    echo("1. A sales rep adds an Implementation line to an Opportunity at Prospecting.")
    echo(
        f"   Project__c records so far: {_count_projects(seller)} (10% is below the forecast threshold).\n"
    )

    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    stack.settle()
    project = _only_project(seller)
    rocketlane = stack.sandboxes.workspace.get_project(
        int(project["Rocketlane_Project_Id__c"])
    )
    key = project["Handoff_Key__c"]
    trace_id = _trace_of(stack, key)
    echo(
        "2. The deal moves to Closed Won. Salesforce emits a change event; the ingress"
    )
    echo("   queues derive, which upserts the Project__c and fans out provision, which")
    echo("   creates the Rocketlane project and writes its ID back.\n")
    echo(f"   In Salesforce:  Project__c {project['Id']}")
    echo(f"                   Name           {project['Name']}")
    echo(f"                   Forecast       {project['Forecast_Status__c']}")
    echo(f"                   Rocketlane ID  {project['Rocketlane_Project_Id__c']}")
    echo(f"                   Sync status    {project['Sync_Status__c']}")
    echo(
        f'   In Rocketlane:  project {rocketlane["projectId"]} "{rocketlane["projectName"]}"'
    )
    echo(f"                   status         {rocketlane['status']['label']}")
    echo(
        f"                   reference      {rocketlane.get('externalReferenceId')} (the Project__c ID)\n"
    )
    echo(f"   Correlation ID  {key}")
    echo(f"   Trace ID        {trace_id}")
    echo(
        "   (with OTEL_EXPORTER_OTLP_ENDPOINT pointing at Jaeger, search that trace ID)\n"
    )

    replayed = _replay_last_event(stack, opportunity, times=2)
    stack.settle()
    projects = _count_projects(seller)
    rocketlane_projects = _count_rocketlane(stack, project["Id"])
    echo(f"3. The same change event delivered {replayed} more times, at once:")
    echo(
        f"   still {projects} Project__c and {rocketlane_projects} Rocketlane project.\n"
    )
    letters = stack.store.list_dead_letters(status="open")
    echo(f"Dead letters: {len(letters)}. Done.")
    return DemoResult(
        opportunity=opportunity,
        line=line,
        project=project,
        rocketlane=rocketlane,
        correlation_id=key,
        trace_id=trace_id,
        projects=projects,
        rocketlane_projects=rocketlane_projects,
        dead_letters=len(letters),
    )


def _sell(stack: Stack, seller: Any) -> tuple[str, str]:
    seed = stack.sandboxes.org.seed
    account = seller.create(
        "Account",
        {"Name": "Acme Corp", "Region__c": "EMEA", "Segment__c": "Enterprise"},
    )
    opportunity = seller.create(
        "Opportunity",
        {
            "Name": "Acme – Platform rollout",
            "AccountId": account,
            "StageName": "Prospecting",
            "CloseDate": (date.today() + timedelta(days=30)).isoformat(),
            "Pricebook2Id": seed.standard_pricebook_id,
        },
    )
    line = seller.create(
        "OpportunityLineItem",
        {
            "OpportunityId": opportunity,
            "PricebookEntryId": seed.entries["CORE-IMP"],
            "Quantity": 1,
            "UnitPrice": 25000,
        },
    )
    return opportunity, line


def _count_projects(seller: Any) -> int:
    return len(seller.query("SELECT Id FROM Project__c"))


def _only_project(seller: Any) -> dict[str, Any]:
    rows = seller.query(
        "SELECT Id, Name, Handoff_Key__c, Forecast_Status__c, Rocketlane_Project_Id__c, Sync_Status__c FROM Project__c"
    )
    if len(rows) != 1:
        raise RuntimeError(f"expected exactly one Project__c, found {len(rows)}")
    return dict(rows[0])


def _count_rocketlane(stack: Stack, reference: str) -> int:
    projects = stack.sandboxes.workspace.projects.values()
    return sum(
        1 for project in projects if project.get("externalReferenceId") == reference
    )


def _trace_of(stack: Stack, key: str) -> str | None:
    entries = stack.store.list_audit(correlation_key=key)
    return next((entry.trace_id for entry in entries if entry.trace_id), None)


def _replay_last_event(stack: Stack, opportunity: str, *, times: int) -> int:
    events = stack.sandboxes.org.bus.events
    last = next(
        e
        for e in reversed(events)
        if opportunity in e["data"]["payload"]["ChangeEventHeader"]["recordIds"]
    )
    url = f"{stack.ingress.url}/events/salesforce"
    with ThreadPoolExecutor(max_workers=times) as pool:
        posts = [pool.submit(httpx.post, url, json=last) for _ in range(times)]
        for post in posts:
            post.result().raise_for_status()
    return times


def _wait_for_interrupt(stack: Stack, echo: Echo) -> None:
    echo("\nThe sandboxes keep running; press Ctrl-C to stop.")
    try:
        while True:
            stack.settle(timeout=3600)
    except KeyboardInterrupt:
        echo("Stopped.")
