"""The reserved ``/__sandbox/`` admin interface (no API key needed)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import FaultRule, WebhookConfig
from .errors import ApiError, bad_request
from .limits import Faults
from .pipeline import Sandbox
from .seed import seed_default

__all__ = ["admin_routes"]

PREFIX = "/__sandbox"
TUNABLE = {
    "templateCreateDelayS": "template_create_delay_s",
    "rejectDuplicateReference": "reject_duplicate_reference",
    "httpNextPage": "http_next_page",
    "limitParamFails": "limit_param_fails",
    "rateLimitPerMinute": "rate_limit_per_minute",
    "listRateLimitPerMinute": "list_rate_limit_per_minute",
    "webhookShuffle": "webhook_shuffle",
    "webhookMaxDelayS": "webhook_max_delay_s",
}
SEEDERS = {
    "users": "add_user",
    "companies": "add_company",
    "templates": "add_template",
    "rate-cards": "add_rate_card",
    "project-updates": "add_project_update",
    "allocations": "add_allocation",
}

AdminHandler = Callable[[Request, Sandbox], Awaitable[Any]]


def admin(method: str, path: str, handler: AdminHandler, status: int = 200) -> Route:
    """An admin route answering JSON, with API-style errors."""

    async def endpoint(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        try:
            result = await handler(request, sandbox)
        except ApiError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(result, status_code=status)

    return Route(PREFIX + path, endpoint, methods=[method])


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else {}
    except ValueError as exc:
        raise bad_request("Invalid request body") from exc


async def reset(request: Request, sandbox: Sandbox) -> Any:
    """Back to the start: records, limits, faults, webhooks, deliveries."""
    body = await _json(request)
    ws = sandbox.workspace
    ws.reset()
    ws.reject_duplicate_reference = sandbox.config.reject_duplicate_reference
    if body.get("seed", True):
        seed_default(ws)
    sandbox.limiter.reset()
    sandbox.tokens.clear()
    sandbox.faults = Faults(sandbox.config.faults)
    sandbox.webhooks.clear()
    for webhook in sandbox.config.webhooks:
        sandbox.webhooks.add(WebhookConfig(**asdict(webhook)))
    sandbox.stats.reset()
    return {"reset": True}


async def state(request: Request, sandbox: Sandbox) -> Any:
    """Every stored record, the active faults and webhooks, the call counts."""
    snapshot = sandbox.workspace.snapshot()
    snapshot["faults"] = sandbox.faults.describe()
    snapshot["webhooks"] = sandbox.webhooks.webhooks()
    snapshot["stats"] = sandbox.stats.as_json()
    return snapshot


async def stats(request: Request, sandbox: Sandbox) -> Any:
    """The API calls answered since the start (or the last reset)."""
    return sandbox.stats.as_json()


async def clear_stats(request: Request, sandbox: Sandbox) -> Any:
    """Count API calls from zero again; the counts before the reset."""
    before = sandbox.stats.as_json()
    sandbox.stats.reset()
    return before


def seeder(method_name: str) -> AdminHandler:
    """An admin handler seeding one record or a list of them."""

    async def handle(request: Request, sandbox: Sandbox) -> Any:
        body = await _json(request)
        items = body if isinstance(body, list) else [body]
        seed = getattr(sandbox.workspace, method_name)
        try:
            created = [seed(item) for item in items]
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_request(f"Invalid seed document: {exc}") from exc
        return [c.as_json() if hasattr(c, "as_json") else c for c in created]

    return handle


async def list_webhooks(request: Request, sandbox: Sandbox) -> Any:
    """The configured webhooks."""
    return sandbox.webhooks.webhooks()


async def add_webhook(request: Request, sandbox: Sandbox) -> Any:
    """Configure a webhook: ``{url, name?, events?, username?, password?}``."""
    body = await _json(request)
    if not body.get("url"):
        raise bad_request("url is missing", "url")
    webhook = WebhookConfig(
        url=str(body["url"]),
        name=str(body.get("name", "Handoff")),
        events=tuple(body.get("events") or ()),
        username=body.get("username"),
        password=body.get("password"),
    )
    sandbox.webhooks.add(webhook)
    return {"webhookId": webhook.webhook_id}


async def clear_webhooks(request: Request, sandbox: Sandbox) -> Any:
    """Remove every webhook and forget the deliveries."""
    sandbox.webhooks.clear()
    return {"cleared": True}


async def deliveries(request: Request, sandbox: Sandbox) -> Any:
    """Attempted deliveries; ``?wait=true`` first drains the queue."""
    if request.query_params.get("wait", "").lower() == "true":
        sandbox.webhooks.wait_idle()
    return sandbox.webhooks.deliveries()


async def list_faults(request: Request, sandbox: Sandbox) -> Any:
    """The active fault rules."""
    return sandbox.faults.describe()


async def add_fault(request: Request, sandbox: Sandbox) -> Any:
    """Activate a fault rule (the ``FaultRule`` fields, snake_case)."""
    body = await _json(request)
    known = {f.name for f in fields(FaultRule)}
    unknown = set(body) - known
    if unknown:
        raise bad_request(f"Unknown fault keys: {sorted(unknown)}")
    rule = FaultRule(**body)
    if rule.kind not in ("error", "latency", "timeout", "drop"):
        raise bad_request("Unknown fault kind", "kind")
    sandbox.faults.add(rule)
    return asdict(rule)


async def clear_faults(request: Request, sandbox: Sandbox) -> Any:
    """Deactivate every fault rule."""
    sandbox.faults.clear()
    return {"cleared": True}


async def tune(request: Request, sandbox: Sandbox) -> Any:
    """Change switches and limits at runtime (camelCase keys)."""
    body = await _json(request)
    config = sandbox.config
    for key, value in body.items():
        if key not in TUNABLE:
            raise bad_request(f"Unknown setting {key}", key)
        setattr(config, TUNABLE[key], value)
    sandbox.workspace.reject_duplicate_reference = config.reject_duplicate_reference
    sandbox.limiter.per_minute = config.rate_limit_per_minute
    sandbox.limiter.list_per_minute = config.list_rate_limit_per_minute
    sandbox.webhooks.shuffle = config.webhook_shuffle
    sandbox.webhooks.max_delay_s = config.webhook_max_delay_s
    return {public: getattr(config, name) for public, name in TUNABLE.items()}


def admin_routes() -> list[Route]:
    """Every admin route."""
    routes = [
        admin("POST", "/reset", reset),
        admin("GET", "/state", state),
        admin("GET", "/stats", stats),
        admin("DELETE", "/stats", clear_stats),
        admin("GET", "/webhooks", list_webhooks),
        admin("POST", "/webhooks", add_webhook, 201),
        admin("DELETE", "/webhooks", clear_webhooks),
        admin("GET", "/deliveries", deliveries),
        admin("GET", "/faults", list_faults),
        admin("POST", "/faults", add_fault, 201),
        admin("DELETE", "/faults", clear_faults),
        admin("PUT", "/config", tune),
    ]
    routes += [admin("POST", f"/{name}", seeder(m), 201) for name, m in SEEDERS.items()]
    return routes
