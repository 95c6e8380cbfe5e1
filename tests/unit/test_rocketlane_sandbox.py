"""The Rocketlane sandbox's API semantics, in process (no socket)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from handoff.ops.sandbox.rocketlane import (
    RocketlaneWorkspace,
    SandboxConfig,
    build_app,
    seed_default,
)
from handoff.ops.sandbox.rocketlane.query import Filter, ListQuery, matches

with warnings.catch_warnings():
    # Starlette nudges towards httpx2; httpx is what this project pins.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

KEY = {"api-key": "rl-sandbox-key"}


class Clock:
    """A clock tests move by hand (epoch seconds)."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workspace(clock: Clock) -> RocketlaneWorkspace:
    return seed_default(RocketlaneWorkspace(clock=clock))


@pytest.fixture
def api(workspace: RocketlaneWorkspace) -> Iterator[TestClient]:
    app = build_app(workspace, config=SandboxConfig(template_create_delay_s=0))
    with TestClient(app, base_url="http://sandbox.test") as client:
        yield client


def create(api: TestClient, **extra: Any) -> dict[str, Any]:
    body = {
        "projectName": "Acme onboarding",
        "owner": {"emailId": "pm@handoff.example"},
        "customer": {"companyName": "Acme Corporation"},
        **extra,
    }
    response = api.post("/api/1.0/projects", json=body, headers=KEY)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# -- filters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        pytest.param("eq", "Acme", True, id="eq matches exactly"),
        pytest.param("eq", "acme", False, id="eq is case-sensitive"),
        pytest.param("cn", "cM", True, id="cn ignores case"),
        pytest.param("nc", "cme", False, id="nc rejects a contained text"),
        pytest.param("oneOf", "Globex, Acme", True, id="oneOf lists options"),
        pytest.param("noneOf", "Acme", False, id="noneOf excludes"),
        pytest.param("gt", "Aaa", True, id="gt compares text"),
        pytest.param("le", "Aaa", False, id="le compares text"),
    ],
)
def test_text_filters(op: str, value: str, expected: bool) -> None:
    query = ListQuery.parse([(f"name.{op}", value)])

    assert matches({"name": "Acme"}, query, {"name": lambda r: r["name"]}) is expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("gt", "9", True), ("lt", "10", False), ("ge", "10", True), ("eq", "10.0", True)],
    ids=["gt", "lt", "ge", "eq as number"],
)
def test_number_filters_compare_numerically(
    op: str, value: str, expected: bool
) -> None:
    query = ListQuery.parse([(f"n.{op}", value)])

    assert matches({"n": 10}, query, {"n": lambda r: r["n"]}) is expected


def test_match_any_joins_filters_with_or() -> None:
    readers = {"a": lambda r: r["a"], "b": lambda r: r["b"]}
    record = {"a": "x", "b": "y"}

    both = ListQuery.parse([("a.eq", "x"), ("b.eq", "nope")])
    either = ListQuery.parse([("a.eq", "x"), ("b.eq", "nope"), ("match", "any")])

    assert not matches(record, both, readers)
    assert matches(record, either, readers)


def test_include_fields_accepts_commas_and_repeats() -> None:
    query = ListQuery.parse(
        [("includeFields", "a,b"), ("includeFields", "c"), ("includeAllFields", "TRUE")]
    )

    assert query.include_fields == ["a", "b", "c"]
    assert query.include_all is True
    assert query.filters == []


def test_unknown_operators_are_not_filters() -> None:
    assert ListQuery.parse([("a.like", "x")]).filters == []
    assert ListQuery.parse([("a.b.eq", "x")]).filters == [Filter("a.b", "eq", "x")]


# -- projects ------------------------------------------------------------------


def test_every_answer_carries_a_request_id(api: TestClient) -> None:
    ok = api.get("/api/1.0/users", headers=KEY)
    refused = api.get("/api/1.0/users", headers={"Authorization": "Bearer x"})

    assert ok.headers["x-request-id"]
    assert refused.status_code == 401
    assert refused.headers["x-request-id"]
    assert refused.json()["errors"][0]["errorCode"] == "NOT_AUTHORIZED"


def test_a_new_project_shows_the_sparse_default_set(api: TestClient) -> None:
    project = create(api, externalReferenceId="ref-1", currency="EUR")

    assert project["status"] == {"value": 5, "label": "Proposed"}
    assert project["currency"]["currencyCode"] == "EUR"
    assert "externalReferenceId" not in project
    assert "trackedHours" not in project
    assert "startDate" not in project
    assert project["teamMembers"]["members"][0]["emailId"] == "pm@handoff.example"


