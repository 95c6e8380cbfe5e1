"""An org's validation rule refuses Handoff's write: dead letter and audit.

Runs on the embedded stack: real HTTP sandboxes and ingress, the in-process
broker, worker threads, SQLite.
"""

from __future__ import annotations

import httpx

from handoff.ops.stack import Stack
from tests import sales

RULE_MESSAGE = "EMEA projects are frozen this quarter."
RULE = {
    "object": "Project__c",
    "name": "No_EMEA_Projects",
    "formula": "Region__c = 'EMEA'",
    "message": RULE_MESSAGE,
    "field": "Region__c",
}


def test_a_rule_refusing_the_project_upsert_dead_letters_derive(
    embedded_stack: Stack,
) -> None:
    """derive's message is not retried; its error and audit carry the rule."""
    added = httpx.post(
        f"{embedded_stack.sandboxes.salesforce_url}/__sandbox/validation-rules",
        json=RULE,
    )
    assert added.status_code == 201, added.text
    seller, opportunity = sales.sell(embedded_stack.sandboxes, region="EMEA")

    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    embedded_stack.settle()

    assert seller.query("SELECT Id FROM Project__c") == []
    letters = embedded_stack.store.list_dead_letters(status="open")
    assert letters, "derive's refused message should be dead-lettered"
    for letter in letters:
        assert letter.actor == "derive"
        assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in letter.error
        assert RULE_MESSAGE in letter.error
    audit = embedded_stack.store.list_audit(system="salesforce")
    failed = [e for e in audit if e.outcome == "error"]
    assert failed
    assert {(e.operation, e.actor, e.record_type) for e in failed} == {
        ("upsert", "derive", "Project__c")
    }
    assert all(RULE_MESSAGE in (e.error or "") for e in failed)


def test_the_same_deal_provisions_once_the_rule_is_removed(
    embedded_stack: Stack,
) -> None:
    """Without the rule the walking skeleton holds: the project is written."""
    rules_url = f"{embedded_stack.sandboxes.salesforce_url}/__sandbox/validation-rules"
    httpx.post(rules_url, json=RULE | {"active": False}).raise_for_status()
    seller, opportunity = sales.sell(embedded_stack.sandboxes, region="EMEA")

    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    embedded_stack.settle()

    (project,) = seller.query("SELECT Id, Region__c FROM Project__c")
    assert project["Region__c"] == "EMEA"
    assert embedded_stack.store.list_dead_letters(status="open") == []
