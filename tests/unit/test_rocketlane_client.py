"""HttpxRocketlaneClient's layers, on a fake transport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from handoff.adapters.errors import (
    AuthenticationFailed,
    InvalidRequest,
    NotFound,
    RateLimited,
    RequestTimedOut,
    ServiceUnavailable,
)
from handoff.adapters.rocketlane import DuplicateReference, HttpxRocketlaneClient

NOW = 1_780_000_000.0
Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler) -> HttpxRocketlaneClient:
    return HttpxRocketlaneClient(
        base_url="https://api.rocketlane.com/api/1.0",
        api_key="k",
        transport=httpx.MockTransport(handler),
        clock=lambda: NOW,
    )


def envelope(code: str, message: str, field: str | None = None) -> dict[str, object]:
    entry: dict[str, object] = {"errorCode": code, "errorMessage": message}
    if field:
        entry["field"] = field
    return {"errors": [entry]}


def test_requests_carry_the_raw_key_in_the_api_key_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"projectId": 1})

    client(handler).get_project(1, include_fields=["externalReferenceId", "sources"])

    assert seen[0].headers["api-key"] == "k"
    assert "authorization" not in seen[0].headers
    assert seen[0].url.path == "/api/1.0/projects/1"
    assert seen[0].url.params["includeFields"] == "externalReferenceId,sources"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, envelope("BAD_REQUEST", "Bad Request: x", "projectName"), InvalidRequest),
        (
            400,
            envelope(
                "BAD_REQUEST",
                "Bad Request: Invalid External Reference Key specified",
                "externalReferenceId",
            ),
            DuplicateReference,
        ),
        (401, envelope("NOT_AUTHORIZED", "Not Authorized"), AuthenticationFailed),
        (404, envelope("NOT_FOUND", "Not Found"), NotFound),
        (500, envelope("INTERNAL_SERVER_ERROR", "Server Error"), ServiceUnavailable),
        (502, {}, ServiceUnavailable),
    ],
    ids=["400", "duplicate reference", "401", "404", "500", "502 without body"],
)
def test_statuses_translate_once_keeping_the_cause(
    status: int, body: dict[str, object], error: type[Exception]
) -> None:
    fake = client(lambda request: httpx.Response(status, json=body))

    with pytest.raises(error) as caught:
        fake.get_project(1)

    assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)


def test_a_legacy_code_reason_duplicate_body_is_recognised() -> None:
    body = {
        "errors": [
            {
                "code": "INVALID_INPUTS",
                "reason": "Bad Request: Invalid External Reference Key specified",
            }
        ]
    }
    fake = client(lambda request: httpx.Response(400, json=body))

    with pytest.raises(DuplicateReference):
        fake.create_project({"projectName": "x"})


def test_a_429_reads_x_retry_after_as_epoch_milliseconds() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        headers = {"X-Retry-After": str(int((NOW + 12.5) * 1000))}
        body = envelope("TOO_MANY_REQUEST", "Rate limit exceeded")
        return httpx.Response(429, json=body, headers=headers)

    fake = client(handler)
    with pytest.raises(RateLimited) as first:
        fake.get_project(1)
    with pytest.raises(RateLimited) as second:
        fake.get_project(2)

    assert first.value.retry_after == pytest.approx(12.5)
    assert second.value.retry_after == pytest.approx(12.5)
    assert len(calls) == 1


def test_timeouts_and_lost_connections_are_request_timed_out() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    for handler in (timeout, dropped):
        with pytest.raises(RequestTimedOut) as caught:
            client(handler).create_project({})
        assert isinstance(caught.value.__cause__, httpx.TransportError)


def test_pages_are_followed_on_the_base_url_even_when_next_page_says_http() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if "pageToken" not in request.url.params:
            pagination = {
                "pageSize": 1,
                "hasMore": True,
                "totalRecordCount": 2,
                "nextPageToken": "t-1",
                "nextPage": "http://api.rocketlane.com/api/1.0/projects"
                "?externalReferenceId.eq=r&includeFields=externalReferenceId"
                "&pageToken=t-1",
            }
            data = [{"projectId": 1, "externalReferenceId": "r"}]
        else:
            pagination = {"pageSize": 1, "hasMore": False, "totalRecordCount": 2}
            data = [{"projectId": 2, "externalReferenceId": "other"}]
        return httpx.Response(200, json={"data": data, "pagination": pagination})

    found = client(handler).find_project_by_reference("r")

    assert found == {"projectId": 1, "externalReferenceId": "r"}
    assert [url.scheme for url in seen] == ["https", "https"]
    assert seen[1].params["pageToken"] == "t-1"
    assert seen[0].params["externalReferenceId.eq"] == "r"
    assert seen[0].params["includeFields"] == "externalReferenceId"


def test_placeholders_read_the_live_shape_and_an_empty_project() -> None:
    live = {"projectId": 1, "placeholders": [{"placeholder": {"placeholderId": 9}}]}
    bodies = iter([live, {"projectId": 2}])
    fake = client(lambda request: httpx.Response(200, content=json.dumps(next(bodies))))

    assert fake.get_placeholders(1) == live["placeholders"]
    assert fake.get_placeholders(2) == []
