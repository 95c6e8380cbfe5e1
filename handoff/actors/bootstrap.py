"""Building a Runtime from the settings, and running actors in-process.

Production workers go through ``handoff worker`` (the Dramatiq CLI, one
Runtime per process, built after the fork). Embedded runs — the demo, tests,
a laptop — use ``EmbeddedWorker``: the in-process broker and a worker thread
pool inside this process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import dramatiq
import sqlalchemy as sa
from dramatiq import Broker
from dramatiq.brokers.stub import StubBroker

from handoff.adapters.locks import InMemoryProjectLocks, RedisProjectLocks
from handoff.adapters.policy_file import load_policy
from handoff.adapters.ports import ProjectLocks, RocketlaneClient, SalesforceClient
from handoff.adapters.ratelimit import (
    DEFAULT_RATE_LIMIT_PREFIX,
    InMemoryRateLimiter,
    RateLimit,
    RateLimiter,
    RedisRateLimiter,
)
from handoff.adapters.store import SqlAlchemyStore
from handoff.adapters.telemetry import configure_tracing, shutdown_tracing
from handoff.domain.policy import Policy
from handoff.settings import Settings

from .producer import Producer
from .runtime import Runtime, install, uninstall

__all__ = [
    "EmbeddedWorker",
    "RuntimeBoot",
    "build_limiter",
    "build_locks",
    "build_rocketlane",
    "build_runtime",
    "build_salesforce",
    "open_store",
]

logger = logging.getLogger(__name__)

DEFAULT_DRAIN_TIMEOUT_S = 120.0
MINUTE_S = 60.0


def open_store(settings: Settings, *, migrate: bool = False) -> SqlAlchemyStore:
    """The mapping store; creates the SQLite file's folder when needed."""
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    store = SqlAlchemyStore.from_url(url)
    if migrate:
        store.migrate()
    return store


def build_locks(settings: Settings) -> ProjectLocks:
    """Redis locks when there is a Redis, else locks for this process only."""
    url = settings.lock_redis_url
    if url is None:
        return InMemoryProjectLocks(wait=settings.lock_wait_s)
    return RedisProjectLocks.from_url(
        url, ttl=settings.lock_ttl_s, wait=settings.lock_wait_s
    )


def build_limiter(settings: Settings) -> RateLimiter:
    """The rate limiter of both APIs: shared through Redis when there is one.

    Buckets: ``rocketlane`` (every call), ``rocketlane.list`` (list GETs)
    and ``salesforce``, each per minute as the settings say. Limits belong
    to the remote accounts, so the Redis keys are namespaced by a digest of
    the Rocketlane URL and key and the Salesforce URL and client: every
    worker of one deployment shares them, and another deployment (or test)
    on the same Redis does not.
    """
    buckets = {
        "rocketlane": RateLimit(settings.rocketlane_rate_limit_per_minute, MINUTE_S),
        "rocketlane.list": RateLimit(
            settings.rocketlane_list_rate_limit_per_minute, MINUTE_S
        ),
        "salesforce": RateLimit(settings.salesforce_calls_per_minute, MINUTE_S),
    }
    url = settings.lock_redis_url
    if url is None:
        return InMemoryRateLimiter(buckets)
    prefix = f"{DEFAULT_RATE_LIMIT_PREFIX}{_accounts_digest(settings)}:"
    return RedisRateLimiter.from_url(url, buckets, prefix=prefix)


def _accounts_digest(settings: Settings) -> str:
    key = settings.rocketlane_api_key
    accounts = [
        str(settings.rocketlane_url),
        key.get_secret_value() if key else "",
        str(settings.salesforce_url),
        settings.salesforce_client_id or "",
    ]
    return hashlib.sha256("\n".join(accounts).encode()).hexdigest()[:16]


def build_salesforce(
    settings: Settings, *, limiter: RateLimiter | None = None
) -> SalesforceClient:
    """The Salesforce client the settings describe, spending from ``limiter``.

    Without a limiter, one is built from the settings.
    """
    from handoff.adapters.salesforce import (  # noqa: PLC0415
        ClientCredentials,
        HttpxSalesforceClient,
        JwtBearer,
    )

    settings.require_remote_systems()
    credentials: Any
    if settings.salesforce_private_key_file and settings.salesforce_username:
        credentials = JwtBearer(
            client_id=settings.salesforce_client_id or "",
            username=settings.salesforce_username,
            private_key_pem=settings.salesforce_private_key_file.read_text(),
            audience=settings.salesforce_audience,
        )
    else:
        secret = settings.salesforce_client_secret
        credentials = ClientCredentials(
            client_id=settings.salesforce_client_id or "",
            client_secret=secret.get_secret_value() if secret else "",
        )
    return HttpxSalesforceClient(
        login_url=str(settings.salesforce_url).rstrip("/"),
        credentials=credentials,
        api_version=settings.salesforce_api_version,
        client_tag=settings.salesforce_client_tag,
        limiter=limiter or build_limiter(settings),
        daily_reserve_percent=settings.salesforce_daily_reserve_percent,
    )


