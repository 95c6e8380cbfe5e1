"""Contract: validation rules reach HttpxSalesforceClient as the real org's errors.

Runs the adapter against the sandbox over a real socket.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from handoff.adapters.errors import InvalidRequest
from handoff.adapters.salesforce import HttpxSalesforceClient
from tests.fixtures.salesforce import SalesforceServer

DUE_MESSAGE = "The due date cannot be before the start date."


def add_rule(server: SalesforceServer, **rule: Any) -> None:
    response = httpx.post(f"{server.url}/__sandbox/validation-rules", json=rule)
    assert response.status_code == 201, response.text


def project(key: str, **fields: Any) -> dict[str, Any]:
    return {"Handoff_Key__c": key, "Name": f"Project {key}", **fields}


def stored(server: SalesforceServer) -> dict[str, dict[str, Any]]:
    rows = server.org.table("Project__c").values()
    return {row["Handoff_Key__c"]: row for row in rows}


def test_a_violation_reaches_the_adapter_as_invalid_request(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    """The shipped rule: 400 FIELD_CUSTOM_VALIDATION_EXCEPTION on Due_Date__c."""
    fields = {"Start_Date__c": "2026-07-01", "Due_Date__c": "2026-06-01"}

    with pytest.raises(InvalidRequest) as caught:
        salesforce_client.upsert(
            "Project__c", "Handoff_Key__c", "k-1", project("k-1", **fields)
        )

    assert caught.value.status_code == 400
    assert caught.value.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert caught.value.fields == ("Due_Date__c",)
    assert caught.value.message == DUE_MESSAGE


def test_a_rule_without_a_display_field_reports_no_fields(
    salesforce_server: SalesforceServer,
    salesforce_client: HttpxSalesforceClient,
) -> None:
    """A rule shown at the top of the page answers ``fields: []``."""
    add_rule(
        salesforce_server,
        object="Project__c",
        name="Region_Known",
        formula="ISBLANK(Region__c)",
        message="Pick a region first.",
    )

    with pytest.raises(InvalidRequest) as caught:
        salesforce_client.create("Project__c", {"Name": "No region"})

    assert caught.value.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert caught.value.fields == ()
    assert caught.value.message == "Pick a region first."


@pytest.mark.parametrize(
    ("all_or_none", "kept"),
    [(False, {"ok-1", "ok-2"}), (True, set())],
    ids=["rows fail alone", "all or none rolls back"],
)
def test_a_collections_upsert_with_one_violating_row(
    salesforce_server: SalesforceServer,
    salesforce_client: HttpxSalesforceClient,
    all_or_none: bool,
    kept: set[str],
) -> None:
    """The violating row fails; the others succeed, or all roll back."""
    rows = [
        project("ok-1"),
        project("bad", Start_Date__c="2026-07-01", Due_Date__c="2026-06-01"),
        project("ok-2", Start_Date__c="2026-07-01", Due_Date__c="2026-07-31"),
    ]

    results = salesforce_client.upsert_many(
        "Project__c", "Handoff_Key__c", rows, all_or_none=all_or_none
    )

    first, bad, last = results
    assert bad.success is False
    assert bad.errors == (
        {
            "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "message": DUE_MESSAGE,
            "fields": ["Due_Date__c"],
        },
    )
    assert first.success is last.success is (not all_or_none)
    if all_or_none:
        assert first.errors[0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert set(stored(salesforce_server)) == kept


def test_no_change_event_is_emitted_for_a_refused_row(
    salesforce_server: SalesforceServer,
    salesforce_client: HttpxSalesforceClient,
) -> None:
    """Only the row that was written announces itself."""
    rows = [
        project("ok"),
        project("bad", Start_Date__c="2026-07-01", Due_Date__c="2026-06-01"),
    ]

    salesforce_client.upsert_many("Project__c", "Handoff_Key__c", rows)

    events = [
        e
        for e in salesforce_server.org.bus.events
        if e["channel"] == "/data/Project__ChangeEvent"
    ]
    (event,) = events
    written = stored(salesforce_server)["ok"]["Id"]
    assert event["data"]["payload"]["ChangeEventHeader"]["recordIds"] == [written]


def test_ischanged_and_priorvalue_rules_judge_an_update(
    salesforce_server: SalesforceServer,
    salesforce_client: HttpxSalesforceClient,
) -> None:
    """A region may be set once, and a budget may only grow."""
    add_rule(
        salesforce_server,
        object="Project__c",
        name="Region_Locked",
        formula="AND(ISCHANGED(Region__c), NOT(ISBLANK(PRIORVALUE(Region__c))))",
        message="The region cannot change once set.",
        field="Region__c",
    )
    add_rule(
        salesforce_server,
        object="Project__c",
        name="Budget_Grows",
        formula="Budget_Hours__c < PRIORVALUE(Budget_Hours__c)",
        message="The budget cannot shrink.",
        field="Budget_Hours__c",
    )
    record_id = salesforce_client.create(
        "Project__c", {"Name": "P", "Region__c": "EMEA", "Budget_Hours__c": 40}
    )

    salesforce_client.update("Project__c", record_id, {"Budget_Hours__c": 60})
    salesforce_client.update("Project__c", record_id, {"Region__c": "EMEA"})
    with pytest.raises(InvalidRequest) as moved:
        salesforce_client.update("Project__c", record_id, {"Region__c": "APAC"})
    with pytest.raises(InvalidRequest) as shrunk:
        salesforce_client.update("Project__c", record_id, {"Budget_Hours__c": 10})

    assert moved.value.fields == ("Region__c",)
    assert shrunk.value.message == "The budget cannot shrink."
    row = salesforce_client.get("Project__c", record_id)
    assert (row["Region__c"], row["Budget_Hours__c"]) == ("EMEA", 60)


def test_a_parent_path_rule_reads_the_parent_account(
    salesforce_server: SalesforceServer,
    salesforce_client: HttpxSalesforceClient,
) -> None:
    """Account__r.Region__c is resolved through the org at write time."""
    add_rule(
        salesforce_server,
        object="Project__c",
        name="Same_Region",
        formula="Region__c <> Account__r.Region__c",
        message="The project's region must be its account's.",
    )
    account = salesforce_client.create("Account", {"Name": "A", "Region__c": "EMEA"})

    salesforce_client.create(
        "Project__c", {"Name": "P", "Account__c": account, "Region__c": "EMEA"}
    )
    with pytest.raises(InvalidRequest) as caught:
        salesforce_client.create(
            "Project__c", {"Name": "Q", "Account__c": account, "Region__c": "APAC"}
        )

    assert caught.value.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
