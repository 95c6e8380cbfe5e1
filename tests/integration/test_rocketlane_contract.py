"""The contract: HttpxRocketlaneClient against the sandbox, over a socket."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handoff.adapters.errors import (
    AuthenticationFailed,
    IntegrationError,
    InvalidRequest,
    NotFound,
    RateLimited,
    RequestTimedOut,
    ServiceUnavailable,
)
from handoff.adapters.rocketlane import DuplicateReference, HttpxRocketlaneClient
from handoff.ops.sandbox.rocketlane import FaultRule
from handoff.ops.serving import ServerThread
from tests.fixtures.rocketlane import RocketlaneServer

pytestmark = pytest.mark.integration


def project_body(reference: str = "a0X000000000001", **extra: Any) -> dict[str, Any]:
    """A minimal valid create body."""
    return {
        "projectName": "Acme – Onboarding",
        "owner": {"emailId": "pm@handoff.example"},
        "customer": {"companyName": "Acme Corporation"},
        "externalReferenceId": reference,
        **extra,
    }


def client_for(server: RocketlaneServer, **options: Any) -> HttpxRocketlaneClient:
    """A second client on the same server, with its own options."""
    return HttpxRocketlaneClient(
        base_url=server.api_url, api_key=server.api_key, **options
    )


def test_a_project_is_created_read_updated_found_and_archived(
    rocketlane_client: HttpxRocketlaneClient,
) -> None:
    body = project_body(
        startDate="2026-03-02",
        sources=[{"templateId": 1001, "startDate": "2026-03-02"}],
    )

    created = rocketlane_client.create_project(body)
    project_id = created["projectId"]
    fetched = rocketlane_client.get_project(
        project_id, include_fields=["externalReferenceId"]
    )
    updated = rocketlane_client.update_project(project_id, {"status": {"value": 2}})
    found = rocketlane_client.find_project_by_reference("a0X000000000001")
    rocketlane_client.archive_project(project_id)
    archived = rocketlane_client.get_project(project_id)

    assert created["status"] == {"value": 5, "label": "Proposed"}
    assert "externalReferenceId" not in created
    assert fetched["externalReferenceId"] == "a0X000000000001"
    assert updated["status"]["label"] == "In progress"
    assert updated["projectName"] == "Acme – Onboarding"
    assert found is not None and found["projectId"] == project_id
    assert archived["archived"] is True
    assert rocketlane_client.find_project_by_reference("a0X000000000001") is not None


def test_an_unknown_reference_finds_nothing(
    rocketlane_client: HttpxRocketlaneClient,
) -> None:
    assert rocketlane_client.find_project_by_reference("nope") is None


def test_a_second_project_with_the_same_reference_is_a_duplicate(
    rocketlane_client: HttpxRocketlaneClient,
) -> None:
    rocketlane_client.create_project(project_body())

    with pytest.raises(DuplicateReference) as caught:
        rocketlane_client.create_project(project_body())

    assert caught.value.fields == ("externalReferenceId",)
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda c: c.get_project(1), NotFound, id="404 is NotFound"),
        pytest.param(
            lambda c: c.create_project({"projectName": "x", "customer": {}}),
            InvalidRequest,
            id="400 is InvalidRequest",
        ),
    ],
)
def test_error_answers_become_the_right_error(
    rocketlane_client: HttpxRocketlaneClient, call: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(rocketlane_client)


def test_a_missing_owner_names_the_project_owner_field(
    rocketlane_client: HttpxRocketlaneClient,
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        rocketlane_client.create_project({"projectName": "x", "customer": {}})

    assert caught.value.fields == ("projectOwner",)


def test_a_wrong_key_is_refused(rocketlane_server: RocketlaneServer) -> None:
    with client_for(rocketlane_server) as client:
        client._api_key = "wrong"
        with pytest.raises(AuthenticationFailed):
            client.get_project(1)


def test_lists_are_followed_through_next_page(
    rocketlane_client: HttpxRocketlaneClient,
) -> None:
    ids = {
        rocketlane_client.create_project(project_body(f"ref-{n}"))["projectId"]
        for n in range(5)
    }

    listed = list(rocketlane_client.iter_list("projects", {"pageSize": "2"}))

    assert {p["projectId"] for p in listed} == ids
    assert len(listed) == 5


def test_a_429_becomes_rate_limited_and_the_client_holds_off(
    rocketlane_client: HttpxRocketlaneClient, rocketlane_server: RocketlaneServer
) -> None:
    rocketlane_server.admin("PUT", "config", {"listRateLimitPerMinute": 3})
    project_id = rocketlane_client.create_project(project_body())["projectId"]
    for _ in range(3):
        rocketlane_client.find_project_by_reference("a0X000000000001")

    with pytest.raises(RateLimited) as refused:
        rocketlane_client.find_project_by_reference("a0X000000000001")
    with pytest.raises(RateLimited) as held:
        rocketlane_client.get_project(project_id)

    assert refused.value.retry_after is not None
    assert 50 < refused.value.retry_after <= 60
    assert held.value.retry_after is not None
    assert held.value.retry_after <= refused.value.retry_after


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        pytest.param(
            FaultRule("projects.get", status=500), ServiceUnavailable, id="500"
        ),
        pytest.param(FaultRule("projects.*", status=503), ServiceUnavailable, id="503"),
        pytest.param(
            FaultRule("*", status=429, retry_after_s=2), RateLimited, id="429 storm"
        ),
        pytest.param(
            FaultRule("projects.get", kind="timeout", latency_s=3),
            RequestTimedOut,
            id="timeout",
        ),
        pytest.param(
            FaultRule("projects.get", kind="drop"), RequestTimedOut, id="drop"
        ),
    ],
)
def test_each_fault_reaches_the_adapter_as_its_error(
    rocketlane_server: RocketlaneServer, rule: FaultRule, error: type[IntegrationError]
) -> None:
    with client_for(rocketlane_server, timeout=0.5) as client:
        project_id = client.create_project(project_body())["projectId"]
        rocketlane_server.sandbox.faults.add(rule)

        with pytest.raises(error) as caught:
            client.get_project(project_id)

    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after is not None
        assert 0 < caught.value.retry_after <= 2


def test_faults_for_the_next_n_calls_pass_after_n(
    rocketlane_client: HttpxRocketlaneClient, rocketlane_server: RocketlaneServer
) -> None:
    project_id = rocketlane_client.create_project(project_body())["projectId"]
    rocketlane_server.admin(
        "POST", "faults", {"operation": "projects.get", "status": 500, "count": 2}
    )

    outcomes = []
    for _ in range(3):
        try:
            rocketlane_client.get_project(project_id)
            outcomes.append("ok")
        except ServiceUnavailable:
            outcomes.append("500")

    assert outcomes == ["500", "500", "ok"]


def test_latency_delays_but_serves(
    rocketlane_client: HttpxRocketlaneClient, rocketlane_server: RocketlaneServer
) -> None:
    rocketlane_server.sandbox.faults.add(
        FaultRule("projects.create", kind="latency", latency_s=0.2)
    )

    created = rocketlane_client.create_project(project_body())

    assert created["projectId"] > 0


def test_a_lost_create_is_resolved_by_looking_the_reference_up(
    rocketlane_client: HttpxRocketlaneClient, rocketlane_server: RocketlaneServer
) -> None:
    rocketlane_server.sandbox.faults.add(
        FaultRule("projects.create", kind="drop", count=1)
    )

    with pytest.raises(RequestTimedOut):
        rocketlane_client.create_project(project_body("lost-1"))
    found = rocketlane_client.find_project_by_reference("lost-1")

    assert found is not None
    assert len(rocketlane_server.workspace.projects) == 1


def test_a_slow_template_create_that_times_out_is_found_afterwards(
    rocketlane_server: RocketlaneServer,
) -> None:
    rocketlane_server.admin("PUT", "config", {"templateCreateDelayS": 2.0})
    body = project_body(
        "slow-1",
        startDate="2026-03-02",
        sources=[{"templateId": 1002, "startDate": "2026-03-02"}],
    )

    with client_for(rocketlane_server, create_timeout=0.3) as client:
        with pytest.raises(RequestTimedOut):
            client.create_project(body)
        found = client.find_project_by_reference("slow-1")

    assert found is not None


class Receiver:
    """A webhook receiver that checks Basic auth and records bodies."""

    def __init__(self, username: str, password: str) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.expected = f"Basic {token}"
        self.bodies: list[dict[str, Any]] = []
        self.refused = 0
        self.arrived = threading.Event()

    async def receive(self, request: Request) -> Response:
        """Accept with 204 when authorised, else 401."""
        if request.headers.get("authorization") != self.expected:
            self.refused += 1
            return Response(status_code=401)
        self.bodies.append(await request.json())
        self.arrived.set()
        return Response(status_code=204)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver served on its own socket, and its URL."""
    hooks = Receiver("rocketlane", "s3cret")
    app = Starlette(routes=[Route("/hooks", hooks.receive, methods=["POST"])])
    with ServerThread(app) as server:
        yield hooks, f"{server.url}/hooks"


