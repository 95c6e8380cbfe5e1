"""The admin API under ``/__sandbox/``: state, events, usage, faults, rules.

See the package docstring for the list of endpoints.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from handoff.ops.sandbox.salesforce.faults import Fault
from handoff.ops.sandbox.salesforce.seed import seed_minimal
from handoff.ops.sandbox.salesforce.validation import ValidationRule

if TYPE_CHECKING:
    from handoff.ops.sandbox.salesforce.app import Sandbox

__all__ = ["PREFIX", "admin_routes"]

PREFIX = "/__sandbox"


def admin_routes() -> list[BaseRoute]:
    """The admin routes, all under ``/__sandbox/``."""
    return [
        Route(f"{PREFIX}/reset", _reset, methods=["POST"]),
        Route(f"{PREFIX}/records/{{sobject}}", _records, methods=["GET"]),
        Route(f"{PREFIX}/records/{{sobject}}/{{record_id}}", _record, methods=["GET"]),
        Route(f"{PREFIX}/events", _events, methods=["GET"]),
        Route(f"{PREFIX}/deliveries", _deliveries, methods=["GET"]),
        Route(f"{PREFIX}/subscribers", _subscribers, methods=["GET", "POST", "DELETE"]),
        Route(f"{PREFIX}/usage", _usage, methods=["GET", "PUT"]),
        Route(f"{PREFIX}/tokens/expire", _expire_tokens, methods=["POST"]),
        Route(f"{PREFIX}/gap-events", _gap, methods=["POST"]),
        Route(f"{PREFIX}/faults", _faults, methods=["GET", "POST", "DELETE"]),
        Route(
            f"{PREFIX}/validation-rules",
            _validation_rules,
            methods=["GET", "POST", "DELETE"],
        ),
    ]


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    body = json.loads(raw) if raw else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def _reset(request: Request) -> Response:
    org = _sandbox(request).org
    org.reset()
    if request.query_params.get("seed", "true").lower() != "false":
        seed_minimal(org)
    return JSONResponse({"reset": True})


async def _records(request: Request) -> Response:
    org = _sandbox(request).org
    if org.catalog.get(request.path_params["sobject"]) is None:
        return JSONResponse({"error": "unknown sobject"}, status_code=404)
    with org.lock:
        rows = list(org.table(request.path_params["sobject"]).values())
    return JSONResponse(rows)


async def _record(request: Request) -> Response:
    found = _sandbox(request).org.lookup(request.path_params["record_id"])
    if found is None:
        return JSONResponse({"error": "no such record"}, status_code=404)
    return JSONResponse(found[1])


async def _events(request: Request) -> Response:
    bus = _sandbox(request).org.bus
    events = list(bus.events)
    limit = int(request.query_params.get("limit", "0") or 0)
    return JSONResponse(events[-limit:] if limit else events)


async def _deliveries(request: Request) -> Response:
    bus = _sandbox(request).org.bus
    return JSONResponse({"delivered": bus.delivered, "failures": list(bus.failures)})


async def _subscribers(request: Request) -> Response:
    bus = _sandbox(request).org.bus
    if request.method == "POST":
        url = (await _json_body(request)).get("url")
        if not url:
            return _bad("url is required")
        bus.subscribe(str(url))
    elif request.method == "DELETE":
        bus.unsubscribe(request.query_params.get("url", ""))
    return JSONResponse({"subscribers": list(bus.subscribers)})


async def _usage(request: Request) -> Response:
    org = _sandbox(request).org
    if request.method == "PUT":
        body = await _json_body(request)
        with org.lock:
            org.usage.limit = int(body.get("limit", org.usage.limit))
            org.usage.used = int(body.get("used", org.usage.used))
    return JSONResponse({"used": org.usage.used, "limit": org.usage.limit})


async def _expire_tokens(request: Request) -> Response:
    org = _sandbox(request).org
    with org.lock:
        for info in org.tokens.values():
            info.expires_at = 0.0
    return JSONResponse({"expired": len(org.tokens)})


async def _gap(request: Request) -> Response:
    org = _sandbox(request).org
    body = await _json_body(request)
    try:
        event = org.bus.publish_gap(
            str(body.get("sobject", "")),
            [str(i) for i in body.get("recordIds", [])],
            str(body.get("changeType", "GAP_UPDATE")),
            user_id=org.default_user(),
            stamp_ms=int(org.clock().timestamp() * 1000),
        )
    except ValueError as exc:
        return _bad(str(exc))
    return JSONResponse(event, status_code=201)


async def _faults(request: Request) -> Response:
    plan = _sandbox(request).org.faults
    if request.method == "POST":
        try:
            plan.add(Fault.from_dict(await _json_body(request)))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
    elif request.method == "DELETE":
        plan.clear(request.query_params.get("operation"))
    return JSONResponse({"faults": plan.snapshot()})


async def _validation_rules(request: Request) -> Response:
    org = _sandbox(request).org
    params = request.query_params
    if request.method == "POST":
        try:
            rule = ValidationRule.from_dict(await _json_body(request))
            with org.lock:
                added = org.validation.add(rule)
        except ValueError as exc:  # bad JSON or a ValidationRuleError
            return _bad(str(exc))
        return JSONResponse({"rule": added.to_dict()}, status_code=201)
    if request.method == "DELETE":
        with org.lock:
            removed = org.validation.remove(params.get("object"), params.get("name"))
        return JSONResponse({"removed": removed})
    rules = org.validation.rules(params.get("object"))
    return JSONResponse({"rules": [rule.to_dict() for rule in rules]})