def test_include_fields_unlocks_renamed_properties(api: TestClient) -> None:
    project = create(api, startDate="2026-06-01", sources=[{"templateId": 1001}])

    response = api.get(
        f"/api/1.0/projects/{project['projectId']}",
        params=[
            ("includeFields", "currentPhase"),
            ("includeFields", "plannedDuration"),
        ],
        headers=KEY,
    )

    assert "currentPhases" in response.json()
    assert response.json()["plannedDurationInDays"] == 35
    assert "trackedHours" not in response.json()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"owner": {"emailId": "pm@handoff.example"}},
            "projectName",
            "Project name is missing",
        ),
        ({"projectName": "x"}, "projectOwner", "Project owner is missing"),
        (
            {
                "projectName": "x",
                "owner": {"emailId": "pm@handoff.example"},
                "customer": {"companyName": "Nobody"},
            },
            "customer",
            "No customer company found for provided value",
        ),
    ],
    ids=["name", "owner", "customer"],
)
def test_create_rejects_missing_parts(
    api: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    response = api.post("/api/1.0/projects", json=body, headers=KEY)

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "errorCode": "BAD_REQUEST",
        "errorMessage": f"Bad Request: {message}",
        "field": field,
    }


def test_auto_create_company_reuses_or_creates(
    api: TestClient, workspace: RocketlaneWorkspace
) -> None:
    before = len(workspace.companies)

    reused = create(
        api, customer={"companyName": "ACME corporation"}, autoCreateCompany=True
    )
    made = create(api, customer={"companyName": "Initech"}, autoCreateCompany="true")

    assert reused["customer"]["companyName"] == "Acme Corporation"
    assert made["customer"]["companyName"] == "Initech"
    assert len(workspace.companies) == before + 1


def test_templates_build_phases_tasks_milestones_and_placeholders(
    api: TestClient, workspace: RocketlaneWorkspace
) -> None:
    project = create(api, startDate="2026-06-01", sources=[{"templateId": 1001}])
    pid = project["projectId"]

    phases = api.get("/api/1.0/phases", params={"projectId": pid}, headers=KEY).json()
    tasks = api.get(
        "/api/1.0/tasks",
        params={"projectId.eq": pid, "includeFields": "type"},
        headers=KEY,
    ).json()
    placeholders = api.post(f"/api/1.0/projects/{pid}/get-placeholders", headers=KEY)

    assert [p["phaseName"] for p in phases["data"]] == [
        "Kickoff",
        "Configuration",
        "Go-live",
    ]
    assert sum(t["type"] == "MILESTONE" for t in tasks["data"]) == 2
    assert project["dueDate"] == "2026-07-05"
    names = [
        p["placeholder"]["placeholderName"] for p in placeholders.json()["placeholders"]
    ]
    assert names == ["Project Manager", "Specialist", "Consultant pool"]


def test_put_changes_only_the_documented_keys_sent(api: TestClient) -> None:
    project = create(api, budgetedHours=10)
    pid = project["projectId"]

    response = api.put(
        f"/api/1.0/projects/{pid}",
        json={"projectName": "New", "customer": {"companyName": "Globex"}},
        headers=KEY,
    )

    assert response.json()["projectName"] == "New"
    assert response.json()["customer"]["companyName"] == "Acme Corporation"


def test_status_categories_drive_the_actual_dates(api: TestClient) -> None:
    pid = create(api)["projectId"]
    url = f"/api/1.0/projects/{pid}"
    fields = {"includeFields": "startDateActual,dueDateActual"}

    started = api.put(url, json={"status": {"value": 2}}, headers=KEY, params=fields)
    done = api.put(url, json={"status": {"value": 3}}, headers=KEY, params=fields)
    bad = api.put(url, json={"status": {"value": 7}}, headers=KEY)

    assert "startDateActual" in started.json()
    assert "dueDateActual" not in started.json()
    assert done.json()["dueDateActual"] == "2026-05-28"
    assert bad.status_code == 400


def test_archived_projects_hide_unless_asked(api: TestClient) -> None:
    pid = create(api)["projectId"]

    archived = api.post(f"/api/1.0/projects/{pid}/archive", headers=KEY)
    hidden = api.get("/api/1.0/projects", headers=KEY).json()
    shown = api.get(
        "/api/1.0/projects", params={"includeArchive.eq": "true"}, headers=KEY
    )

    assert archived.status_code == 204
    assert archived.content == b""
    assert hidden["data"] == []
    assert shown.json()["data"][0]["archived"] is True


