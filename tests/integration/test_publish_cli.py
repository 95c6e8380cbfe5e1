"""`handoff publish` validates its input and enqueues onto the real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

pytestmark = pytest.mark.integration

HANDOFF = str(Path(sys.executable).with_name("handoff"))
OPPORTUNITY = "006000000000001AAA"


def event(
    record_id: str = OPPORTUNITY, entity: str = "Opportunity"
) -> dict[str, object]:
    return {
        "ChangeEventHeader": {
            "entityName": entity,
            "recordIds": [record_id],
            "changeType": "UPDATE",
            "changeOrigin": "com/salesforce/api/rest/62.0;client=sales-app",
            "transactionKey": "tx-1",
            "sequenceNumber": 1,
        },
        "StageName": "Closed Won",
    }


def run(
    args: list[str], stdin: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANDOFF, "publish", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(redis_url: str, unique_name: str) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "OTEL_"))
    }
    return base | {"HANDOFF_BROKER_URL": redis_url, "HANDOFF_NAMESPACE": unique_name}


def queued(redis_url: str, namespace: str, queue: str) -> int:
    return int(redis.Redis.from_url(redis_url).llen(f"{namespace}:{queue}"))


def test_events_from_standard_input_are_enqueued_for_derive(
    env: dict[str, str], redis_url: str, unique_name: str
) -> None:
    lines = "\n".join(json.dumps(event(f"00600000000000{n}AAA")) for n in range(3))

    done = run(["-"], lines, env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.count("derive Opportunity:") == 3
    assert queued(redis_url, unique_name, "derive") == 3


def test_a_malformed_event_is_refused_and_nothing_is_enqueued(
    env: dict[str, str], redis_url: str, unique_name: str
) -> None:
    bad = [
        event(),
        {
            "ChangeEventHeader": {
                "entityName": "Opportunity",
                "recordIds": ["x"],
                "changeType": "UPDATE",
            }
        },
    ]

    done = run(["-"], json.dumps(bad), env)

    assert done.returncode == 1
    assert (
        "event 1: ChangeEventHeader.recordIds: 'x' is not a Salesforce ID"
        in done.stderr
    )
    assert queued(redis_url, unique_name, "derive") == 0


def test_a_dry_run_routes_without_a_broker(env: dict[str, str]) -> None:
    echo = event(entity="Project__c", record_id="a01000000000001AAA")
    echo["ChangeEventHeader"]["changeOrigin"] = (
        "com/salesforce/api/rest/62.0;client=handoff"  # type: ignore[index]
    )
    env = {k: v for k, v in env.items() if k != "HANDOFF_BROKER_URL"}

    done = run(["--dry-run", "-"], json.dumps([event(), echo]), env)

    assert done.returncode == 0, done.stderr
    assert "derive Opportunity:006000000000001" in done.stdout
    assert "skipped, an echo of Handoff's own write" in done.stdout
