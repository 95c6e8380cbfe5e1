"""The walking skeleton as it runs in production.

`handoff ingress` and `handoff worker` (two processes) run as their own
processes on the real Redis and PostgreSQL; both sandboxes are served over
real sockets; traces go over OTLP to a collector the test reads.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import pytest

from tests import sales
from tests.fixtures.distributed import Distributed

pytestmark = pytest.mark.integration


def sell(running: Distributed, *, stage: str) -> tuple[Any, str]:
    return sales.sell(running.sandboxes, account="Globex", region="AMER", stage=stage)


def synced_projects(seller: Any) -> list[dict[str, Any]]:
    rows = seller.query(
        "SELECT Id, Handoff_Key__c, Rocketlane_Project_Id__c, Sync_Status__c FROM Project__c"
    )
    return [row for row in rows if row["Sync_Status__c"] == "Synced"]


def rocketlane_projects(running: Distributed, reference: str) -> list[dict[str, Any]]:
    return sales.rocketlane_projects(running.sandboxes, reference)


def opportunity_events(running: Distributed, opportunity: str) -> list[dict[str, Any]]:
    return [
        event
        for event in running.sandboxes.org.bus.events
        if opportunity in event["data"]["payload"]["ChangeEventHeader"]["recordIds"]
    ]


def test_duplicate_and_concurrent_events_give_one_project(
    distributed: Distributed,
) -> None:
    seller, opportunity = sell(distributed, stage="Prospecting")
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    won = opportunity_events(distributed, opportunity)[-1]

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        posts = [
            pool.submit(
                httpx.post, f"{distributed.ingress_url}/events/salesforce", json=won
            )
            for _ in range(6)
        ]
        assert all(post.result().status_code == 202 for post in posts)
    (project,) = distributed.wait_for(
        lambda: synced_projects(seller), what="the project to sync"
    )
    distributed.wait_for(lambda: _quiet(distributed), what="the queues to drain")

    assert len(seller.query("SELECT Id FROM Project__c")) == 1
    assert len(rocketlane_projects(distributed, project["Id"])) == 1
    store = distributed.store()
    mapping = store.get_mapping(project["Handoff_Key__c"])
    assert (
        mapping is not None
        and str(mapping.rocketlane_project_id) == project["Rocketlane_Project_Id__c"]
    )
    assert store.list_dead_letters(status="open") == []


def test_a_lost_create_response_does_not_create_a_second_project(
    distributed: Distributed,
) -> None:
    httpx.post(
        f"{distributed.sandboxes.rocketlane.url}/__sandbox/faults",
        json={"operation": "projects.create", "kind": "drop", "count": 1},
    ).raise_for_status()

    seller, opportunity = sell(distributed, stage="Prospecting")
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    (project,) = distributed.wait_for(
        lambda: synced_projects(seller), what="the project to sync"
    )

    assert len(rocketlane_projects(distributed, project["Id"])) == 1
    creates = [
        entry
        for entry in distributed.store().list_audit(
            correlation_key=project["Handoff_Key__c"]
        )
        if entry.system == "rocketlane" and entry.operation == "create"
    ]
    assert (
        creates == []
    )  # the project was adopted by its reference, never created twice


def test_a_permanent_error_lands_in_the_dead_letter_table_with_its_reason(
    distributed: Distributed,
) -> None:
    httpx.post(
        f"{distributed.sandboxes.rocketlane.url}/__sandbox/faults",
        json={"operation": "projects.create", "kind": "error", "status": 400},
    ).raise_for_status()

    sell(distributed, stage="Closed Won")
    store = distributed.store()
    letters = distributed.wait_for(
        lambda: store.list_dead_letters(status="open"), what="a dead letter"
    )

    # Each change event (the Opportunity, then its line) asked for provision
    # once; every one of those messages fails for good, and each is kept.
    letter = letters[0]
    assert {other.correlation_key for other in letters} == {letter.correlation_key}
    assert letter.actor == "provision"
    assert letter.error_type == "InvalidRequest"
    assert "400" in letter.error
    assert letter.attempts == 1
    assert letter.correlation_key.startswith("HO-")
    assert letter.message["args"][0]["correlation_id"] == letter.correlation_key


def test_one_trace_spans_the_actors_of_a_project(distributed: Distributed) -> None:
    seller, opportunity = sell(distributed, stage="Prospecting")
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    (project,) = distributed.wait_for(
        lambda: synced_projects(seller), what="the project to sync"
    )
    distributed.wait_for(lambda: _quiet(distributed), what="the queues to drain")
    distributed.stop_workers()

    entry = next(
        e
        for e in distributed.store().list_audit(
            correlation_key=project["Handoff_Key__c"]
        )
        if e.trace_id
    )
    spans = distributed.wait_for(
        lambda: _complete(distributed, entry.trace_id), what="the trace to arrive"
    )

    by_id = {span.span_id: span for span in spans}
    # Each change event asked for provision; the one that created the project
    # carries its Rocketlane ID, the others found it already mapped.
    provisions = [span for span in spans if span.name == "provision"]
    provision = next(s for s in provisions if "rocketlane.project_id" in s.attributes)
    assert all(
        s.attributes["salesforce.project_id"] == project["Id"] for s in provisions
    )
    ancestry = _ancestors(provision, by_id)
    assert [span.name for span in ancestry][:2] == ["derive", "POST /events/salesforce"]
    assert provision.attributes["handoff.correlation_id"] == project["Handoff_Key__c"]
    assert provision.attributes["salesforce.project_id"] == project["Id"]
    assert (
        provision.attributes["rocketlane.project_id"]
        == project["Rocketlane_Project_Id__c"]
    )
    http_children = [
        span
        for span in spans
        if span.parent_span_id == provision.span_id
        and any(key.startswith("http.") for key in span.attributes)
    ]
    assert http_children, "HTTP calls of provision are child spans"
    assert {span.service for span in spans} >= {"handoff-ingress", "handoff"}


def _complete(running: Distributed, trace_id: str) -> list[Any]:
    spans = running.collector.trace(trace_id)
    names = {span.name for span in spans}
    return spans if {"POST /events/salesforce", "derive", "provision"} <= names else []


def _ancestors(span: Any, by_id: dict[str, Any]) -> list[Any]:
    chain = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span)
    return chain


def _quiet(running: Distributed) -> bool:
    import redis

    client = redis.Redis.from_url(running.env["HANDOFF_BROKER_URL"])
    namespace = running.env["HANDOFF_NAMESPACE"]
    keys = client.keys(f"{namespace}:*")
    queued = sum(client.llen(k) for k in keys if client.type(k) == b"list")
    acks = sum(
        client.scard(k) for k in keys if k.endswith(b".acks") or b"__acks__" in k
    )
    return queued == 0 and acks == 0
