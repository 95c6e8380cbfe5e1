"""The Rocketlane webhook endpoint over a real socket, against Rocketlane's 10 s.

The ingress answers from local work only (validate, de-duplicate in the
store, enqueue): no Salesforce or Rocketlane call happens while Rocketlane
waits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from handoff.actors.broker import build_broker
from handoff.actors.producer import Producer
from handoff.actors.webhooks import WEBHOOK_SOURCE
from handoff.adapters.store import SqlAlchemyStore, make_sqlite_store
from handoff.ops.ingress import IngressConfig, build_ingress
from handoff.ops.serving import ServerThread
from handoff.ops.stack import Sandboxes, start_sandboxes
from handoff.settings import load_settings

ROCKETLANE_TIMEOUT_S = 10.0
FAR_BELOW_S = 1.0
KEY = "HO-0123456789ABCDEF0123"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlAlchemyStore]:
    store = make_sqlite_store(tmp_path)
    store.ensure_mapping(
        KEY, status="active", salesforce_project_id="a01000000000001AAA"
    )
    store.set_rocketlane_project(KEY, 501)
    yield store
    store.close()


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    started = start_sandboxes()
    yield started
    started.stop()


@pytest.fixture
def broker() -> Any:
    return build_broker(load_settings())


@pytest.fixture
def ingress(store: SqlAlchemyStore, broker: Any) -> Iterator[ServerThread]:
    def correlation_of(project_id: int) -> str | None:
        mapping = store.find_mapping(rocketlane_project_id=project_id)
        return None if mapping is None else mapping.correlation_key

    config = IngressConfig(
        webhook_username="rocketlane",
        webhook_password="s3cret",
        first_delivery=lambda event_id: store.mark_processed(WEBHOOK_SOURCE, event_id),
        correlation_of=correlation_of,
    )
    with ServerThread(build_ingress(Producer(broker), config)) as server:
        yield server


def envelope(event_id: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "eventType": "TASK_UPDATED",
        "data": {
            "task": {"taskId": 77, "type": "MILESTONE", "project": {"projectId": 501}}
        },
        "source": {"actor": {"emailId": "pm@customer.example", "userId": 9}},
    }


def queued(broker: Any, queue: str) -> int:
    return int(broker.queues[queue].qsize()) if queue in broker.queues else 0


def test_a_webhook_is_answered_far_within_rocketlanes_10_seconds(
    ingress: ServerThread, sandboxes: Sandboxes, broker: Any
) -> None:
    calls_before = sandboxes.org.usage.used
    url = f"{ingress.url}/webhooks/rocketlane"

    with httpx.Client(
        auth=("rocketlane", "s3cret"), timeout=ROCKETLANE_TIMEOUT_S
    ) as client:
        started = time.perf_counter()
        response = client.post(url, json=envelope("evt-1"))
        elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed < FAR_BELOW_S
    assert queued(broker, "milestone_accept") == 1
    assert sandboxes.org.usage.used == calls_before


def test_over_the_socket_an_unauthenticated_webhook_gets_401(
    ingress: ServerThread, broker: Any
) -> None:
    response = httpx.post(f"{ingress.url}/webhooks/rocketlane", json=envelope("evt-2"))

    assert response.status_code == 401
    assert queued(broker, "milestone_accept") == 0


def test_over_the_socket_a_repeated_event_is_enqueued_once(
    ingress: ServerThread, broker: Any
) -> None:
    with httpx.Client(auth=("rocketlane", "s3cret")) as client:
        answers = [
            client.post(f"{ingress.url}/webhooks/rocketlane", json=envelope("evt-3"))
            for _ in range(3)
        ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert queued(broker, "milestone_accept") == 1
