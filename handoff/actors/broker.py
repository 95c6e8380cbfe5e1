"""Building the broker: Redis (or RabbitMQ) in production, in-process when
embedded, with Handoff's middleware in the order its hooks need.

Dramatiq runs ``before_*`` hooks in list order and ``after_*`` hooks in
reverse, so the list below reads: trace and log context wrap everything;
dead letters are reported after Retries has decided a message failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dramatiq
import redis
from dramatiq import Broker, Message
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from handoff.adapters.telemetry import current_trace_id
from handoff.settings import Settings

from .messages import DeadLetterReported
from .middleware import (
    DeadLetters,
    DeliveryCounter,
    DeliveryGuard,
    InMemoryDeliveryCounter,
    LogContext,
    RedisDeliveryCounter,
    TraceContext,
    correlation_of,
)
from .registry import declare_actors, retry_predicate

__all__ = ["DEAD_LETTER_ACTOR", "build_broker", "enqueue"]

logger = logging.getLogger(__name__)

DEAD_LETTER_ACTOR = "dead_letter"
DEFAULT_TIME_LIMIT_MS = 10 * 60 * 1000


def build_broker(settings: Settings) -> Broker:
    """A broker for the settings, with every actor declared on it."""
    counter = _delivery_counter(settings)
    broker = _bare_broker(settings, settings.namespace)
    for middleware in _middleware(settings, broker, counter):
        broker.add_middleware(middleware)
    declare_actors(broker)
    dramatiq.set_broker(broker)
    return broker


def enqueue(
    broker: Broker, payload: dict[str, Any], actor: str, *, delay_ms: int | None = None
) -> str:
    """Put one message on an actor's queue; returns its message ID."""
    message: Message[Any] = Message(
        queue_name=actor, actor_name=actor, args=(payload,), kwargs={}, options={}
    )
    broker.enqueue(message, delay=delay_ms)
    return message.message_id


def _bare_broker(settings: Settings, namespace: str) -> Broker:
    url = settings.broker_url
    if url is None:
        return StubBroker(middleware=[])
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker  # noqa: PLC0415

        return RabbitmqBroker(url=url, middleware=[])
    from dramatiq.brokers.redis import RedisBroker  # noqa: PLC0415

    return RedisBroker(  # type: ignore[no-untyped-call]
        url=url,
        namespace=namespace,
        middleware=[],
        heartbeat_timeout=settings.heartbeat_timeout_ms,
        maintenance_chance=settings.maintenance_chance,
    )


def _middleware(
    settings: Settings, broker: Broker, counter: DeliveryCounter
) -> list[dramatiq.Middleware]:
    return [
        TraceContext(),
        LogContext(),
        DeadLetters(_reporter(broker), exempt=frozenset({DEAD_LETTER_ACTOR})),
        DeliveryGuard(counter, max_deliveries=settings.max_deliveries),
        AgeLimit(),
        TimeLimit(time_limit=DEFAULT_TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=settings.max_retries,
            min_backoff=settings.min_backoff_ms,
            max_backoff=settings.max_backoff_ms,
            retry_when=retry_predicate(settings.max_retries),
        ),
        CurrentMessage(),
    ]


def _delivery_counter(settings: Settings) -> DeliveryCounter:
    url = settings.lock_redis_url
    if url is None:
        return InMemoryDeliveryCounter()
    prefix = f"{settings.namespace}:deliveries:"
    return RedisDeliveryCounter(redis.Redis.from_url(url), prefix=prefix)


def _reporter(broker: Broker) -> Callable[[MessageProxy, BaseException | None], None]:
    def report(message: MessageProxy, exception: BaseException | None) -> None:
        letter = DeadLetterReported(
            correlation_id=correlation_of(message) or message.message_id,
            message=message.asdict(),
            error_type=type(_root(exception)).__name__ if exception else "Unknown",
            error=_reason(message, exception),
            attempts=_attempts(message),
            trace_id=current_trace_id(),
        )
        enqueue(broker, letter.payload(), DEAD_LETTER_ACTOR)

    return report


def _root(exception: BaseException) -> BaseException:
    cause = exception.__cause__
    return (
        cause
        if isinstance(exception, dramatiq.Retry) and cause is not None
        else exception
    )


def _reason(message: MessageProxy, exception: BaseException | None) -> str:
    if exception is None:
        return "failed without an exception (skipped by middleware)"
    text = str(_root(exception)) or type(exception).__name__
    attempts = _attempts(message)
    return f"gave up after {attempts} attempts: {text}" if attempts > 1 else text


def _attempts(message: MessageProxy) -> int:
    retries = int(message.options.get("retries", 0))
    deliveries = int(message.options.get("deliveries", 0))
    return max(retries, deliveries, 1)
