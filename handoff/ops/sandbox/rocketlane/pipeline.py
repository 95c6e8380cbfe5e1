"""The request pipeline every Rocketlane endpoint of the sandbox shares.

Every API call passes, in order: authentication on the ``api-key`` header,
the per-key rate limits, the fault rules for its operation name, then the
handler. Every answer carries an ``x-request-id``, and every call counts in
the sandbox's ``RequestStats``.

A "drop" fault needs the connection to die with no status line after the
write committed. The outer ASGI callable swallows the response and returns
a non-``None`` value; uvicorn (the server ``ServerThread`` runs) answers
that by closing the socket without writing anything, which an httpx client
sees as ``RemoteProtocolError: Server disconnected without sending a
response`` — exactly what a client sees when a load balancer drops it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .catalog import FIELD_SETS
from .config import DEFAULT_TIMEOUT_FAULT_S, FaultRule, SandboxConfig
from .errors import (
    NOT_AUTHORIZED_MESSAGE,
    RATE_LIMIT_MESSAGE,
    SERVER_ERROR_MESSAGE,
    ApiError,
    bad_request,
)
from .limits import Faults, RateLimiter
from .query import (
    ListQuery,
    PageTokens,
    matches,
    next_page_url,
    select_fields,
    sort_records,
)
from .stats import UNROUTED, RequestStats
from .webhooks import WebhookDispatcher
from .workspace import RocketlaneWorkspace

__all__ = [
    "Call",
    "Sandbox",
    "SandboxApp",
    "api_route",
    "json_response",
    "list_response",
    "one",
]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/1.0"
DROP_FLAG = "handoff.sandbox.drop"
Record = dict[str, Any]


@dataclass
class Sandbox:
    """The state one app serves: workspace, config, limits, faults, hooks."""

    workspace: RocketlaneWorkspace
    config: SandboxConfig
    limiter: RateLimiter
    faults: Faults
    tokens: PageTokens
    webhooks: WebhookDispatcher
    seeded: bool = True
    stats: RequestStats = field(default_factory=RequestStats)


@dataclass
class Call:
    """One authenticated API call, as handlers see it."""

    request: Request
    sandbox: Sandbox
    actor: Record
    fault: FaultRule | None = None
    _query: ListQuery | None = field(default=None, repr=False)

    @property
    def ws(self) -> RocketlaneWorkspace:
        """The workspace the call acts on."""
        return self.sandbox.workspace

    def query(self) -> ListQuery:
        """The parsed query string (a page token restores its search)."""
        if self._query is None:
            self._query = _parse_query(self.request, self.sandbox.tokens)
        return self._query

    def path_id(self, name: str) -> int:
        """An integer path parameter."""
        return int(self.request.path_params[name])

    async def body(self) -> Any:
        """The JSON body; 400 when it does not parse."""
        raw = await self.request.body()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad_request("Invalid request body") from exc

    async def object_body(self) -> Mapping[str, Any]:
        """The JSON body, which must be an object."""
        body = await self.body()
        if not isinstance(body, Mapping):
            raise bad_request("Invalid request body")
        return body


Handler = Callable[[Call], Awaitable[Response]]


def _parse_query(request: Request, tokens: PageTokens) -> ListQuery:
    items = list(request.query_params.multi_items())
    query = ListQuery.parse(items)
    if query.page_token is None:
        return query
    original, offset = tokens.redeem(request.url.path, query.page_token)
    restored = ListQuery.parse(original)
    restored.page_token = query.page_token
    restored.offset = offset  # type: ignore[attr-defined]
    return restored


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON answer; ``None`` makes an empty 204."""
    if body is None:
        return Response(status_code=204)
    return JSONResponse(body, status_code=status)


def error_response(
    error: ApiError, headers: Mapping[str, str] | None = None
) -> Response:
    """The ``errors[]`` envelope with the error's status."""
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def rate_limited(resume_at_s: float) -> Response:
    """429 with ``X-Retry-After`` in epoch milliseconds."""
    error = ApiError(429, "TOO_MANY_REQUEST", RATE_LIMIT_MESSAGE)
    return error_response(error, {"X-Retry-After": str(int(resume_at_s * 1000))})


def list_response(
    call: Call,
    records: list[Record],
    *,
    kind: str,
    readers: Mapping[str, Any],
    id_key: str,
) -> Response:
    """Filter, sort, page and narrow ``records`` into ``{data, pagination}``."""
    query = call.query()
    found = [r for r in records if matches(r, query, readers)]
    ordered = sort_records(found, query, readers, id_key=id_key)
    offset = getattr(query, "offset", 0)
    page = ordered[offset : offset + query.page_size]
    data = [_strip(select_fields(r, FIELD_SETS[kind], query)) for r in page]

    pagination: Record = {
        "pageSize": query.page_size,
        "hasMore": offset + len(page) < len(ordered),
        "totalRecordCount": len(ordered),
    }
    if pagination["hasMore"]:
        pagination.update(_next_page(call, query, offset + len(page)))
    return json_response({"data": data, "pagination": pagination})