def test_webhooks_are_delivered_with_basic_auth_and_the_api_actor(
    rocketlane_client: HttpxRocketlaneClient,
    rocketlane_server: RocketlaneServer,
    receiver: tuple[Receiver, str],
) -> None:
    hooks, url = receiver
    rocketlane_server.admin(
        "POST",
        "webhooks",
        {"url": url, "username": "rocketlane", "password": "s3cret"},
    )

    created = rocketlane_client.create_project(project_body())
    rocketlane_client.update_project(created["projectId"], {"projectName": "Renamed"})
    deliveries = rocketlane_server.admin("GET", "deliveries?wait=true")

    kinds = sorted(body["eventType"] for body in hooks.bodies)
    update = next(b for b in hooks.bodies if b["eventType"] == "PROJECT_UPDATED")
    create = next(b for b in hooks.bodies if b["eventType"] == "PROJECT_CREATED")
    assert kinds == ["PROJECT_CREATED", "PROJECT_UPDATED"]
    assert hooks.refused == 0
    assert all(d["ok"] for d in deliveries)
    assert update["changeLog"]["changedFields"] == ["projectName"]
    assert update["changeLog"]["to"] == {"projectName": "Renamed"}
    assert "changeLog" not in create
    assert create["source"]["actor"] == created["createdBy"]
    assert create["data"]["project"]["projectId"] == created["projectId"]


def test_a_receiver_refusing_the_credentials_records_a_failed_delivery(
    rocketlane_client: HttpxRocketlaneClient,
    rocketlane_server: RocketlaneServer,
    receiver: tuple[Receiver, str],
) -> None:
    hooks, url = receiver
    rocketlane_server.admin(
        "POST", "webhooks", {"url": url, "username": "rocketlane", "password": "bad"}
    )

    rocketlane_client.create_project(project_body())
    deliveries = rocketlane_server.admin("GET", "deliveries?wait=true")

    assert [d["statusCode"] for d in deliveries] == [401]
    assert deliveries[0]["ok"] is False
    assert hooks.refused == 1
