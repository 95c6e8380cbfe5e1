"""A whole Handoff on one machine: both sandboxes, the ingress and workers.

Used by ``handoff demo``, ``handoff sandbox``, the end-to-end tests and the
benchmarks, so they all exercise the same real HTTP servers and actors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from dramatiq import Broker

from handoff.actors.bootstrap import EmbeddedWorker, build_runtime, open_store
from handoff.actors.producer import Producer
from handoff.adapters.salesforce import ClientCredentials, HttpxSalesforceClient
from handoff.ops.ingress import IngressConfig, build_ingress
from handoff.ops.sandbox import rocketlane as rl_sandbox
from handoff.ops.sandbox import salesforce as sf_sandbox
from handoff.ops.sandbox.rocketlane.config import DEFAULT_API_KEY
from handoff.ops.sandbox.salesforce.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
)
from handoff.ops.serving import ServerThread
from handoff.settings import Settings

__all__ = ["Sandboxes", "Stack", "sandbox_settings", "start_sandboxes", "start_stack"]

DEFAULT_SETTLE_TIMEOUT_S = 60.0


@dataclass
class Sandboxes:
    """Both sandboxes, served over real sockets."""

    salesforce: ServerThread
    rocketlane: ServerThread
    org: sf_sandbox.SalesforceOrg
    workspace: rl_sandbox.RocketlaneWorkspace

    @property
    def salesforce_url(self) -> str:
        return self.salesforce.url

    @property
    def rocketlane_api_url(self) -> str:
        return self.rocketlane.url + "/api/1.0"

    def salesforce_client(self, *, client_tag: str) -> HttpxSalesforceClient:
        """A client of the sandbox org writing under ``client_tag``."""
        return HttpxSalesforceClient(
            login_url=self.salesforce_url,
            credentials=ClientCredentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            client_tag=client_tag,
        )

    def stop(self) -> None:
        self.salesforce.stop()
        self.rocketlane.stop()
        self.org.close()


def start_sandboxes(
    *,
    host: str = "127.0.0.1",
    salesforce_port: int = 0,
    rocketlane_port: int = 0,
    subscribers: tuple[str, ...] = (),
    salesforce_config: sf_sandbox.SandboxConfig | None = None,
    rocketlane_config: rl_sandbox.SandboxConfig | None = None,
) -> Sandboxes:
    """Serve a fresh seeded org and workspace; CDC goes to ``subscribers``."""
    org = sf_sandbox.SalesforceOrg()
    sf_sandbox.seed_minimal(org)
    workspace = rl_sandbox.RocketlaneWorkspace()
    rl_sandbox.seed_default(workspace)
    sf_config = salesforce_config or sf_sandbox.SandboxConfig(seed=False)
    for url in subscribers:
        org.bus.subscribe(url)
    salesforce = ServerThread(
        sf_sandbox.build_app(org, config=sf_config), host=host, port=salesforce_port
    )
    rocketlane = ServerThread(
        rl_sandbox.build_app(workspace, config=rocketlane_config),
        host=host,
        port=rocketlane_port,
    )
    return Sandboxes(salesforce.start(), rocketlane.start(), org, workspace)


def sandbox_settings(
    settings: Settings, sandboxes: Sandboxes, **overrides: Any
) -> Settings:
    """``settings`` pointed at the sandboxes with their default credentials."""
    values = settings.model_dump() | {
        "salesforce_url": sandboxes.salesforce_url,
        "salesforce_client_id": DEFAULT_CLIENT_ID,
        "salesforce_client_secret": DEFAULT_CLIENT_SECRET,
        "rocketlane_url": sandboxes.rocketlane_api_url,
        "rocketlane_api_key": DEFAULT_API_KEY,
        **overrides,
    }
    for secret in (
        "salesforce_client_secret",
        "rocketlane_api_key",
        "ingress_token",
        "webhook_password",
    ):
        value = values.get(secret)
        if value is not None and hasattr(value, "get_secret_value"):
            values[secret] = value.get_secret_value()
    return Settings(**values)


@dataclass
class Stack:
    """Sandboxes, an ingress they post change events to, and in-process workers."""

    settings: Settings
    sandboxes: Sandboxes
    ingress: ServerThread
    broker: Broker
    worker: EmbeddedWorker
    extras: list[Any] = field(default_factory=list)

    @property
    def store(self) -> Any:
        return self.worker.runtime.store

    def settle(self, timeout: float = DEFAULT_SETTLE_TIMEOUT_S) -> None:
        """Wait until change events are delivered and every queue is empty."""
        deadline = time.monotonic() + timeout
        quiet_rounds = 0
        while quiet_rounds < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the stack did not settle within {timeout:.0f} s")
            delivered = self.sandboxes.org.bus.wait_idle(remaining)
            before = self._queued_total()
            self.worker.drain(timeout=max(1.0, remaining))
            quiet_rounds = quiet_rounds + 1 if delivered and before == 0 else 0
            time.sleep(0.05)

    def _queued_total(self) -> int:
        queues = getattr(self.broker, "queues", {})
        return sum(queue.unfinished_tasks for queue in queues.values())

    def stop(self) -> None:
        self.worker.stop()
        self.worker.runtime.close()
        self.ingress.stop()
        self.sandboxes.stop()


def start_stack(settings: Settings, *, broker: Broker, threads: int = 4) -> Stack:
    """Start the ingress, both sandboxes and in-process workers on ``broker``."""
    producer = Producer(broker, client_tag=settings.salesforce_client_tag)
    ingress = ServerThread(build_ingress(producer, IngressConfig())).start()
    sandboxes = start_sandboxes(subscribers=(ingress.url + "/events/salesforce",))
    settings = sandbox_settings(settings, sandboxes)
    store = open_store(settings, migrate=True)
    runtime = build_runtime(settings, broker, store=store)
    worker = EmbeddedWorker(broker, runtime, threads=threads).start()
    return Stack(settings, sandboxes, ingress, broker, worker)
