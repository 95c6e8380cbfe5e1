"""The actor pipeline on the in-process broker: retries, dead letters, traces.

These run the real middleware, the real actors and a real SQLite store; only
Salesforce and Rocketlane are stand-ins that fail the way a test needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from handoff.actors.bootstrap import EmbeddedWorker
from handoff.actors.broker import build_broker, enqueue
from handoff.actors.messages import ProvisionRequested
from handoff.actors.middleware import TRACE_OPTION
from handoff.actors.runtime import Runtime
from handoff.adapters.errors import NotFound, RateLimited, ServiceUnavailable
from handoff.adapters.locks import InMemoryProjectLocks
from handoff.adapters.store import SqlAlchemyStore, make_sqlite_store
from handoff.adapters.telemetry import configure_tracing
from handoff.domain.policy import DEFAULT_POLICY
from handoff.settings import load_settings

PROJECT = "a01000000000001AAA"
KEY = "HO-0123456789ABCDEF0123"


class ScriptedSalesforce:
    """Raises the scripted errors in turn, then reports the record missing."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def query(self, soql: str) -> list[dict[str, Any]]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return []


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    configure_tracing(
        extra_processors=(SimpleSpanProcessor(exporter),), instrument=False
    )
    return exporter


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlAlchemyStore]:
    store = make_sqlite_store(tmp_path)
    yield store
    store.close()


def run_provision(
    store: SqlAlchemyStore,
    salesforce: Any,
    payload: dict[str, Any],
    *,
    max_retries: int = 3,
) -> EmbeddedWorker:
    settings = load_settings(
        max_retries=max_retries, min_backoff_ms=10, max_backoff_ms=40
    )
    broker = build_broker(settings)
    runtime = Runtime(
        policy=DEFAULT_POLICY,
        salesforce=salesforce,
        rocketlane=None,  # type: ignore[arg-type]
        store=store,
        locks=InMemoryProjectLocks(wait=1),
        send=lambda message, *, delay_ms=None: None,
    )
    worker = EmbeddedWorker(broker, runtime, threads=2).start()
    try:
        enqueue(broker, payload, "provision")
        worker.drain(timeout=30)
    finally:
        worker.stop()
    return worker


def provision_payload() -> dict[str, Any]:
    return ProvisionRequested(correlation_id=KEY, project_id=PROJECT).payload()


def test_a_malformed_message_is_dead_lettered_with_the_reason(
    store: SqlAlchemyStore,
) -> None:
    run_provision(
        store, ScriptedSalesforce(), {"correlation_id": KEY, "project_id": "nope"}
    )

    (letter,) = store.list_dead_letters(status="open")
    assert letter.actor == "provision"
    assert letter.error_type == "MalformedMessage"
    assert "'nope' is not a 15 or 18 character Salesforce ID" in letter.error
    assert letter.correlation_key == KEY
    assert letter.attempts == 1


def test_a_permanent_error_is_not_retried(store: SqlAlchemyStore) -> None:
    salesforce = ScriptedSalesforce(NotFound("Project__c is gone", system="salesforce"))

    run_provision(store, salesforce, provision_payload())

    (letter,) = store.list_dead_letters(status="open")
    assert salesforce.calls == 1
    assert letter.error_type == "NotFound"
    assert "Project__c is gone" in letter.error


def test_a_transient_error_is_retried_then_dead_lettered(
    store: SqlAlchemyStore,
) -> None:
    outage = [
        ServiceUnavailable("503 from Salesforce", system="salesforce")
        for _ in range(10)
    ]
    salesforce = ScriptedSalesforce(*outage)

    run_provision(store, salesforce, provision_payload(), max_retries=2)

    (letter,) = store.list_dead_letters(status="open")
    assert salesforce.calls == 3
    assert letter.error_type == "ServiceUnavailable"
    assert letter.error.startswith("gave up after 3 attempts")
    assert letter.attempts == 3


def test_a_rate_limit_waits_its_retry_after_and_then_succeeds(
    store: SqlAlchemyStore,
) -> None:
    salesforce = ScriptedSalesforce(
        RateLimited("slow down", retry_after=0.05, system="rocketlane")
    )

    run_provision(store, salesforce, provision_payload())

    assert salesforce.calls == 2
    (letter,) = store.list_dead_letters(status="open")
    assert (
        letter.error_type == "NotFound"
    )  # the scripted record is missing after the wait


def test_the_dead_letter_joins_the_trace_of_the_failed_message(
    store: SqlAlchemyStore, spans: InMemorySpanExporter
) -> None:
    spans.clear()
    tracer = trace.get_tracer("test")

    with tracer.start_as_current_span("producer") as root:
        run_provision(
            store,
            ScriptedSalesforce(NotFound("gone", system="salesforce")),
            provision_payload(),
        )

    trace_id = root.get_span_context().trace_id
    names = {
        span.name
        for span in spans.get_finished_spans()
        if span.context.trace_id == trace_id
    }
    assert {"producer", "provision", "dead_letter"} <= names
    provision = next(s for s in spans.get_finished_spans() if s.name == "provision")
    assert provision.attributes is not None
    assert provision.attributes["handoff.correlation_id"] == KEY
    (letter,) = store.list_dead_letters(status="open")
    assert letter.trace_id == format(trace_id, "032x")
    assert TRACE_OPTION in letter.message["options"]
