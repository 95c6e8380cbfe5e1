"""The HttpxSalesforceClient against the sandbox served over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handoff.adapters.errors import (
    AuthenticationFailed,
    Conflict,
    Contention,
    InvalidRequest,
    NotFound,
    QuotaExhausted,
    RateLimited,
    RequestTimedOut,
    ServiceUnavailable,
)
from handoff.adapters.salesforce import (
    ClientCredentials,
    HttpxSalesforceClient,
    JwtBearer,
)
from handoff.ops.sandbox.salesforce import Fault, SandboxConfig, build_app
from handoff.ops.serving import ServerThread
from tests.fixtures.salesforce import EventSink, SalesforceServer

pytestmark = pytest.mark.integration

KEY = "Handoff_Key__c"


def projects(*keys: str, bad: str | None = None) -> list[dict[str, Any]]:
    return [
        {KEY: key, "Name": key, "Sync_Status__c": "Nope" if key == bad else "Pending"}
        for key in keys
    ]


# --- OAuth ---------------------------------------------------------------------


def test_client_credentials_grant_then_regrant_after_expiry(
    salesforce_server: SalesforceServer, salesforce_client: HttpxSalesforceClient
) -> None:
    salesforce_client.limits()
    for token in salesforce_server.org.tokens.values():
        token.expires_at = 0.0

    limits = salesforce_client.limits()

    assert "DailyApiRequests" in limits
    assert len(salesforce_server.org.tokens) == 2


def test_wrong_credentials_raise_authentication_failed(
    salesforce_server: SalesforceServer,
) -> None:
    client = HttpxSalesforceClient(
        login_url=salesforce_server.url,
        credentials=ClientCredentials("handoff-sandbox", "wrong"),
    )

    with pytest.raises(AuthenticationFailed) as caught:
        client.limits()

    assert caught.value.error_code == "invalid_client"


@pytest.fixture
def jwt_server(salesforce_org: Any) -> Iterator[tuple[str, str]]:
    """A sandbox accepting JWTs signed by a fresh key; yields (url, private PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    app = build_app(salesforce_org, config=SandboxConfig(jwt_public_key_pem=public))
    with ServerThread(app) as server:
        yield server.url, private


def test_jwt_bearer_grant(jwt_server: tuple[str, str]) -> None:
    url, private = jwt_server
    client = HttpxSalesforceClient(
        login_url=url,
        credentials=JwtBearer(
            "handoff-sandbox", "integration@handoff.example", private
        ),
    )

    rows = client.query("SELECT Username FROM User")

    assert rows[0]["Username"] == "integration@handoff.example"


def test_jwt_for_an_unknown_user_is_refused(jwt_server: tuple[str, str]) -> None:
    url, private = jwt_server
    client = HttpxSalesforceClient(
        login_url=url,
        credentials=JwtBearer("handoff-sandbox", "nobody@example.com", private),
    )

    with pytest.raises(AuthenticationFailed):
        client.login()


# --- records --------------------------------------------------------------------


def test_create_get_update_delete(salesforce_client: HttpxSalesforceClient) -> None:
    account = salesforce_client.create("Account", {"Name": "Acme"})

    salesforce_client.update("Account", account, {"Industry": "Finance"})
    record = salesforce_client.get("Account", account, fields=["Name", "Industry"])
    salesforce_client.delete("Account", account)

    assert (record["Name"], record["Industry"]) == ("Acme", "Finance")
    with pytest.raises(NotFound):
        salesforce_client.get("Account", account)


def test_validation_errors_raise_invalid_request_with_fields(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        salesforce_client.create("Opportunity", {"Name": "x"})

    assert caught.value.error_code == "REQUIRED_FIELD_MISSING"
    assert caught.value.fields == ("StageName", "CloseDate")


def test_upsert_reports_created_then_updated(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    first = salesforce_client.upsert(
        "Project__c", KEY, "k/1", {KEY: "k/1", "Name": "P"}
    )
    second = salesforce_client.upsert("Project__c", KEY, "k/1", {"Name": "Q"})

    assert first.created is True and second.created is False
    assert first.id == second.id


def test_upsert_with_several_matches_raises_conflict(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    salesforce_client.create("Product2", {"Name": "A", "ExternalId": "dup"})
    salesforce_client.create("Product2", {"Name": "B", "ExternalId": "dup"})

    with pytest.raises(Conflict):
        salesforce_client.upsert("Product2", "ExternalId", "dup", {"Name": "C"})


# --- collections, composite, query ------------------------------------------------


def test_upsert_many_reports_rows_independently(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    results = salesforce_client.upsert_many(
        "Project__c", KEY, projects("a", "b", "c", bad="b")
    )

    assert [r.success for r in results] == [True, False, True]
    assert (
        results[1].errors[0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )


def test_upsert_many_all_or_none_rolls_back(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    results = salesforce_client.upsert_many(
        "Project__c", KEY, projects("a", "b", bad="b"), all_or_none=True
    )

    assert not any(r.success for r in results)
    assert salesforce_client.query("SELECT Id FROM Project__c") == []


def test_upsert_many_chunks_by_200(
    salesforce_server: SalesforceServer, salesforce_client: HttpxSalesforceClient
) -> None:
    before = salesforce_server.org.usage.used

    results = salesforce_client.upsert_many(
        "Project__c", KEY, projects(*(f"k{i}" for i in range(450)))
    )

    assert len(results) == 450 and all(r.success and r.created for r in results)
    assert salesforce_server.org.usage.used - before == 3


def test_update_many(salesforce_client: HttpxSalesforceClient) -> None:
    ids = [
        r.id
        for r in salesforce_client.upsert_many("Project__c", KEY, projects("a", "b"))
    ]

    results = salesforce_client.update_many(
        [
            {"attributes": {"type": "Project__c"}, "Id": i, "Region__c": "EMEA"}
            for i in ids
        ]
    )

    assert all(r.success for r in results)
    rows = salesforce_client.query("SELECT Region__c FROM Project__c")
    assert {r["Region__c"] for r in rows} == {"EMEA"}


def test_composite_with_references(salesforce_client: HttpxSalesforceClient) -> None:
    answers = salesforce_client.composite(
        [
            {"method": "POST", "url": "sobjects/Account", "referenceId": "acct",
             "body": {"Name": "Acme"}},
            {"method": "GET", "url": "sobjects/Account/@{acct.id}", "referenceId": "read"},
        ]
    )  # fmt: skip

    assert answers[1]["body"]["Name"] == "Acme"


def test_query_follows_pages(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    salesforce_client.upsert_many(
        "Project__c", KEY, projects(*(f"k{i:04d}" for i in range(2100)))
    )

    rows = salesforce_client.query(f"SELECT {KEY} FROM Project__c ORDER BY {KEY}")

    assert len(rows) == 2100
    assert rows[-1][KEY] == "k2099"


def test_parent_fields_and_child_subqueries(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    project = salesforce_client.create("Project__c", {"Name": "P", KEY: "p"})
    salesforce_client.create(
        "Project_Milestone__c",
        {"Name": "M1", "Project__c": project, "Type__c": "Delivery"},
    )

    rows = salesforce_client.query(
        "SELECT Name, Owner.Email, (SELECT Name, Project__r.Name FROM "
        "Project_Milestones__r) FROM Project__c"
    )

    assert rows[0]["Owner"]["Email"] == "integration@handoff.example"
    milestone = rows[0]["Project_Milestones__r"]["records"][0]
    assert milestone["Project__r"]["Name"] == "P"


def test_describe_and_limits_and_api_usage(
    salesforce_client: HttpxSalesforceClient,
) -> None:
    describe = salesforce_client.describe("Project__c")
    limits = salesforce_client.limits()

    assert any(f["name"] == KEY and f["externalId"] for f in describe["fields"])
    assert limits["DailyApiRequests"]["Max"] == 15_000
    assert salesforce_client.api_usage is not None
    assert salesforce_client.api_usage.limit == 15_000


def test_the_allocation_running_out_raises_quota_exhausted(
    salesforce_server: SalesforceServer, salesforce_client: HttpxSalesforceClient
) -> None:
    salesforce_server.org.usage.limit = salesforce_server.org.usage.used

    with pytest.raises(QuotaExhausted) as caught:
        salesforce_client.limits()

    assert caught.value.retry_after == 3600.0


# --- faults -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(kind="error", status=500), ServiceUnavailable),
        (Fault(kind="error", status=503), ServiceUnavailable),
        (Fault(kind="error", status=403), QuotaExhausted),
        (
            Fault(
                kind="error",
                status=403,
                message="ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            ),
            RateLimited,
        ),
        (Fault(kind="error", status=400), Contention),
        (Fault(kind="timeout", delay_s=1.0), RequestTimedOut),
        (Fault(kind="drop"), RequestTimedOut),
    ],
    ids=["500", "503", "daily-limit", "concurrency", "lock-row", "timeout", "drop"],
)
def test_each_fault_reaches_the_client_as_its_error_class(
    salesforce_server: SalesforceServer,
    fault: Fault,
    error: type[Exception],
) -> None:
    client = HttpxSalesforceClient(
        login_url=salesforce_server.url,
        credentials=ClientCredentials("handoff-sandbox", "handoff-sandbox-secret"),
        timeout=0.5,
    )
    client.login()
    fault.operation, fault.count = "create", 1
    salesforce_server.org.faults.add(fault)

    with pytest.raises(error):
        client.create("Account", {"Name": "Acme"})


def test_a_dropped_response_still_commits_the_write(
    salesforce_server: SalesforceServer, salesforce_client: HttpxSalesforceClient
) -> None:
    salesforce_server.org.faults.add(Fault(kind="drop", operation="upsert", count=1))

    with pytest.raises(RequestTimedOut):
        salesforce_client.upsert("Project__c", KEY, "lost", {"Name": "P"})

    assert salesforce_server.org.find("Project__c", KEY, "lost") != []


# --- change data capture ------------------------------------------------------------


def test_change_events_reach_a_subscriber_with_the_client_tag(
    salesforce_server: SalesforceServer,
    salesforce_client: HttpxSalesforceClient,
    cdc_subscriber: EventSink,
) -> None:
    salesforce_server.org.bus.subscribe(cdc_subscriber.url)

    record_id = salesforce_client.create("Project__c", {"Name": "P", KEY: "cdc"})
    salesforce_client.update("Project__c", record_id, {"Health__c": "At Risk"})
    events = cdc_subscriber.wait_for(2)

    headers = [e["data"]["payload"]["ChangeEventHeader"] for e in events]
    assert [h["changeType"] for h in headers] == ["CREATE", "UPDATE"]
    assert all(h["recordIds"] == [record_id] for h in headers)
    assert headers[1]["changeOrigin"] == "com/salesforce/api/rest/62.0;client=handoff"
    assert events[1]["data"]["payload"]["Health__c"] == "At Risk"
    assert events[0]["channel"] == "/data/Project__ChangeEvent"


def test_gap_events_carry_only_the_header(
    salesforce_server: SalesforceServer, cdc_subscriber: EventSink
) -> None:
    salesforce_server.org.bus.subscribe(cdc_subscriber.url)

    httpx.post(
        f"{salesforce_server.url}/__sandbox/gap-events",
        json={"sobject": "Opportunity", "recordIds": ["0068d0000000001AAA"],
              "changeType": "GAP_UPDATE"},
    )  # fmt: skip
    event = cdc_subscriber.wait_for(1)[0]

    assert list(event["data"]["payload"]) == ["ChangeEventHeader"]
    assert event["data"]["payload"]["ChangeEventHeader"]["changeType"] == "GAP_UPDATE"


def test_failed_deliveries_are_recorded(
    salesforce_server: SalesforceServer, salesforce_client: HttpxSalesforceClient
) -> None:
    bus = salesforce_server.org.bus
    bus.retry_delays_s = (0.01, 0.01)
    bus.subscribe("http://127.0.0.1:9/nowhere")

    salesforce_client.create("Account", {"Name": "Acme"})
    bus.wait_idle(5.0)

    assert bus.failures[0]["url"] == "http://127.0.0.1:9/nowhere"
