"""Benchmarks of Handoff on the embedded stack: throughput and API calls.

Run from the repository root::

    .venv/bin/python -m ops.bench.run [--deals N] [--lines L]

It starts the embedded stack (both sandboxes over sockets, the ingress,
worker threads, SQLite), sells N deals of L deliverables each, and prints
figures, never pass/fail:

1. provisioning throughput: projects per second from "Closed Won" until
   every project exists on both sides and the queues are empty;
2. API calls Handoff spends per project on each side, for the create, a
   no-op re-derive (the same change events again) and an update (a new
   close date), next to a naive baseline measured in the same run by
   calling the clients directly: per-record Salesforce writes instead of
   one sObject Collections call per deal, and every field pushed to every
   Rocketlane project instead of the delta.

The comparison is like for like: both count their whole path, reads and
writes, and the naive path makes the reads Handoff makes (per deal: the
Opportunity, its lines and its Project__c set; per project: the look-up by
reference before a create, the GET before a PUT). Rocketlane's write calls
are also shown alone, for both.

Salesforce calls are the org's ``usage.used`` minus the calls the
benchmark's own seller client made. Rocketlane calls are the sandbox's own
counts (``GET /__sandbox/stats``): calls served, writes among them, 429s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from handoff.actors.broker import build_broker
from handoff.adapters.rocketlane import HttpxRocketlaneClient
from handoff.adapters.salesforce import ClientCredentials, HttpxSalesforceClient
from handoff.adapters.salesforce_records import read_projects_of_deal, soql_id
from handoff.ops.sandbox.rocketlane.config import DEFAULT_API_KEY
from handoff.ops.sandbox.salesforce.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
)
from handoff.ops.stack import Stack, start_stack
from handoff.settings import load_settings

__all__ = ["Figures", "main", "run_benchmark"]

DEFAULT_DEALS = 10
DEFAULT_LINES = 2
DEFAULT_THREADS = 4
DEFAULT_SETTLE_TIMEOUT_S = 90.0
PRODUCT_CODES = ("CORE-IMP", "DATA-MIG", "ADV-RET")
PROJECTS_QUERY = (
    "SELECT Id, Name, Handoff_Key__c, Source_Record_Id__c, Start_Date__c, "
    "Due_Date__c, Rocketlane_Project_Id__c, Forecast_Status__c FROM Project__c"
)
DEAL_QUERY = "SELECT Id, StageName, CloseDate FROM Opportunity"
LINES_QUERY = "SELECT Id, Quantity, UnitPrice FROM OpportunityLineItem"
Records = Sequence[dict[str, Any]]


# --- counting -----------------------------------------------------------------


class CountingTransport(httpx.BaseTransport):
    """An httpx transport counting the REST calls it sends (not tokens)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "/oauth2/" not in request.url.path:
            self.calls += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@dataclass(frozen=True)
class Reading:
    """Both sandboxes' call counters at one moment."""

    salesforce: int
    rocketlane: int
    rocketlane_writes: int
    rocketlane_429s: int

    def __sub__(self, other: Reading) -> Reading:
        return Reading(
            self.salesforce - other.salesforce,
            self.rocketlane - other.rocketlane,
            self.rocketlane_writes - other.rocketlane_writes,
            self.rocketlane_429s - other.rocketlane_429s,
        )


@dataclass
class Meter:
    """Reads both sandboxes' call counters, less the seller's calls."""

    stack: Stack
    own_salesforce: list[CountingTransport] = field(default_factory=list)

    def reading(self) -> Reading:
        """Handoff's Salesforce calls; Rocketlane's calls, writes and 429s."""
        own = sum(t.calls for t in self.own_salesforce)
        used = self.stack.sandboxes.org.usage.used - own
        stats = rocketlane_stats(self.stack)
        return Reading(used, stats["served"], stats["writes"], stats["rateLimited"])

    @contextmanager
    def spent(self) -> Iterator[list[Reading]]:
        """Yields a list holding, on exit, the calls spent inside."""
        before = self.reading()
        spent: list[Reading] = []
        yield spent
        spent.append(self.reading() - before)


def rocketlane_stats(stack: Stack) -> dict[str, Any]:
    """The Rocketlane sandbox's counts of the API calls it answered."""
    url = f"{stack.sandboxes.rocketlane.url}/__sandbox/stats"
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    counts: dict[str, Any] = response.json()
    return counts