def test_delete_answers_204_and_then_404(api: TestClient) -> None:
    pid = create(api)["projectId"]

    deleted = api.delete(f"/api/1.0/projects/{pid}", headers=KEY)
    missing = api.get(f"/api/1.0/projects/{pid}", headers=KEY)

    assert deleted.status_code == 204
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["errorMessage"] == (
        "Not Found: Resource not found for given ID"
    )


def test_sort_defaults_to_descending(api: TestClient) -> None:
    for name in ("b", "a", "c"):
        create(api, projectName=name)

    desc = api.get("/api/1.0/projects", params={"sortBy": "projectName"}, headers=KEY)
    asc = api.get(
        "/api/1.0/projects",
        params={"sortBy": "projectName", "sortOrder": "ASC"},
        headers=KEY,
    )

    assert [p["projectName"] for p in desc.json()["data"]] == ["c", "b", "a"]
    assert [p["projectName"] for p in asc.json()["data"]] == ["a", "b", "c"]


# -- pagination ------------------------------------------------------------------


def test_pages_carry_a_next_page_that_repeats_the_query(api: TestClient) -> None:
    for n in range(5):
        create(api, projectName=f"p{n}")

    first = api.get(
        "/api/1.0/projects",
        params={"pageSize": 2, "projectName.cn": "p", "includeFields": "sources"},
        headers=KEY,
    ).json()["pagination"]
    query = parse_qs(urlsplit(first["nextPage"]).query)

    assert first["hasMore"] is True
    assert first["totalRecordCount"] == 5
    assert first["nextPage"].startswith("http://sandbox.test/api/1.0/projects?")
    assert query["projectName.cn"] == ["p"]
    assert query["pageToken"] == [first["nextPageToken"]]


def test_following_next_page_ends_without_next_keys(api: TestClient) -> None:
    for n in range(5):
        create(api, projectName=f"p{n}")

    seen, url = [], "/api/1.0/projects?pageSize=2"
    while url:
        page = api.get(url, headers=KEY).json()
        seen += [p["projectName"] for p in page["data"]]
        url = page["pagination"].get("nextPage")

    assert sorted(seen) == [f"p{n}" for n in range(5)]
    assert page["pagination"] == {
        "pageSize": 2,
        "hasMore": False,
        "totalRecordCount": 5,
    }


def test_page_tokens_expire_after_15_minutes(api: TestClient, clock: Clock) -> None:
    for n in range(3):
        create(api, projectName=f"p{n}")
    token = api.get("/api/1.0/projects?pageSize=1", headers=KEY).json()["pagination"][
        "nextPageToken"
    ]

    clock.now += 15 * 60 + 1
    response = api.get(f"/api/1.0/projects?pageToken={token}", headers=KEY)

    assert response.status_code == 400


def test_page_size_is_capped_at_100(api: TestClient) -> None:
    response = api.get("/api/1.0/users?pageSize=500", headers=KEY)

    assert response.json()["pagination"]["pageSize"] == 100


# -- tasks, time, metrics ----------------------------------------------------------


def test_completing_a_milestone_stamps_its_actual_due_date(api: TestClient) -> None:
    pid = create(api)["projectId"]
    milestone = api.post(
        "/api/1.0/tasks",
        json={
            "taskName": "Go-live",
            "project": {"projectId": pid},
            "type": "MILESTONE",
        },
        headers=KEY,
    ).json()

    done = api.put(
        f"/api/1.0/tasks/{milestone['taskId']}",
        json={"status": {"value": 3}, "atRisk": True},
        params={"includeAllFields": "true"},
        headers=KEY,
    ).json()

    assert "type" not in milestone
    assert done["type"] == "MILESTONE"
    assert done["dueDateActual"] == "2026-05-28"
    assert done["atRisk"] is True
    assert done["taskName"] == "Go-live"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"minutes": 0}, "Minutes should be between 1 and 1440"),
        ({"minutes": -5}, "Minutes is negative"),
        ({"minutes": 30, "activityName": "x"}, "Exactly one"),
        ({"minutes": 1441}, "Minutes should be between 1 and 1440"),
    ],
    ids=["zero", "negative", "two sources", "over a day"],
)
def test_time_entries_are_validated(
    api: TestClient, body: dict[str, Any], message: str
) -> None:
    pid = create(api)["projectId"]
    payload = {"date": "2026-05-28", "project": {"projectId": pid}, **body}

    response = api.post("/api/1.0/time-entries", json=payload, headers=KEY)

    assert response.status_code == 400
    assert message in response.json()["errors"][0]["errorMessage"]