def _next_page(call: Call, query: ListQuery, offset: int) -> Record:
    path = call.request.url.path
    token = call.sandbox.tokens.issue(path, query.items, offset)
    url = next_page_url(
        str(call.request.url),
        query.items,
        token,
        force_http=call.sandbox.config.http_next_page,
    )
    return {"nextPageToken": token, "nextPage": url}


def _strip(record: Record) -> Record:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def one(call: Call, record: Record, kind: str, status: int = 200) -> Response:
    """A single record narrowed to the requested field set."""
    return json_response(
        _strip(select_fields(record, FIELD_SETS[kind], call.query())), status
    )


# -- the pipeline --------------------------------------------------------------


def api_route(
    method: str,
    path: str,
    operation: str,
    handler: Handler,
    *,
    is_list: bool = False,
    write: bool | None = None,
) -> Route:
    """A Rocketlane endpoint wrapped in auth, limits, faults and counting.

    ``write`` says whether the call may change state (by default, whether
    its method is not GET).
    """
    changes = method != "GET" if write is None else write

    async def endpoint(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        try:
            response = await _serve(request, sandbox, operation, handler, is_list)
        except ApiError as error:
            response = error_response(error)
        response.headers["x-request-id"] = str(uuid.uuid4())

        dropped = bool(request.scope[DROP_FLAG]["drop"])
        status = response.status_code
        sandbox.stats.record(operation, status, write=changes, dropped=dropped)
        return response

    return Route(API_PREFIX + path, endpoint, methods=[method], name=operation)


async def _serve(
    request: Request, sandbox: Sandbox, operation: str, handler: Handler, is_list: bool
) -> Response:
    config = sandbox.config
    key_name = config.api_keys.get(request.headers.get("api-key", ""))
    if key_name is None:
        raise ApiError(401, "NOT_AUTHORIZED", NOT_AUTHORIZED_MESSAGE)
    resume_at = sandbox.limiter.check(request.headers["api-key"], is_list=is_list)
    if resume_at is not None:
        logger.info("Rate limited %r on %s.", key_name, operation)
        return rate_limited(resume_at)

    fault = sandbox.faults.pick(operation)
    if fault is not None:
        early = await _before(fault, sandbox)
        if early is not None:
            return early
    call = Call(request, sandbox, sandbox.workspace.api_user(key_name), fault)
    response = await handler(call)
    if fault is not None and fault.kind == "drop":
        logger.info("Dropping the response of %s after the write.", operation)
        request.scope[DROP_FLAG]["drop"] = True
    return response


async def _before(fault: FaultRule, sandbox: Sandbox) -> Response | None:
    if fault.kind == "latency":
        await asyncio.sleep(fault.latency_s)
    if fault.kind == "timeout":
        await asyncio.sleep(fault.latency_s or DEFAULT_TIMEOUT_FAULT_S)
    if fault.kind != "error":
        return None
    if fault.status == 429:
        clock = sandbox.workspace.clock
        return rate_limited(clock() + fault.retry_after_s)
    return error_response(_fault_error(fault.status))


def _fault_error(status: int) -> ApiError:
    if status == 500:
        return ApiError(500, "SERVER_ERROR", SERVER_ERROR_MESSAGE)
    if status == 503:
        return ApiError(503, "SERVICE_UNAVAILABLE", "Service Unavailable")
    return ApiError(status, "SERVER_ERROR", SERVER_ERROR_MESSAGE)


class SandboxApp(Starlette):
    """Starlette, plus the outer layer that swallows dropped responses."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return None
        flags = {"drop": False}
        scope[DROP_FLAG] = flags

        async def guarded(message: Any) -> None:
            if not flags["drop"]:
                await send(message)

        await super().__call__(scope, receive, guarded)
        # A non-None return makes uvicorn close the socket unanswered.
        return "dropped" if flags["drop"] else None


async def not_found_handler(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        error = ApiError(405, "METHOD_NOT_ALLOWED", "Method Not Allowed")
    else:
        error = ApiError(404, "NOT_FOUND", "Not Found: Resource not found for given ID")
    response = error_response(error)
    response.headers["x-request-id"] = str(uuid.uuid4())
    if request.url.path.startswith(API_PREFIX + "/"):
        sandbox: Sandbox = request.app.state.sandbox
        sandbox.stats.record(UNROUTED, status, write=request.method != "GET")
    return response