# --- the scenario ---------------------------------------------------------------


@dataclass
class Row:
    """API calls per project for one scenario, Handoff and the baseline."""

    scenario: str
    salesforce: float
    rocketlane: float
    rocketlane_writes: float
    baseline_salesforce: float
    baseline_rocketlane: float
    baseline_rocketlane_writes: float
    seconds: float

    @classmethod
    def of(
        cls,
        scenario: str,
        handoff: Reading,
        naive: Reading,
        *,
        projects: int,
        seconds: float,
    ) -> Row:
        """The readings of both paths, per project."""
        per = max(projects, 1)
        return cls(
            scenario,
            handoff.salesforce / per,
            handoff.rocketlane / per,
            handoff.rocketlane_writes / per,
            naive.salesforce / per,
            naive.rocketlane / per,
            naive.rocketlane_writes / per,
            seconds,
        )


@dataclass
class Figures:
    """Everything one run measured."""

    deals: int
    projects: int
    create_seconds: float
    rows: list[Row]
    rate_limited: int

    @property
    def throughput(self) -> float:
        return self.projects / self.create_seconds if self.create_seconds else 0.0


def salesforce_client(
    stack: Stack, *, tag: str, transport: CountingTransport | None = None
) -> HttpxSalesforceClient:
    """A client of the sandbox org writing under ``tag``."""
    return HttpxSalesforceClient(
        login_url=stack.sandboxes.salesforce_url,
        credentials=ClientCredentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        client_tag=tag,
        transport=transport,
    )


def sell_deals(
    seller: HttpxSalesforceClient, stack: Stack, *, deals: int, lines: int
) -> list[str]:
    """N open opportunities of ``lines`` deliverables each; their IDs."""
    seed = stack.sandboxes.org.seed
    close = (date.today() + timedelta(days=30)).isoformat()
    opportunities = []
    for number in range(deals):
        account = seller.create(
            "Account", {"Name": f"Bench {number}", "Region__c": "EMEA"}
        )
        opportunity = seller.create(
            "Opportunity",
            {
                "Name": f"Bench deal {number}",
                "AccountId": account,
                "StageName": "Prospecting",
                "CloseDate": close,
                "Pricebook2Id": seed.standard_pricebook_id,
            },
        )
        for code in PRODUCT_CODES[:lines]:
            seller.create(
                "OpportunityLineItem",
                {
                    "OpportunityId": opportunity,
                    "PricebookEntryId": seed.entries[code],
                    "Quantity": 1,
                    "UnitPrice": 1000,
                },
            )
        opportunities.append(opportunity)
    return opportunities


