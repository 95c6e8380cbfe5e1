"""The Starlette application: OAuth, REST and the admin API over one org."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from handoff.ops.sandbox.salesforce.admin import admin_routes
from handoff.ops.sandbox.salesforce.calls import Call
from handoff.ops.sandbox.salesforce.config import OLDEST_VERSION, SandboxConfig
from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.faults import Fault
from handoff.ops.sandbox.salesforce.oauth import OAuthError, check_token, grant
from handoff.ops.sandbox.salesforce.org import SalesforceOrg
from handoff.ops.sandbox.salesforce.query import DEFAULT_BATCH_SIZE
from handoff.ops.sandbox.salesforce.rest import RestApi, operation_of, parse_body
from handoff.ops.sandbox.salesforce.seed import seed_minimal

__all__ = ["Sandbox", "build_app", "fault_reply", "versions"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_FAULT_S = 60.0
SEASONS = ("Spring", "Summer", "Winter")
FAULT_BODIES: dict[int, tuple[str, str]] = {
    400: ("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you "
        "contact support: 1902481232-94321 (-1198317614)",
    ),
    502: ("SERVER_UNAVAILABLE", "The server could not reach the instance."),
    503: ("SERVER_UNAVAILABLE", "Service temporarily unavailable. Try again later."),
}


@dataclass
class Sandbox:
    """What the routes share: the org, its settings and the REST router."""

    org: SalesforceOrg
    config: SandboxConfig
    api: RestApi


def build_app(
    org: SalesforceOrg | None = None, *, config: SandboxConfig | None = None
) -> Starlette:
    """A Starlette app serving a Salesforce org (a fresh seeded one if None)."""
    config = config or SandboxConfig()
    if org is None:
        org = SalesforceOrg(
            daily_api_limit=config.daily_api_limit, event_history=config.event_history
        )
        if config.seed:
            seed_minimal(org)
    else:
        org.usage.limit = config.daily_api_limit
    for fault in config.faults:
        org.faults.add(fault)
    with org.lock:
        org.validation.extend(config.validation_rules)
    for url in config.subscriber_urls:
        org.bus.subscribe(url)
    routes = [
        Route("/services/oauth2/token", _token, methods=["POST"]),
        Route("/services/data", _versions, methods=["GET"]),
        Route(
            "/services/data/{rest:path}",
            _rest,
            methods=["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"],
        ),
        *admin_routes(),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = Sandbox(org=org, config=config, api=RestApi(org))
    return app


def versions(latest: str) -> list[dict[str, str]]:
    """The ``GET /services/data/`` list, from 31.0 to the latest version."""
    out = []
    for number in range(int(float(OLDEST_VERSION)), int(float(latest)) + 1):
        offset = number - 60
        season = SEASONS[offset % 3]
        year = 24 + offset // 3 + (1 if season == "Winter" else 0)
        out.append(
            {
                "label": f"{season} '{year:02d}",
                "url": f"/services/data/v{number}.0",
                "version": f"{number}.0",
            }
        )
    return out


def fault_reply(fault: Fault) -> tuple[int, list[dict[str, Any]]]:
    """The status and REST error body an ``error`` fault answers with."""
    code, message = FAULT_BODIES.get(fault.status, FAULT_BODIES[500])
    return fault.status, [
        {"message": fault.message or message, "errorCode": fault.error_code or code}
    ]


class LostResponse:
    """Sends the status line and headers, then closes without a body.

    uvicorn closes the connection when an app returns mid-response, so the
    client sees a broken response (``httpx.RemoteProtocolError``) although
    the write behind it has committed.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})


# --- routes -------------------------------------------------------------------


async def _token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    fault = sandbox.org.faults.draw("token")
    early = await _apply_fault_before(fault)
    if early is not None:
        return JSONResponse(
            {"error": "server_error", "error_description": early[1][0]["message"]},
            status_code=early[0],
        )
    form = dict(parse_qsl((await request.body()).decode()))
    try:
        body = grant(
            sandbox.org,
            sandbox.config,
            form,
            request.headers.get("authorization", ""),
            str(request.base_url),
        )
    except OAuthError as exc:
        return JSONResponse(exc.body, status_code=400)
    if fault is not None and fault.kind == "drop":
        return LostResponse()  # type: ignore[return-value]
    return JSONResponse(body)