def test_a_user_logs_at_most_1440_minutes_a_day(api: TestClient) -> None:
    pid = create(api)["projectId"]
    entry = {"date": "2026-05-28", "project": {"projectId": pid}, "minutes": 1000}

    first = api.post("/api/1.0/time-entries", json=entry, headers=KEY)
    second = api.post("/api/1.0/time-entries", json=entry, headers=KEY)

    assert first.status_code == 201
    assert first.json()["billable"] is True
    assert second.status_code == 400


def test_metrics_follow_time_tasks_and_rates(api: TestClient) -> None:
    project = create(
        api,
        budgetedHours=10,
        financials={
            "contractType": "TIME_AND_MATERIAL",
            "timeAndMaterialContract": {
                "rateCard": {"rateCardId": 2001},
                "projectBudget": 1000,
            },
        },
    )
    pid = project["projectId"]
    for done in (True, False, False, False):
        task = {"taskName": "t", "project": {"projectId": pid}}
        if done:
            task["status"] = {"value": 3}
        api.post("/api/1.0/tasks", json=task, headers=KEY)
    for user, minutes, billable in (
        ("specialist@handoff.example", 120, True),
        ("pm@handoff.example", 60, False),
    ):
        api.post(
            "/api/1.0/time-entries",
            json={
                "date": "2026-05-28",
                "minutes": minutes,
                "billable": billable,
                "project": {"projectId": pid},
                "user": {"emailId": user},
            },
            headers=KEY,
        )

    view = api.get(
        f"/api/1.0/projects/{pid}",
        params={
            "includeFields": "trackedHours,trackedMinutes,remainingHours,"
            "percentageBudgetedHoursConsumed,percentageBudgetConsumed,"
            "progressPercentage,metrics,billableMinutes"
        },
        headers=KEY,
    ).json()
    money = view["financials"]["metrics"]

    assert view["trackedMinutes"] == 180
    assert view["trackedHours"] == 3
    assert view["billableMinutes"] == 120
    assert view["remainingHours"] == 7
    assert view["percentageBudgetedHoursConsumed"] == 30.0
    assert view["progressPercentage"] == 25
    assert money["actualRevenue"] == 300.0  # 2 h × 150 (Specialist)
    assert money["actualCost"] == 200.0  # 2 h × 60 + 1 h × 80
    assert money["actualProfit"] == 100.0
    assert money["actualProfitMargin"] == 33.33
    assert view["percentageBudgetConsumed"] == 30.0


def test_allocations_need_both_dates_and_follow_assignment(api: TestClient) -> None:
    pid = create(api, startDate="2026-06-01", sources=[{"templateId": 1003}])[
        "projectId"
    ]
    placeholder = api.post(f"/api/1.0/projects/{pid}/get-placeholders", headers=KEY)
    placeholder_id = placeholder.json()["placeholders"][0]["placeholder"][
        "placeholderId"
    ]
    window = {
        "startDate": "2026-06-01",
        "endDate": "2026-06-30",
        "includeAllFields": "true",
    }

    missing = api.get("/api/1.0/resource-allocations?startDate=2026-06-01", headers=KEY)
    soft = api.get("/api/1.0/resource-allocations", params=window, headers=KEY).json()
    api.post(
        f"/api/1.0/projects/{pid}/assign-placeholders",
        json=[
            {
                "placeholderId": placeholder_id,
                "user": {"emailId": "consultant@handoff.example"},
            }
        ],
        headers=KEY,
    )
    hard = api.get("/api/1.0/resource-allocations", params=window, headers=KEY).json()

    assert missing.status_code == 400
    assert [(a["allocationType"], a["allocationFor"]) for a in soft["data"]] == [
        ("SOFT", "PLACEHOLDER")
    ]
    assert [(a["allocationType"], a["allocationFor"]) for a in hard["data"]] == [
        ("HARD", "TEAM_MEMBER")
    ]
    assert hard["data"][0]["member"]["emailId"] == "consultant@handoff.example"


# -- limits ----------------------------------------------------------------------------


def test_list_gets_are_limited_to_60_a_minute_with_an_epoch_ms_retry(
    api: TestClient, clock: Clock
) -> None:
    answers = [api.get("/api/1.0/users", headers=KEY).status_code for _ in range(61)]
    limited = api.get("/api/1.0/users", headers=KEY)
    single = api.get("/api/1.0/projects/1", headers=KEY)

    assert answers[:60] == [200] * 60
    assert answers[60] == 429
    assert limited.json()["errors"][0] == {
        "errorCode": "TOO_MANY_REQUEST",
        "errorMessage": "Rate limit exceeded",
    }
    assert int(limited.headers["X-Retry-After"]) == int((clock.now + 60) * 1000)
    assert single.status_code == 404