def build_rocketlane(
    settings: Settings, *, limiter: RateLimiter | None = None
) -> RocketlaneClient:
    """The Rocketlane client the settings describe, spending from ``limiter``.

    Without a limiter, one is built from the settings.
    """
    from handoff.adapters.rocketlane import HttpxRocketlaneClient  # noqa: PLC0415

    settings.require_remote_systems()
    key = settings.rocketlane_api_key
    return HttpxRocketlaneClient(
        base_url=str(settings.rocketlane_url).rstrip("/"),
        api_key=key.get_secret_value() if key else "",
        limiter=limiter or build_limiter(settings),
    )


def build_runtime(
    settings: Settings,
    broker: Broker,
    *,
    salesforce: SalesforceClient | None = None,
    rocketlane: RocketlaneClient | None = None,
    store: SqlAlchemyStore | None = None,
    policy: Policy | None = None,
) -> Runtime:
    """Everything the actors need, from the settings unless given."""
    store = store or open_store(settings)
    producer = Producer(broker, client_tag=settings.salesforce_client_tag)
    return Runtime(
        policy=policy or load_policy(settings.policy_file),
        salesforce=salesforce or build_salesforce(settings),
        rocketlane=rocketlane or build_rocketlane(settings),
        store=store,
        locks=build_locks(settings),
        send=producer.send,
        client_tag=settings.salesforce_client_tag,
        rocketlane_api_user=settings.rocketlane_api_user_email,
        writeback_window_ms=settings.writeback_window_ms,
        closers=[store.close],
    )


def prometheus_environment(settings: Settings) -> dict[str, str]:
    """The variables Dramatiq's Prometheus middleware reads when imported.

    Its exposition server runs in a process the Dramatiq CLI forks from its
    main process, so ``handoff worker`` exports these before starting it.
    Figures are kept in a folder per namespace.
    """
    folder = Path(tempfile.gettempdir()) / f"handoff-prometheus-{settings.namespace}"
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "dramatiq_prom_db": str(folder),
        "dramatiq_prom_host": settings.metrics_host,
        "dramatiq_prom_port": str(settings.metrics_port),
    }


def prometheus_middleware(settings: Settings) -> dramatiq.Middleware:
    """Dramatiq's Prometheus middleware (no longer a default), on
    ``HANDOFF_METRICS_PORT``."""
    os.environ.update(prometheus_environment(settings))
    from dramatiq.middleware.prometheus import Prometheus  # noqa: PLC0415

    return Prometheus()


class RuntimeBoot(dramatiq.Middleware):
    """Builds this worker process's Runtime after the Dramatiq CLI forks it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def after_process_boot(self, broker: Broker) -> None:
        configure_tracing()
        install(build_runtime(self._settings, broker))
        logger.info("Worker process ready.")

    def before_worker_shutdown(self, broker: Broker, worker: dramatiq.Worker) -> None:
        runtime = uninstall()
        if runtime is not None:
            runtime.close()
        shutdown_tracing()


class EmbeddedWorker:
    """The actors running on worker threads in this process.

    Works with the in-process broker (the embedded default) and with a real
    one. ``drain`` waits until every queue of the in-process broker is empty.
    """

    def __init__(self, broker: Broker, runtime: Runtime, *, threads: int = 4) -> None:
        self.broker = broker
        self.runtime = runtime
        self._worker = dramatiq.Worker(
            broker, worker_threads=threads, worker_timeout=50
        )

    def start(self) -> EmbeddedWorker:
        install(self.runtime)
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop()
        uninstall()

    def drain(self, timeout: float = DEFAULT_DRAIN_TIMEOUT_S) -> None:
        """Wait until no message is queued, delayed or running."""
        if not isinstance(self.broker, StubBroker):
            raise TypeError("drain works only with the in-process broker")
        deadline = time.monotonic() + timeout
        while not self._idle():
            if time.monotonic() > deadline:
                raise TimeoutError(f"messages still pending after {timeout:.0f} s")
            for queue in sorted(q for q in self.broker.queues if not q.endswith(".DQ")):
                remaining = max(0.1, deadline - time.monotonic())
                self.broker.join(queue, timeout=int(remaining * 1000), fail_fast=False)
        self._worker.join()

    def _idle(self) -> bool:
        broker = self.broker
        assert isinstance(broker, StubBroker)
        return all(broker.queues[name].unfinished_tasks == 0 for name in broker.queues)

    def __enter__(self) -> EmbeddedWorker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
