"""A whole Handoff on one machine: both sandboxes, the ingress and workers.

Used by ``handoff demo``, ``handoff sandbox``, the end-to-end tests and the
benchmarks, so they all exercise the same real HTTP servers and actors.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from dramatiq import Broker

from handoff.actors.bootstrap import EmbeddedWorker, build_runtime, open_store
from handoff.actors.producer import Producer
from handoff.actors.webhooks import WEBHOOK_SOURCE
from handoff.adapters.rocketlane import HttpxRocketlaneClient
from handoff.adapters.salesforce import ClientCredentials, HttpxSalesforceClient
from handoff.adapters.store import SqlAlchemyStore
from handoff.ops.ingress import IngressConfig, build_ingress
from handoff.ops.reconcile_command import ReconcileReport, reconcile_projects
from handoff.ops.sandbox import rocketlane as rl_sandbox
from handoff.ops.sandbox import salesforce as sf_sandbox
from handoff.ops.sandbox.rocketlane.config import DEFAULT_API_KEY, DEFAULT_API_KEY_NAME
from handoff.ops.sandbox.salesforce.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
)
from handoff.ops.serving import ServerThread
from handoff.settings import Settings

__all__ = ["Sandboxes", "Stack", "sandbox_settings", "start_sandboxes", "start_stack"]

DEFAULT_SETTLE_TIMEOUT_S = 60.0
DELIVERY_API_KEY = "rl-delivery-team-key"
DELIVERY_API_KEY_NAME = "Delivery team"
WEBHOOK_USERNAME = "rocketlane"


@dataclass
class Sandboxes:
    """Both sandboxes, served over real sockets."""

    salesforce: ServerThread
    rocketlane: ServerThread
    org: sf_sandbox.SalesforceOrg
    workspace: rl_sandbox.RocketlaneWorkspace
    webhooks: Any = None

    @property
    def salesforce_url(self) -> str:
        return self.salesforce.url

    def rocketlane_client(
        self, api_key: str = DEFAULT_API_KEY
    ) -> HttpxRocketlaneClient:
        """A client of the sandbox workspace acting with ``api_key``."""
        return HttpxRocketlaneClient(base_url=self.rocketlane_api_url, api_key=api_key)

    def api_user_email(self, key_name: str = DEFAULT_API_KEY_NAME) -> str:
        """The email of the user an API key of the workspace acts as."""
        return str(self.workspace.api_user(key_name)["emailId"])

    def wait_webhooks(self, timeout: float) -> bool:
        """Wait until every webhook was attempted; True at once without any."""
        return self.webhooks is None or bool(self.webhooks.wait_idle(timeout))

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
    rocketlane_app = rl_sandbox.build_app(workspace, config=rocketlane_config)
    rocketlane = ServerThread(rocketlane_app, host=host, port=rocketlane_port)
    return Sandboxes(
        salesforce.start(),
        rocketlane.start(),
        org,
        workspace,
        webhooks=rocketlane_app.state.sandbox.webhooks,
    )


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
            delivered = self.sandboxes.wait_webhooks(remaining) and delivered
            before = self._queued_total()
            self.worker.drain(timeout=max(1.0, remaining))
            quiet_rounds = quiet_rounds + 1 if delivered and before == 0 else 0
            time.sleep(0.05)

    def _queued_total(self) -> int:
        queues = getattr(self.broker, "queues", {})
        return sum(queue.unfinished_tasks for queue in queues.values())

    def reconcile(self, **budgets: int | None) -> ReconcileReport:
        """Enqueue the checks ``handoff reconcile`` would, on this stack's broker."""
        producer = Producer(self.broker, client_tag=self.settings.salesforce_client_tag)
        return reconcile_projects(self.store, producer.send, **budgets)

    def stop(self) -> None:
        self.worker.stop()
        self.worker.runtime.close()
        self.ingress.stop()
        self.sandboxes.stop()


def start_stack(settings: Settings, *, broker: Broker, threads: int = 4) -> Stack:
    """Start the ingress, both sandboxes and in-process workers on ``broker``.

    The Rocketlane sandbox posts webhooks to the ingress with HTTP Basic
    credentials made up for this stack, and accepts a second API key,
    ``DELIVERY_API_KEY``, for the delivery team's own writes (Handoff's
    webhooks echo back and are dropped; the delivery team's are not).
    """
    store = open_store(settings, migrate=True)
    password = secrets.token_urlsafe(16)
    config = IngressConfig(
        webhook_username=WEBHOOK_USERNAME,
        webhook_password=password,
        first_delivery=lambda event_id: store.mark_processed(WEBHOOK_SOURCE, event_id),
        correlation_of=_correlation_of(store),
    )
    producer = Producer(broker, client_tag=settings.salesforce_client_tag)
    ingress = ServerThread(build_ingress(producer, config)).start()
    sandboxes = start_sandboxes(
        subscribers=(ingress.url + "/events/salesforce",),
        rocketlane_config=_rocketlane_config(ingress.url, password),
    )
    config.rocketlane_api_user = sandboxes.api_user_email()
    settings = sandbox_settings(
        settings, sandboxes, rocketlane_api_user_email=config.rocketlane_api_user
    )
    runtime = build_runtime(settings, broker, store=store)
    worker = EmbeddedWorker(broker, runtime, threads=threads).start()
    return Stack(settings, sandboxes, ingress, broker, worker)


def _rocketlane_config(ingress_url: str, password: str) -> rl_sandbox.SandboxConfig:
    webhook = rl_sandbox.WebhookConfig(
        url=ingress_url + "/webhooks/rocketlane",
        username=WEBHOOK_USERNAME,
        password=password,
    )
    return rl_sandbox.SandboxConfig(
        api_keys={
            DEFAULT_API_KEY: DEFAULT_API_KEY_NAME,
            DELIVERY_API_KEY: DELIVERY_API_KEY_NAME,
        },
        webhooks=(webhook,),
    )


def _correlation_of(store: SqlAlchemyStore) -> Any:
    def correlation_of(project_id: int) -> str | None:
        mapping = store.find_mapping(rocketlane_project_id=project_id)
        return None if mapping is None else mapping.correlation_key

    return correlation_of
