"""Validation rules in the Salesforce sandbox: loading and enforcement."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from handoff.ops.sandbox.salesforce import (
    SalesforceOrg,
    SandboxConfig,
    ValidationRule,
    build_app,
)
from handoff.ops.sandbox.salesforce.sfdx import load_validation_rules
from handoff.ops.sandbox.salesforce.validation import (
    RulesViolated,
    ValidationRuleError,
)

V = "/services/data/v62.0"
EARLY = {"Name": "P", "Start_Date__c": "2026-06-10", "Due_Date__c": "2026-06-01"}
RULE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<ValidationRule xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>{name}</fullName>
    <active>{active}</active>
    <errorConditionFormula>{formula}</errorConditionFormula>
    <errorMessage>Nope.</errorMessage>
</ValidationRule>
"""


def write_rule(root: Path, name: str, formula: str, active: str = "true") -> Path:
    folder = root / "default" / "objects" / "Project__c" / "validationRules"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.validationRule-meta.xml"
    path.write_text(RULE_XML.format(name=name, formula=formula, active=active))
    return root


class Api:
    """A logged-in TestClient."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        token = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "handoff-sandbox",
                "client_secret": "handoff-sandbox-secret",
            },
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, V + path, headers=self.headers, **kwargs)


@pytest.fixture
def api(salesforce_org: SalesforceOrg) -> Iterator[Api]:
    with TestClient(build_app(salesforce_org)) as client:
        yield Api(client)


def project_events(org: SalesforceOrg) -> list[dict[str, Any]]:
    return [e for e in org.bus.events if e["channel"] == "/data/Project__ChangeEvent"]


# --- loading ---------------------------------------------------------------------


def test_handoffs_own_rule_is_read_from_the_sfdx_source() -> None:
    """Project__c.Due_Date_After_Start ships in the package."""
    (rule,) = [r for r in load_validation_rules() if r.name == "Due_Date_After_Start"]

    assert rule.object == "Project__c"
    assert rule.field == "Due_Date__c"
    assert rule.active is True
    assert "Due_Date__c < Start_Date__c" in rule.formula


def test_an_inactive_rule_in_source_is_loaded_inactive(tmp_path: Path) -> None:
    """<active>false</active> is kept, not dropped."""
    source = write_rule(tmp_path, "Off", "TRUE", active="false")

    (rule,) = load_validation_rules(source)

    assert (rule.name, rule.active, rule.field) == ("Off", False, None)


def test_a_rule_with_an_unknown_field_stops_the_org_naming_the_rule(
    tmp_path: Path,
) -> None:
    """A bad rule fails when loaded, not at the first write."""
    rules = load_validation_rules(write_rule(tmp_path, "Bad", "Bogus__c > 1"))

    with pytest.raises(ValidationRuleError) as caught:
        SalesforceOrg(validation_rules=rules)

    assert "Project__c.Bad" in str(caught.value)
    assert "Bogus__c does not exist" in str(caught.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (ValidationRule("Nope__c", "R", "TRUE", "m"), "no object 'Nope__c'"),
        (ValidationRule("Project__c", "R", "FOO()", "m"), "Unknown function FOO"),
        (ValidationRule("Project__c", "R", "1 + 1", "m"), "data type (Number)"),
        (ValidationRule("Project__c", "R", "TRUE", "m", "X__c"), "'X__c' does not"),
    ],
    ids=["unknown object", "unknown function", "not boolean", "unknown field"],
)
def test_a_bad_rule_is_refused_with_its_name(
    salesforce_org: SalesforceOrg, rule: ValidationRule, message: str
) -> None:
    """Every load error names Object.Rule and says what is wrong."""
    with pytest.raises(ValidationRuleError) as caught:
        salesforce_org.validation.add(rule)

    assert f"{rule.object}.R" in str(caught.value)
    assert message in str(caught.value)


# --- enforcement -----------------------------------------------------------------


def test_a_violating_create_writes_nothing_and_emits_no_event(
    salesforce_org: SalesforceOrg,
) -> None:
    """The shipped rule refuses a project due before it starts."""
    with pytest.raises(RulesViolated) as caught, salesforce_org.transaction() as tx:
        tx.create("Project__c", EARLY)

    assert caught.value.rest_body() == [
        {
            "message": "The due date cannot be before the start date.",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": ["Due_Date__c"],
        }
    ]
    assert salesforce_org.table("Project__c") == {}
    assert project_events(salesforce_org) == []


def test_every_firing_rule_is_reported(salesforce_org: SalesforceOrg) -> None:
    """Like the platform, all failing rules come back, one entry each."""
    salesforce_org.validation.add(
        ValidationRule("Project__c", "Named", "LEN(Name) < 3", "Name too short")
    )

    with pytest.raises(RulesViolated) as caught, salesforce_org.transaction() as tx:
        tx.create("Project__c", EARLY)

    body = caught.value.rest_body()
    assert [(e["message"], e["fields"]) for e in body] == [
        ("The due date cannot be before the start date.", ["Due_Date__c"]),
        ("Name too short", []),
    ]


def test_an_inactive_rule_does_not_fire(salesforce_org: SalesforceOrg) -> None:
    """active=false keeps the rule but skips it."""
    salesforce_org.validation.remove("Project__c")
    salesforce_org.validation.add(
        ValidationRule("Project__c", "Off", "TRUE", "never", active=False)
    )

    with salesforce_org.transaction() as tx:
        record_id = tx.create("Project__c", EARLY)

    assert record_id in salesforce_org.table("Project__c")


def test_a_composite_subrequest_gets_the_rule_error_body(api: Api) -> None:
    """Composite answers the violating subrequest with the REST error array."""
    sub = {
        "method": "POST",
        "url": f"{V}/sobjects/Project__c",
        "referenceId": "p",
        "body": EARLY,
    }

    response = api.call("POST", "/composite", json={"compositeRequest": [sub]})

    (answer,) = response.json()["compositeResponse"]
    assert answer["httpStatusCode"] == 400
    assert answer["body"][0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert answer["body"][0]["fields"] == ["Due_Date__c"]


def test_a_collections_create_reports_the_row_with_status_code(api: Api) -> None:
    """sObject Collections rows use statusCode, not errorCode."""
    good = {"attributes": {"type": "Project__c"}, "Name": "Fine"}
    bad = {"attributes": {"type": "Project__c"}, **EARLY}

    response = api.call("POST", "/composite/sobjects", json={"records": [good, bad]})

    first, second = response.json()
    assert first["success"] is True
    assert second == {
        "id": None,
        "success": False,
        "errors": [
            {
                "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "message": "The due date cannot be before the start date.",
                "fields": ["Due_Date__c"],
            }
        ],
    }


# --- admin API and start-up configuration ----------------------------------------


def test_rules_are_added_listed_and_removed_through_the_admin_api(
    api: Api,
) -> None:
    """POST compiles and adds, GET lists, DELETE removes."""
    rule = {
        "object": "project__c",
        "name": "No_EMEA",
        "formula": "Region__c = 'EMEA'",
        "message": "EMEA is closed",
        "field": "region__c",
    }

    added = api.client.post("/__sandbox/validation-rules", json=rule)
    refused = api.call(
        "POST", "/sobjects/Project__c", json={"Name": "P", "Region__c": "EMEA"}
    )
    listed = api.client.get("/__sandbox/validation-rules?object=Project__c")
    removed = api.client.delete(
        "/__sandbox/validation-rules?object=Project__c&name=No_EMEA"
    )
    accepted = api.call(
        "POST", "/sobjects/Project__c", json={"Name": "P", "Region__c": "EMEA"}
    )

    assert added.status_code == 201
    assert added.json()["rule"]["object"] == "Project__c"
    assert added.json()["rule"]["field"] == "Region__c"
    assert refused.status_code == 400
    assert refused.json()[0]["message"] == "EMEA is closed"
    assert [r["name"] for r in listed.json()["rules"]] == [
        "Due_Date_After_Start",
        "No_EMEA",
    ]
    assert removed.json() == {"removed": 1}
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"object": "Project__c", "name": "R", "formula": "X__c"}, "missing message"),
        (
            {"object": "Project__c", "name": "R", "formula": "AND(", "message": "m"},
            "Project__c.R: Syntax error",
        ),
        (
            {
                "object": "Project__c",
                "name": "R",
                "formula": "TRUE",
                "message": "m",
                "active": "yes",
            },
            "active must be",
        ),
    ],
    ids=["incomplete", "malformed formula", "active not boolean"],
)
def test_the_admin_api_refuses_a_bad_rule_with_400(
    api: Api, body: dict[str, Any], message: str
) -> None:
    """A rule that does not compile is never added."""
    response = api.client.post("/__sandbox/validation-rules", json=body)

    assert response.status_code == 400
    assert message in response.json()["error"]
    names = [
        r["name"] for r in api.client.get("/__sandbox/validation-rules").json()["rules"]
    ]
    assert "R" not in names


def test_rules_in_the_config_apply_from_the_first_request() -> None:
    """SandboxConfig.validation_rules are added at start."""
    rule = ValidationRule("Account", "Named", "ISBLANK(Region__c)", "Region needed")
    app = build_app(config=SandboxConfig(validation_rules=(rule,)))

    with TestClient(app) as client:
        response = Api(client).call("POST", "/sobjects/Account", json={"Name": "A"})

    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "Region needed",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": [],
        }
    ]
    app.state.sandbox.org.close()
