"""Behaviour of the Salesforce sandbox, in process through Starlette's TestClient."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from handoff.ops.sandbox.salesforce import Fault, SalesforceOrg, build_app
from handoff.ops.sandbox.salesforce.sfdx import load_sfdx

V = "/services/data/v62.0"


class Api:
    """A logged-in TestClient with short helpers."""

    def __init__(self, client: TestClient, org: SalesforceOrg) -> None:
        self.client = client
        self.org = org
        token = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "handoff-sandbox",
                "client_secret": "handoff-sandbox-secret",
            },
        ).json()["access_token"]
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Sforce-Call-Options": "client=tests",
        }

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        prefix = "" if path.startswith("/services") else V
        return self.client.request(method, prefix + path, headers=headers, **kwargs)

    def create(self, sobject: str, body: dict[str, Any]) -> str:
        response = self.call("POST", f"/sobjects/{sobject}", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def opportunity(self, **extra: Any) -> str:
        body = {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-06-30"}
        return self.create("Opportunity", {**body, **extra})

    def query(self, soql: str, **kwargs: Any) -> Any:
        return self.call("GET", "/query", params={"q": soql}, **kwargs)


@pytest.fixture
def api(salesforce_org: SalesforceOrg) -> Iterator[Api]:
    with TestClient(build_app(salesforce_org)) as client:
        yield Api(client, salesforce_org)


# --- OAuth and sessions ----------------------------------------------------------


def test_a_wrong_secret_is_refused_with_an_oauth_error(api: Api) -> None:
    response = api.client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "handoff-sandbox",
            "client_secret": "nope",
        },
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_the_token_body_has_the_real_shape(api: Api) -> None:
    body = api.client.post(
        "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("handoff-sandbox", "handoff-sandbox-secret"),
    ).json()

    assert body["access_token"].startswith("00D") and "!" in body["access_token"]
    assert body["token_type"] == "Bearer"
    assert body["issued_at"].isdigit()
    assert set(body) >= {"instance_url", "id", "signature", "scope"}


def test_an_expired_session_answers_401_invalid_session_id(api: Api) -> None:
    api.client.post("/__sandbox/tokens/expire")

    response = api.call("GET", "/limits")

    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_versions_list_and_retired_versions(api: Api) -> None:
    listed = api.client.get("/services/data/").json()
    retired = api.call("GET", "/services/data/v30.0/limits")

    assert listed[0]["version"] == "31.0" and listed[-1]["version"] == "67.0"
    assert {
        "label": "Winter '25",
        "url": "/services/data/v62.0",
        "version": "62.0",
    } in listed
    assert retired.status_code == 410


# --- records -----------------------------------------------------------------------


def test_create_answers_201_with_location_and_the_limit_header(api: Api) -> None:
    response = api.call("POST", "/sobjects/Account/", json={"Name": "Acme"})

    body = response.json()
    assert response.status_code == 201
    assert body["success"] is True and body["errors"] == []
    assert body["id"].startswith("001") and len(body["id"]) == 18
    assert response.headers["Location"] == f"{V}/sobjects/Account/{body['id']}"
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_get_renders_attributes_nulls_and_datetimes(api: Api) -> None:
    account = api.create("Account", {"Name": "Acme"})

    record = api.call("GET", f"/sobjects/Account/{account[:15]}").json()

    assert record["attributes"] == {
        "type": "Account",
        "url": f"{V}/sobjects/Account/{account}",
    }
    assert record["Id"] == account
    assert record["Industry"] is None
    assert record["CreatedDate"].endswith("+0000") and record["CreatedDate"][19] == "."


def test_get_with_fields_returns_only_those(api: Api) -> None:
    account = api.create("Account", {"Name": "Acme"})

    record = api.call("GET", f"/sobjects/Account/{account}?fields=Name").json()

    assert set(record) == {"attributes", "Name"}


def test_update_answers_204_and_delete_twice_gives_entity_is_deleted(api: Api) -> None:
    account = api.create("Account", {"Name": "Acme"})

    updated = api.call("PATCH", f"/sobjects/Account/{account}", json={"Name": "B"})
    first = api.call("DELETE", f"/sobjects/Account/{account}")
    second = api.call("DELETE", f"/sobjects/Account/{account}")

    assert (updated.status_code, first.status_code) == (204, 204)
    assert second.status_code == 404
    assert second.json()[0]["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"StageName": "Prospecting"}, "REQUIRED_FIELD_MISSING", ["Name", "CloseDate"]),
        (
            {"Name": "x", "StageName": "Won-ish", "CloseDate": "2026-01-01"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["StageName"],
        ),
        (
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "2026-01-01",
             "IsWon": True},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["IsWon"],
        ),
        (
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "2026-01-01",
             "AccountId": "001xx"},
            "MALFORMED_ID",
            ["AccountId"],
        ),
    ],
    ids=["required", "restricted-picklist", "read-only", "malformed-reference"],
)  # fmt: skip
def test_validation_errors_have_the_real_bodies(
    api: Api, body: dict[str, Any], code: str, fields: list[str]
) -> None:
    response = api.call("POST", "/sobjects/Opportunity", json=body)

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code
    assert response.json()[0]["fields"] == fields


def test_an_unknown_field_is_invalid_field(api: Api) -> None:
    response = api.call("POST", "/sobjects/Account", json={"Name": "A", "Foo__c": 1})

    assert response.json() == [
        {"message": "No such column 'Foo__c' on sobject of type Account",
         "errorCode": "INVALID_FIELD"}
    ]  # fmt: skip


def test_a_malformed_id_in_the_url(api: Api) -> None:
    response = api.call("GET", "/sobjects/Account/001000000000000AAB")

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_ID"


def test_unique_external_ids_refuse_duplicates(api: Api) -> None:
    api.create("Project__c", {"Name": "P", "Handoff_Key__c": "k-1"})

    response = api.call(
        "POST", "/sobjects/Project__c", json={"Name": "Q", "Handoff_Key__c": "K-1"}
    )

    assert response.json()[0]["errorCode"] == "DUPLICATE_VALUE"


# --- derived fields ------------------------------------------------------------------


def test_the_stage_sets_probability_closed_won_and_category(api: Api) -> None:
    opportunity = api.opportunity()

    api.call(
        "PATCH",
        f"/sobjects/Opportunity/{opportunity}",
        json={"StageName": "Closed Won"},
    )
    record = api.call("GET", f"/sobjects/Opportunity/{opportunity}").json()

    assert record["Probability"] == 100
    assert (record["IsClosed"], record["IsWon"]) == (True, True)
    assert record["ForecastCategoryName"] == "Closed"


def test_lines_copy_the_product_and_sum_into_the_amount(api: Api) -> None:
    opportunity = api.opportunity()
    entries = api.org.seed.entries

    api.create(
        "OpportunityLineItem",
        {
            "OpportunityId": opportunity,
            "PricebookEntryId": entries["CORE-IMP"],
            "Quantity": 2,
            "UnitPrice": 100,
        },
    )
    api.create("OpportunityLineItem", {"OpportunityId": opportunity,
               "PricebookEntryId": entries["DATA-MIG"], "Quantity": 1, "UnitPrice": 50,
               "Discount": 10})  # fmt: skip
    rows = api.query(
        "SELECT Amount, (SELECT ProductCode, TotalPrice, Product2.Family FROM "
        f"OpportunityLineItems ORDER BY TotalPrice) FROM Opportunity WHERE Id = '{opportunity}'"
    ).json()["records"]

    assert rows[0]["Amount"] == 245.0
    lines = rows[0]["OpportunityLineItems"]["records"]
    assert [line["ProductCode"] for line in lines] == ["DATA-MIG", "CORE-IMP"]
    assert lines[0]["Product2"]["Family"] == "Professional Services"


# --- upsert -----------------------------------------------------------------------


def test_upsert_creates_then_updates(api: Api) -> None:
    path = "/sobjects/Project__c/Handoff_Key__c/key-1"

    created = api.call("PATCH", path, json={"Name": "P"})
    updated = api.call("PATCH", path, json={"Sync_Status__c": "Synced"})

    assert created.status_code == 201 and created.json()["created"] is True
    assert updated.status_code == 200 and updated.json()["created"] is False
    assert updated.json()["id"] == created.json()["id"]


def test_upsert_on_v45_answers_204_without_a_body(api: Api) -> None:
    path = "/services/data/v45.0/sobjects/Project__c/Handoff_Key__c/key-1"
    api.call("PATCH", path, json={"Name": "P"})

    response = api.call("PATCH", path, json={"Name": "Q"})

    assert response.status_code == 204 and response.content == b""


def test_upsert_on_several_matches_answers_300_with_urls(api: Api) -> None:
    api.create("Product2", {"Name": "A", "ExternalId": "dup"})
    api.create("Product2", {"Name": "B", "ExternalId": "dup"})

    response = api.call(
        "PATCH", "/sobjects/Product2/ExternalId/dup", json={"Name": "C"}
    )

    assert response.status_code == 300
    assert all(url.startswith(f"{V}/sobjects/Product2/01t") for url in response.json())


def test_upsert_by_an_unknown_external_field_is_404(api: Api) -> None:
    response = api.call("PATCH", "/sobjects/Project__c/Name/x", json={})

    assert response.status_code == 404
    assert "Provided external ID field does not exist" in response.json()[0]["message"]


# --- collections and composite -----------------------------------------------------


def rows(*keys: str, bad: str | None = None) -> list[dict[str, Any]]:
    return [
        {"attributes": {"type": "Project__c"}, "Handoff_Key__c": key,
         "Sync_Status__c": "Bogus" if key == bad else "Pending"}
        for key in keys
    ]  # fmt: skip


def test_collections_answer_200_with_per_row_failures(api: Api) -> None:
    response = api.call(
        "PATCH",
        "/composite/sobjects/Project__c/Handoff_Key__c",
        json={"allOrNone": False, "records": rows("a", "b", "c", bad="b")},
    )

    results = response.json()
    assert response.status_code == 200
    assert [r["success"] for r in results] == [True, False, True]
    assert (
        results[1]["errors"][0]["statusCode"]
        == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert len(api.org.find("Project__c", "Sync_Status__c", "Pending")) == 2


def test_all_or_none_rolls_every_row_back(api: Api) -> None:
    response = api.call(
        "PATCH",
        "/composite/sobjects/Project__c/Handoff_Key__c",
        json={"allOrNone": True, "records": rows("a", "b", bad="b")},
    )

    results = response.json()
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert (
        results[1]["errors"][0]["statusCode"]
        == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert api.org.find("Project__c", "Handoff_Key__c", "a") == []


def test_more_than_200_records_is_refused(api: Api) -> None:
    keys = [f"k{i}" for i in range(201)]

    response = api.call("POST", "/composite/sobjects", json={"records": rows(*keys)})

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_resolves_references_between_subrequests(api: Api) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "acct",
             "body": {"Name": "Acme"}},
            {"method": "POST", "url": f"{V}/sobjects/Opportunity", "referenceId": "opp",
             "body": {"Name": "D", "StageName": "Prospecting",
                      "CloseDate": "2026-01-01", "AccountId": "@{acct.id}"}},
            {"method": "GET", "url": f"{V}/sobjects/Opportunity/@{{opp.id}}?fields=AccountId",
             "referenceId": "read"},
        ],
    }  # fmt: skip

    answers = api.call("POST", "/composite", json=body).json()["compositeResponse"]

    assert [a["httpStatusCode"] for a in answers] == [201, 201, 200]
    assert answers[2]["body"]["AccountId"] == answers[0]["body"]["id"]


def test_composite_all_or_none_halts_the_rest(api: Api) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "a",
             "body": {"Name": "Acme"}},
            {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "b",
             "body": {}},
        ],
    }  # fmt: skip

    answers = api.call("POST", "/composite", json=body).json()["compositeResponse"]

    assert answers[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert answers[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert api.org.find("Account", "Name", "Acme") == []


# --- SOQL ------------------------------------------------------------------------


def test_query_pages_follow_next_records_url(api: Api) -> None:
    for n in range(450):
        api.create("Account", {"Name": f"A{n:03d}"})

    first = api.query(
        "SELECT Name FROM Account ORDER BY Name",
        headers={"Sforce-Query-Options": "batchSize=200"},
    ).json()
    second = api.call("GET", first["nextRecordsUrl"]).json()
    third = api.call("GET", second["nextRecordsUrl"]).json()

    assert first["totalSize"] == 450 and not first["done"]
    assert first["nextRecordsUrl"].startswith(f"{V}/query/01g")
    assert len(first["records"]) == len(second["records"]) == 200
    assert third["done"] and "nextRecordsUrl" not in third
    assert third["records"][-1]["Name"] == "A449"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'acme'", ["Acme"]),
        ("Name != 'Acme'", ["Beta", "Gamma"]),
        ("Name LIKE '%a'", ["Beta", "Gamma"]),
        ("Name IN ('Beta', 'Gamma') AND NOT Name = 'Beta'", ["Gamma"]),
        ("(Name = 'Acme' OR Name = 'Beta') AND Industry = null", ["Acme", "Beta"]),
        ("Industry != null", ["Gamma"]),
        ("CreatedDate = TODAY", ["Acme", "Beta", "Gamma"]),
        ("CreatedDate < 2020-01-01T00:00:00Z", []),
    ],
)
def test_where_clauses_filter(api: Api, where: str, expected: list[str]) -> None:
    for name in ("Acme", "Beta"):
        api.create("Account", {"Name": name})
    api.create("Account", {"Name": "Gamma", "Industry": "Finance"})

    result = api.query(f"SELECT Name FROM Account WHERE {where} ORDER BY Name").json()

    assert [r["Name"] for r in result["records"]] == expected


def test_count_and_limit_offset(api: Api) -> None:
    for name in ("A", "B", "C"):
        api.create("Account", {"Name": name})

    count = api.query("SELECT COUNT() FROM Account").json()
    window = api.query(
        "SELECT Name FROM Account ORDER BY Name DESC LIMIT 1 OFFSET 1"
    ).json()

    assert count == {"totalSize": 3, "done": True, "records": []}
    assert [r["Name"] for r in window["records"]] == ["B"]


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FRM Account", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Nope.Name FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ],
)
def test_bad_queries_are_400(api: Api, soql: str, code: str) -> None:
    response = api.query(soql)

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_query_accepts_a_trailing_slash_and_plus_for_spaces(api: Api) -> None:
    api.create("Account", {"Name": "Acme"})

    response = api.call("GET", "/query/?q=SELECT+Name+FROM+Account")

    assert response.json()["records"][0]["Name"] == "Acme"


# --- schema from SFDX, describe, limits ------------------------------------------


def test_project_fields_come_from_the_sfdx_source() -> None:
    sfdx = load_sfdx()
    project = next(o for o in sfdx.objects if o.name == "Project__c")

    assert project.field("Handoff_Key__c").external_id
    assert project.field("Forecast_Status__c").picklist == (
        "Forecasted", "Reserved", "Booked", "Cancelled",
    )  # fmt: skip
    assert "OpportunityLineItem" in sfdx.extra_fields


def test_describe_lists_fields_and_child_relationships(api: Api) -> None:
    describe = api.call("GET", "/sobjects/Project__c/describe").json()

    names = {f["name"] for f in describe["fields"]}
    assert {"Handoff_Key__c", "Health__c", "Upsell_Of__c"} <= names
    assert describe["keyPrefix"].startswith("a0")
    relations = {r["relationshipName"] for r in describe["childRelationships"]}
    assert "Project_Milestones__r" in relations


def test_the_daily_allocation_runs_out(api: Api) -> None:
    api.client.put("/__sandbox/usage", json={"limit": 3, "used": 2})

    last = api.call("GET", "/limits")
    refused = api.call("GET", "/limits")

    assert last.json()["DailyApiRequests"] == {"Max": 3, "Remaining": 0}
    assert refused.status_code == 403
    assert refused.json()[0]["message"] == "TotalRequests Limit exceeded."
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=3/3"


# --- CDC and faults --------------------------------------------------------------


def test_a_change_event_carries_the_changed_fields_and_the_client_tag(api: Api) -> None:
    account = api.create("Account", {"Name": "Acme"})

    api.call("PATCH", f"/sobjects/Account/{account}", json={"Industry": "Finance"})
    event = api.client.get("/__sandbox/events?limit=1").json()[0]

    header = event["data"]["payload"]["ChangeEventHeader"]
    assert event["channel"] == "/data/AccountChangeEvent"
    assert header["changeType"] == "UPDATE"
    assert header["changeOrigin"] == "com/salesforce/api/rest/62.0;client=tests"
    assert header["changedFields"] == ["Industry", "LastModifiedDate"]
    assert event["data"]["payload"]["Industry"] == "Finance"


def test_a_collection_is_one_transaction(api: Api) -> None:
    api.call("PATCH", "/composite/sobjects/Project__c/Handoff_Key__c",
             json={"records": rows("a", "b")})  # fmt: skip

    events = api.client.get("/__sandbox/events?limit=2").json()

    headers = [e["data"]["payload"]["ChangeEventHeader"] for e in events]
    assert events[0]["channel"] == "/data/Project__ChangeEvent"
    assert headers[0]["transactionKey"] == headers[1]["transactionKey"]
    assert [h["sequenceNumber"] for h in headers] == [1, 2]


def test_an_error_fault_answers_its_status_once(api: Api) -> None:
    api.org.faults.add(Fault(kind="error", operation="create", status=503, count=1))

    failed = api.call("POST", "/sobjects/Account", json={"Name": "A"})
    passed = api.call("POST", "/sobjects/Account", json={"Name": "A"})

    assert failed.status_code == 503
    assert passed.status_code == 201


def test_faults_are_configured_through_the_admin_api(api: Api) -> None:
    added = api.client.post(
        "/__sandbox/faults", json={"kind": "error", "operation": "query", "status": 500}
    )
    refused = api.client.post("/__sandbox/faults", json={"kind": "explode"})

    assert added.json()["faults"][0]["status"] == 500
    assert refused.status_code == 400
    assert api.query("SELECT Id FROM Account").status_code == 500
