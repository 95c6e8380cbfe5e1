"""The sandbox app: Rocketlane's REST API under ``/api/1.0/``, plus admin."""

from __future__ import annotations

from dataclasses import replace

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from .admin import admin_routes
from .config import SandboxConfig
from .limits import Faults, RateLimiter
from .pipeline import Sandbox, SandboxApp, not_found_handler
from .query import PageTokens
from .routes import api_routes
from .seed import seed_default
from .webhooks import WebhookDispatcher
from .workspace import RocketlaneWorkspace

__all__ = ["build_app"]


def build_app(
    workspace: RocketlaneWorkspace | None = None,
    *,
    config: SandboxConfig | None = None,
) -> Starlette:
    """A Starlette app serving Rocketlane's API over ``workspace``.

    Without a workspace, a new one seeded by ``seed_default`` is used.
    ``app.state.sandbox`` holds the live state for tests and admin calls.
    """
    config = config or SandboxConfig()
    seeded = workspace is None
    if workspace is None:
        workspace = seed_default(
            RocketlaneWorkspace(with_todo_status=config.seed_todo_status)
        )
    sandbox = _sandbox(workspace, config, seeded)
    routes: list[BaseRoute] = [*api_routes(), *admin_routes()]
    app = SandboxApp(
        routes=routes,
        exception_handlers={404: not_found_handler, 405: not_found_handler},
    )
    app.state.sandbox = sandbox
    return app


def _sandbox(
    workspace: RocketlaneWorkspace, config: SandboxConfig, seeded: bool
) -> Sandbox:
    workspace.reject_duplicate_reference = config.reject_duplicate_reference
    dispatcher = WebhookDispatcher(
        [replace(w) for w in config.webhooks],
        timeout_s=config.webhook_timeout_s,
        shuffle=config.webhook_shuffle,
        max_delay_s=config.webhook_max_delay_s,
        clock=workspace.clock,
    )
    workspace.subscribe(dispatcher)
    return Sandbox(
        workspace=workspace,
        config=config,
        limiter=RateLimiter(
            per_minute=config.rate_limit_per_minute,
            list_per_minute=config.list_rate_limit_per_minute,
            clock=workspace.clock,
        ),
        faults=Faults(config.faults),
        tokens=PageTokens(ttl_s=config.page_token_ttl_s, clock=workspace.clock),
        webhooks=dispatcher,
        seeded=seeded,
    )
