"""`handoff plan` and `handoff capacity` as commands, against served sandboxes.

The deal is set up on the embedded stack. The commands then run in their
own process, configured only by HANDOFF_* variables, against a second pair
of servers over the same org and workspace that count every request, so a
write by either command cannot go unnoticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from handoff.ops.sandbox import rocketlane as rl_sandbox
from handoff.ops.sandbox import salesforce as sf_sandbox
from handoff.ops.sandbox.rocketlane.config import DEFAULT_API_KEY
from handoff.ops.sandbox.salesforce.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
)
from handoff.ops.serving import ServerThread
from handoff.ops.stack import Stack
from tests.e2e.test_lifecycle_policies import add_routes
from tests.e2e.test_lifecycle_rules import sell, the_project

pytestmark = pytest.mark.integration

HANDOFF = str(Path(sys.executable).with_name("handoff"))
READS = frozenset({"GET", "HEAD"})
TOKEN_PATH = "/services/oauth2/token"


class CountingApp:
    """An ASGI app that tallies the requests it passes on, by kind."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls[_kind(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)

    @property
    def writes(self) -> int:
        return self.calls["write"]


def _kind(method: str, path: str) -> str:
    if path.endswith(TOKEN_PATH):
        return "login"
    return "read" if method in READS else "write"


class Counted:
    """Counting servers over the stack's org and workspace."""

    def __init__(self, stack: Stack) -> None:
        sandboxes = stack.sandboxes
        self.salesforce = CountingApp(
            sf_sandbox.build_app(
                sandboxes.org, config=sf_sandbox.SandboxConfig(seed=False)
            )
        )
        self.rocketlane = CountingApp(rl_sandbox.build_app(sandboxes.workspace))
        self.servers = [
            ServerThread(self.salesforce).start(),
            ServerThread(self.rocketlane).start(),
        ]

    def env(self, stack: Stack, policy_file: Path) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HANDOFF_", "OTEL_"))
        }
        salesforce, rocketlane = (server.url for server in self.servers)
        return base | {
            "HANDOFF_SALESFORCE_URL": salesforce,
            "HANDOFF_SALESFORCE_CLIENT_ID": DEFAULT_CLIENT_ID,
            "HANDOFF_SALESFORCE_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "HANDOFF_ROCKETLANE_URL": rocketlane + "/api/1.0",
            "HANDOFF_ROCKETLANE_API_KEY": DEFAULT_API_KEY,
            "HANDOFF_DATABASE_URL": str(stack.settings.database_url),
            "HANDOFF_POLICY_FILE": str(policy_file),
        }

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def counted(embedded_stack: Stack) -> Iterator[Counted]:
    servers = Counted(embedded_stack)
    yield servers
    servers.stop()


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("routing:\n  source: salesforce\n", encoding="utf-8")
    return path


def handoff(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANDOFF, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def hours(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["rocketlane_project_id"], row["month"], row["soft_hours"]


def test_plan_prints_the_projects_and_route_problems_and_writes_nothing(
    embedded_stack: Stack, counted: Counted, policy_file: Path
) -> None:
    add_routes(embedded_stack.sandboxes.salesforce_client(client_tag="admin"))
    seller, opportunity = sell(embedded_stack, stage="Proposal/Price Quote")
    embedded_stack.settle()
    events = len(embedded_stack.sandboxes.org.bus.events)
    audit = len(embedded_stack.store.list_audit(limit=10_000))
    env = counted.env(embedded_stack, policy_file)

    text = handoff("plan", opportunity, env=env)
    as_json = handoff("plan", opportunity, "--json", env=env)

    assert text.returncode == 0, text.stderr
    assert "Acme Corp – CORE-IMP – EMEA" in text.stdout
    assert "Template route problem: Template route Broken" in text.stdout
    (deal,) = json.loads(as_json.stdout)["deals"]
    (planned,) = deal["projects"]
    assert planned["template_id"] == 1003
    assert planned["key"] == the_project(seller)["Handoff_Key__c"]
    assert counted.salesforce.calls["read"] > 0
    assert counted.salesforce.writes == counted.rocketlane.writes == 0
    assert len(embedded_stack.sandboxes.org.bus.events) == events
    assert len(embedded_stack.store.list_audit(limit=10_000)) == audit


def test_plan_of_a_missing_record_fails_with_one_readable_line(
    embedded_stack: Stack, counted: Counted, policy_file: Path
) -> None:
    env = counted.env(embedded_stack, policy_file)

    result = handoff("plan", "006000000000404AAA", env=env)

    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot plan 006000000000404AAA")
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert counted.salesforce.writes == 0


def test_capacity_reports_hours_by_month_and_frees_cancelled_projects(
    embedded_stack: Stack, counted: Counted, policy_file: Path
) -> None:
    seller, opportunity = sell(embedded_stack, stage="Proposal/Price Quote")
    embedded_stack.settle()
    project_id = int(the_project(seller)["Rocketlane_Project_Id__c"])
    month = date.today().replace(day=1) + timedelta(days=40)
    embedded_stack.sandboxes.workspace.add_allocation(
        {
            "projectId": project_id,
            "startDate": month.isoformat(),
            "endDate": (month + timedelta(days=10)).isoformat(),
            "allocationType": "SOFT",
        }
    )
    env = counted.env(embedded_stack, policy_file)

    before = json.loads(handoff("capacity", "--json", env=env).stdout)
    seller.update("Opportunity", opportunity, {"StageName": "Closed Lost"})
    embedded_stack.settle()
    writes = counted.rocketlane.writes
    after = handoff("capacity", "--json", env=env)
    kept = handoff("capacity", "--json", "--include-cancelled", env=env)

    assert {int(row["rocketlane_project_id"]) for row in before} == {project_id}
    assert sum(row["soft_hours"] for row in before) > 0
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == []
    assert [hours(row) for row in json.loads(kept.stdout)] == [
        hours(row) for row in before
    ]
    assert {row["forecast_state"] for row in json.loads(kept.stdout)} == {"Cancelled"}
    assert counted.rocketlane.writes == writes == 0
