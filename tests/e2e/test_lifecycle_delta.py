"""update-delta on the embedded stack: owners, bookkeeping and cancellation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import httpx

from handoff.ops.stack import Stack
from tests.e2e.test_lifecycle_rules import CLOSE, sell, the_project

NEW_OWNER = "dana.lee@acme.example"
FOREIGN_KEY = "salesforce_written"


def record_puts(stack: Stack) -> list[tuple[int, dict[str, Any]]]:
    """Every PUT /projects/{id} body the workspace receives from now on."""
    puts: list[tuple[int, dict[str, Any]]] = []
    workspace = stack.sandboxes.workspace
    update = workspace.update_project

    def recorded(project_id: int, body: Any, *args: Any, **kwargs: Any) -> Any:
        puts.append((int(project_id), dict(body)))
        return update(project_id, body, *args, **kwargs)

    workspace.update_project = recorded  # type: ignore[method-assign]
    return puts


def seed_owner(stack: Stack, email: str) -> str:
    """A Salesforce user and a Rocketlane user sharing ``email``; the SF ID."""
    httpx.post(
        f"{stack.sandboxes.rocketlane.url}/__sandbox/users",
        json={"email": email, "firstName": "Dana", "lastName": "Lee"},
        timeout=10,
    ).raise_for_status()
    with stack.sandboxes.org.transaction() as tx:
        return str(
            tx.create(
                "User",
                {
                    "Username": email,
                    "Email": email,
                    "FirstName": "Dana",
                    "LastName": "Lee",
                },
            )
        )


def test_a_new_opportunity_owner_becomes_the_project_owner(
    embedded_stack: Stack,
) -> None:
    seller, opportunity = sell(embedded_stack, stage="Closed Won")
    embedded_stack.settle()
    project_id = int(the_project(seller)["Rocketlane_Project_Id__c"])
    owner = seed_owner(embedded_stack, NEW_OWNER)
    puts = record_puts(embedded_stack)

    seller.update("Opportunity", opportunity, {"OwnerId": owner})
    embedded_stack.settle()

    owner_puts = [body for pid, body in puts if "owner" in body]
    assert [pid for pid, _ in puts] == [project_id]
    assert len(owner_puts) == 1
    assert owner_puts[0]["owner"] == {"emailId": NEW_OWNER}
    stored = embedded_stack.sandboxes.workspace.projects[project_id]["owner"]
    assert stored["emailId"] == NEW_OWNER


def test_update_delta_keeps_bookkeeping_written_while_it_pushed(
    embedded_stack: Stack,
) -> None:
    """A write to ``last_pushed`` racing the push survives the merge."""
    seller, opportunity = sell(embedded_stack, stage="Closed Won")
    embedded_stack.settle()
    key = the_project(seller)["Handoff_Key__c"]
    moved = (CLOSE + timedelta(days=9)).isoformat()
    store = embedded_stack.store
    real_update = store.update_mapping
    raced: Counter[str] = Counter()

    def racing(correlation_key: str, **changes: Any) -> Any:
        pushed = changes.get("last_pushed") or {}
        if not raced and pushed.get("Start_Date__c") == moved:
            raced["write-back"] += 1
            current = store.get_mapping(correlation_key)
            bookkeeping = {FOREIGN_KEY: {"Marker__c": "kept"}}
            real_update(
                correlation_key, last_pushed={**current.last_pushed, **bookkeeping}
            )
        return real_update(correlation_key, **changes)

    store.update_mapping = racing

    seller.update("Opportunity", opportunity, {"CloseDate": moved})
    embedded_stack.settle()

    mapping = store.get_mapping(key)
    assert raced["write-back"] == 1
    assert mapping.last_pushed["Start_Date__c"] == moved
    assert mapping.last_pushed[FOREIGN_KEY]["Marker__c"] == "kept"