async def _versions(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    return JSONResponse(versions(sandbox.config.latest_version))


async def _rest(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode().split("?")[0]
    segments = [unquote(s) for s in path.split("/")[3:] if s]
    if not segments:
        return JSONResponse(versions(sandbox.config.latest_version))
    try:
        version = _version(segments[0], sandbox.config.latest_version)
        return await _authorized(request, sandbox, version, segments[1:])
    except SalesforceError as exc:
        return _json(sandbox, exc.status, exc.rest_body())


async def _authorized(
    request: Request, sandbox: Sandbox, version: str, segments: list[str]
) -> Response:
    org = sandbox.org
    token = check_token(org, request.headers.get("authorization", ""))
    if token is None:
        raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")
    with org.lock:
        if org.usage.used >= org.usage.limit:
            raise SalesforceError(
                403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
            )
        org.usage.used += 1

    fault = org.faults.draw(operation_of(request.method, segments))
    early = await _apply_fault_before(fault)
    if early is not None:
        return _json(sandbox, *early)

    call = Call(
        method=request.method,
        version=version,
        segments=segments,
        params=dict(request.query_params),
        body=parse_body(await request.body()),
        origin=_origin(request, version),
        user_id=token.user_id,
        batch_size=_batch_size(request),
    )
    reply = await run_in_threadpool(sandbox.api.handle, call)
    if fault is not None and fault.kind == "drop":
        logger.info(
            "Dropping the response to %s %s on purpose.", call.method, path_of(call)
        )
        return LostResponse()  # type: ignore[return-value]
    return _json(sandbox, reply.status, reply.body, reply.headers)


async def _apply_fault_before(
    fault: Fault | None,
) -> tuple[int, list[dict[str, Any]]] | None:
    if fault is None:
        return None
    if fault.kind == "error":
        return fault_reply(fault)
    if fault.kind == "latency":
        await asyncio.sleep(fault.delay_s)
    if fault.kind == "timeout":
        await asyncio.sleep(fault.delay_s or DEFAULT_TIMEOUT_FAULT_S)
    return None


def path_of(call: Call) -> str:
    """The path of a call after the version, for log lines."""
    return "/" + "/".join(call.segments)


def _json(
    sandbox: Sandbox, status: int, body: Any, headers: dict[str, str] | None = None
) -> Response:
    usage = sandbox.org.usage
    all_headers = {"Sforce-Limit-Info": f"api-usage={usage.used}/{usage.limit}"}
    all_headers.update(headers or {})
    if body is None:
        return Response(status_code=status, headers=all_headers)
    content = json.dumps(body)
    return Response(
        content, status_code=status, headers=all_headers, media_type="application/json"
    )


def _version(segment: str, latest: str) -> str:
    number = segment[1:] if segment.startswith("v") else ""
    try:
        value = float(number)
    except ValueError:
        raise SalesforceError(
            404, "NOT_FOUND", "The requested resource does not exist"
        ) from None
    if value < float(OLDEST_VERSION):
        raise SalesforceError(
            410, "API_VERSION_RETIRED", f"API version {number} has been retired."
        )
    if value > float(latest):
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    return f"{value:.1f}"


def _origin(request: Request, version: str) -> str:
    options = request.headers.get("sforce-call-options", "")
    for part in options.split(","):
        key, _, value = part.strip().partition("=")
        if key == "client" and value:
            return f"com/salesforce/api/rest/{version};client={value}"
    return ""


def _batch_size(request: Request) -> int:
    options = request.headers.get("sforce-query-options", "")
    for part in options.split(","):
        key, _, value = part.strip().partition("=")
        if key == "batchSize" and value.isdigit():
            return int(value)
    return DEFAULT_BATCH_SIZE
