"""`handoff worker` exposes Prometheus metrics when HANDOFF_METRICS_PORT is set."""

from __future__ import annotations

import httpx
import pytest

from handoff.ops.serving import free_port
from tests import sales
from tests.fixtures.distributed import Distributed

pytestmark = pytest.mark.integration

METRICS_PORT = free_port()


@pytest.fixture
def distributed_env() -> dict[str, str]:
    return {"HANDOFF_METRICS_PORT": str(METRICS_PORT)}


def metrics() -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{METRICS_PORT}/", timeout=2).text
    except httpx.HTTPError:
        return ""


def test_processed_messages_are_counted_per_actor(distributed: Distributed) -> None:
    sales.sell(distributed.sandboxes, stage="Closed Won")

    text = distributed.wait_for(
        lambda: (t := metrics()) and 'actor_name="provision"' in t and t,
        what="provision to show in the metrics",
    )

    assert "dramatiq_messages_total" in text
    assert 'dramatiq_messages_total{actor_name="derive",queue_name="derive"}' in text
    assert "dramatiq_message_duration_milliseconds_bucket" in text