def timed(action: Callable[[], None]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def run_benchmark(stack: Stack, *, deals: int, lines: int) -> Figures:
    """Sell, win, re-derive and update ``deals`` deals; the figures."""
    meter = Meter(stack)
    seller_calls = CountingTransport()
    meter.own_salesforce.append(seller_calls)
    seller = salesforce_client(stack, tag="bench-seller", transport=seller_calls)
    # The baseline writes under Handoff's tag, so their echoes are dropped.
    naive = salesforce_client(stack, tag=stack.settings.salesforce_client_tag)
    rocketlane = HttpxRocketlaneClient(
        base_url=stack.sandboxes.rocketlane_api_url, api_key=DEFAULT_API_KEY
    )
    opportunities = sell_deals(seller, stack, deals=deals, lines=lines)
    stack.settle(DEFAULT_SETTLE_TIMEOUT_S)
    with rocketlane:
        return _measure(
            stack,
            meter,
            seller=seller,
            naive=naive,
            rocketlane=rocketlane,
            opportunities=opportunities,
        )


def _measure(
    stack: Stack,
    meter: Meter,
    *,
    seller: HttpxSalesforceClient,
    naive: HttpxSalesforceClient,
    rocketlane: HttpxRocketlaneClient,
    opportunities: list[str],
) -> Figures:
    def settled(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            action()
            stack.settle(DEFAULT_SETTLE_TIMEOUT_S)

        return run

    later = (date.today() + timedelta(days=45)).isoformat()
    win = settled(lambda: update_all(seller, opportunities, StageName="Closed Won"))
    rederive = settled(lambda: replay_opportunity_events(stack, opportunities))
    update = settled(lambda: update_all(seller, opportunities, CloseDate=later))

    with meter.spent() as create:
        create_seconds = timed(win)
    records = naive.query(PROJECTS_QUERY)
    with meter.spent() as create_naive:
        naive_create(naive, rocketlane, stack, records)
    stack.settle(DEFAULT_SETTLE_TIMEOUT_S)

    with meter.spent() as noop:
        noop_seconds = timed(rederive)
    with meter.spent() as noop_naive:
        naive_push_everything(naive, rocketlane, stack, records, per_record=False)
    stack.settle(DEFAULT_SETTLE_TIMEOUT_S)

    with meter.spent() as changed:
        update_seconds = timed(update)
    records = naive.query(PROJECTS_QUERY)
    with meter.spent() as changed_naive:
        naive_push_everything(naive, rocketlane, stack, records, per_record=True)
    stack.settle(DEFAULT_SETTLE_TIMEOUT_S)

    projects = len(records)
    measured = [
        ("create", create, create_naive, create_seconds),
        ("no-op re-derive", noop, noop_naive, noop_seconds),
        ("update", changed, changed_naive, update_seconds),
    ]
    rows = [
        Row.of(name, handoff[0], baseline[0], projects=projects, seconds=seconds)
        for name, handoff, baseline, seconds in measured
    ]
    refused = sum(s[0].rocketlane_429s for s in (create, noop, changed))
    return Figures(len(opportunities), projects, create_seconds, rows, refused)


def update_all(
    seller: HttpxSalesforceClient, opportunities: Sequence[str], **fields: Any
) -> None:
    """Change every opportunity the same way, one call each."""
    for opportunity in opportunities:
        seller.update("Opportunity", opportunity, fields)


# --- the naive baseline -------------------------------------------------------------


def naive_reads(salesforce: HttpxSalesforceClient, deal_id: str) -> None:
    """What Handoff reads to derive a deal: it, its lines, its Project__c set."""
    deal = soql_id(deal_id)
    salesforce.query(f"{DEAL_QUERY} WHERE Id = {deal}")
    salesforce.query(f"{LINES_QUERY} WHERE OpportunityId = {deal}")
    read_projects_of_deal(salesforce, deal_id)


def by_deal(records: Records) -> dict[str, list[dict[str, Any]]]:
    """Project__c records grouped by the deal they were derived from."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["Source_Record_Id__c"], []).append(record)
    return grouped


def naive_create(
    salesforce: HttpxSalesforceClient,
    rocketlane: HttpxRocketlaneClient,
    stack: Stack,
    records: Records,
) -> None:
    """Provision each project the naive way, under a reference of its own.

    Per deal, Handoff's reads; per project: one Project__c upsert, the
    look-up by reference and the create on Rocketlane, and one write-back
    of the Rocketlane ID, instead of one Collections upsert per deal and
    batched write-backs.
    """
    for deal_id, deal_records in by_deal(records).items():
        naive_reads(salesforce, deal_id)
        for record in deal_records:
            naive_provision(salesforce, rocketlane, stack, record)


def naive_provision(
    salesforce: HttpxSalesforceClient,
    rocketlane: HttpxRocketlaneClient,
    stack: Stack,
    record: dict[str, Any],
) -> None:
    """Upsert one Project__c, create its project, write the ID back."""
    key = record["Handoff_Key__c"]
    salesforce.upsert("Project__c", "Handoff_Key__c", key, {"Name": record["Name"]})
    reference = f"bench-naive-{key}"
    if rocketlane.find_project_by_reference(reference) is not None:
        return
    rocketlane.create_project(naive_project_body(stack, record, reference))
    salesforce.update(
        "Project__c",
        record["Id"],
        {"Rocketlane_Project_Id__c": record["Rocketlane_Project_Id__c"]},
    )


def naive_project_body(
    stack: Stack, record: dict[str, Any], reference: str
) -> dict[str, Any]:
    """A copy of Handoff's project for ``record``, under another reference."""
    project = stack.sandboxes.workspace.project_view(
        int(record["Rocketlane_Project_Id__c"])
    )
    return {
        "projectName": f"{record['Name']} (naive)",
        "externalReferenceId": reference,
        "owner": {"emailId": project["owner"]["emailId"]},
        "customer": {"companyName": project["customer"]["companyName"]},
        "startDate": project.get("startDate"),
        "dueDate": project.get("dueDate"),
    }


def naive_push_everything(
    salesforce: HttpxSalesforceClient,
    rocketlane: HttpxRocketlaneClient,
    stack: Stack,
    records: Records,
    *,
    per_record: bool,
) -> None:
    """Re-derive without deltas: write every Project__c, PUT every project.

    Per deal, Handoff's reads, then every Project__c written again
    (``per_record``: one call each, else one Collections call per deal);
    every project is read, as Handoff reads it before a PUT, and every
    mapped field PUT to it.
    """
    for deal_id, deal_records in by_deal(records).items():
        naive_reads(salesforce, deal_id)
        rows = [
            {"Handoff_Key__c": r["Handoff_Key__c"], "Name": r["Name"]}
            for r in deal_records
        ]
        if per_record:
            for row in rows:
                salesforce.upsert(
                    "Project__c", "Handoff_Key__c", row["Handoff_Key__c"], row
                )
        else:
            salesforce.upsert_many("Project__c", "Handoff_Key__c", rows)
        for record in deal_records:
            project_id = int(record["Rocketlane_Project_Id__c"])
            rocketlane.get_project(project_id)
            rocketlane.update_project(project_id, full_fields(stack, project_id))


def full_fields(stack: Stack, project_id: int) -> dict[str, Any]:
    """Every Salesforce-owned field of the project, as the sandbox holds it."""
    project = stack.sandboxes.workspace.project_view(project_id)
    return {
        "projectName": project["projectName"],
        "startDate": project.get("startDate"),
        "dueDate": project.get("dueDate"),
    }


def replay_opportunity_events(stack: Stack, opportunities: Sequence[str]) -> None:
    """Post each deal's latest Opportunity change event to the ingress again."""
    wanted = set(opportunities)
    latest: dict[str, dict[str, Any]] = {}
    for event in stack.sandboxes.org.bus.events:
        if event["channel"] != "/data/OpportunityChangeEvent":
            continue
        header = event["data"]["payload"]["ChangeEventHeader"]
        for record_id in header["recordIds"]:
            if record_id in wanted:
                latest[record_id] = event
    with httpx.Client() as client:
        for event in latest.values():
            url = f"{stack.ingress.url}/events/salesforce"
            client.post(url, json=event).raise_for_status()


# --- output -------------------------------------------------------------------------


def render(figures: Figures) -> str:
    """The figures as a small table."""
    lines = [
        f"Handoff benchmark: {figures.deals} deals, {figures.projects} projects "
        "(embedded stack, in-process broker, SQLite)",
        f"provisioning throughput: {figures.throughput:.2f} projects/s "
        f"({figures.projects} in {figures.create_seconds:.1f} s, "
        "from Closed Won to settled)",
        "",
        "API calls per project, like for like: both paths count reads and writes,",
        "and the naive path makes Handoff's reads; RL wr = Rocketlane writes alone.",
        "                              Handoff                naive",
        "scenario                 SF      RL   RL wr     SF      RL   RL wr   elapsed",
    ]
    for row in figures.rows:
        lines.append(
            f"{row.scenario:<18} {row.salesforce:7.2f} {row.rocketlane:7.2f}"
            f" {row.rocketlane_writes:7.2f} {row.baseline_salesforce:7.2f}"
            f" {row.baseline_rocketlane:7.2f} {row.baseline_rocketlane_writes:7.2f}"
            f"  {row.seconds:6.1f} s"
        )
    lines.append(f"Rocketlane 429s received by Handoff: {figures.rate_limited}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ops.bench.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--deals",
        type=int,
        default=DEFAULT_DEALS,
        help="deals won (default %(default)s)",
    )
    parser.add_argument(
        "--lines",
        type=int,
        default=DEFAULT_LINES,
        choices=range(1, len(PRODUCT_CODES) + 1),
        help="deliverables per deal (default %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="worker threads (default %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> Figures:
    """Run the benchmark once and print its figures."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="handoff-bench-") as folder:
        settings = load_settings(
            database_url=f"sqlite:///{Path(folder) / 'handoff.db'}",
            min_backoff_ms=50,
            max_backoff_ms=500,
            log_level="WARNING",
        )
        stack = start_stack(
            settings, broker=build_broker(settings), threads=args.threads
        )
        try:
            figures = run_benchmark(stack, deals=args.deals, lines=args.lines)
        finally:
            stack.stop()
    print(render(figures))  # noqa: T201
    return figures


if __name__ == "__main__":
    main()
