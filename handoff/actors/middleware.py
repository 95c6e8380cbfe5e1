"""Dramatiq middleware: trace context, log context, poison guard, dead letters.

Dramatiq has no official OpenTelemetry instrumentation, so the W3C trace
context is injected into ``message.options`` when a message is enqueued and
extracted before it is processed. Options survive retries and delays, so every
run of a message, and every message it fans out, joins the same trace.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, Protocol

import redis
from dramatiq import Broker, Message, Middleware
from dramatiq.broker import MessageProxy
from dramatiq.middleware import SkipMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .logcontext import bound

__all__ = [
    "TRACE_OPTION",
    "DeadLetters",
    "DeliveryGuard",
    "InMemoryDeliveryCounter",
    "LogContext",
    "PoisonMessage",
    "RedisDeliveryCounter",
    "TraceContext",
    "correlation_of",
]

logger = logging.getLogger(__name__)

TRACE_OPTION = "trace_context"
CORRELATION_ATTRIBUTE = "handoff.correlation_id"
RECORD_ATTRIBUTES = {
    "project_id": "salesforce.project_id",
    "record_id": "salesforce.record_id",
    "rocketlane_project_id": "rocketlane.project_id",
    "rocketlane_task_id": "rocketlane.task_id",
}
DEFAULT_COUNTER_TTL_S = 7 * 24 * 3600


def correlation_of(message: Message[Any] | MessageProxy) -> str | None:
    """The correlation ID a message carries, if it has one."""
    if message.args and isinstance(message.args[0], dict):
        value = message.args[0].get("correlation_id")
        return value if isinstance(value, str) else None
    return None


class TraceContext(Middleware):
    """Carries W3C trace context through the queue; one span per actor run."""

    def __init__(self) -> None:
        self._tracer = trace.get_tracer("handoff.actors")
        self._active = threading.local()

    def before_enqueue(self, broker: Broker, message: Message[Any], delay: int) -> None:
        if TRACE_OPTION in message.options:
            return
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if carrier:
            message.options[TRACE_OPTION] = carrier

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        parent = propagate.extract(message.options.get(TRACE_OPTION) or {})
        span = self._tracer.start_span(
            message.actor_name,
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=_span_attributes(message),
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        self._active.__dict__[message.message_id] = (span, token)

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        self._finish(message, exception)

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._finish(message, None)

    def _finish(self, message: MessageProxy, exception: BaseException | None) -> None:
        span, token = self._active.__dict__.pop(message.message_id, (None, None))
        if span is None:
            return
        if exception is not None:
            span.record_exception(exception)
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        if message.failed:
            span.set_attribute("handoff.dead_lettered", True)
        span.end()
        otel_context.detach(token)


def _span_attributes(message: MessageProxy) -> dict[str, str | int]:
    attributes: dict[str, str | int] = {
        "messaging.system": "dramatiq",
        "messaging.operation": "process",
        "messaging.destination.name": message.queue_name,
        "messaging.message.id": message.message_id,
        "handoff.retries": int(message.options.get("retries", 0)),
    }
    correlation = correlation_of(message)
    if correlation:
        attributes[CORRELATION_ATTRIBUTE] = correlation
    return attributes | _record_attributes(message)


def _record_attributes(message: MessageProxy) -> dict[str, str | int]:
    """The record IDs a message names, as span attributes."""
    payload = (
        message.args[0] if message.args and isinstance(message.args[0], dict) else {}
    )
    return {
        attribute: value
        for field, attribute in RECORD_ATTRIBUTES.items()
        if isinstance(value := payload.get(field), str | int)
    }


class LogContext(Middleware):
    """Binds the correlation ID, actor and message ID to every log line."""

    def __init__(self) -> None:
        self._stacks = threading.local()

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        stack = ExitStack()
        stack.enter_context(
            bound(
                correlation_id=correlation_of(message),
                actor=message.actor_name,
                message_id=message.message_id,
            )
        )
        self._stacks.__dict__[message.message_id] = stack

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        self._close(message)

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._close(message)

    def _close(self, message: MessageProxy) -> None:
        stack = self._stacks.__dict__.pop(message.message_id, None)
        if stack is not None:
            stack.close()


class PoisonMessage(SkipMessage):
    """A message delivered too often without finishing: it kills its worker."""


class DeliveryCounter(Protocol):
    """Counts deliveries of a message, surviving the death of its worker."""

    def increment(self, message_id: str) -> int: ...

    def forget(self, message_id: str) -> None: ...


class RedisDeliveryCounter:
    """Delivery counts kept in Redis, shared by every worker."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "handoff:deliveries:"
    ) -> None:
        self._client = client
        self._prefix = prefix

    def increment(self, message_id: str) -> int:
        key = self._prefix + message_id
        pipeline = self._client.pipeline()
        pipeline.incr(key)
        pipeline.expire(key, DEFAULT_COUNTER_TTL_S)
        count, _ = pipeline.execute()
        return int(count)

    def forget(self, message_id: str) -> None:
        self._client.delete(self._prefix + message_id)


class InMemoryDeliveryCounter:
    """Delivery counts for the embedded, single-process mode."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def increment(self, message_id: str) -> int:
        with self._lock:
            self._counts[message_id] = self._counts.get(message_id, 0) + 1
            return self._counts[message_id]

    def forget(self, message_id: str) -> None:
        with self._lock:
            self._counts.pop(message_id, None)


class DeliveryGuard(Middleware):
    """Dead-letters a message delivered more than ``max_deliveries`` times.

    A worker killed by SIGKILL or the OOM killer has its messages redelivered
    without their retry count growing; counting deliveries outside the worker
    is what stops such a message from looping forever.
    """

    def __init__(self, counter: DeliveryCounter, *, max_deliveries: int) -> None:
        self._counter = counter
        self._max = max_deliveries

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        deliveries = self._counter.increment(message.message_id)
        message.options["deliveries"] = deliveries
        if deliveries > self._max:
            message.fail()
            raise PoisonMessage(
                f"delivered {deliveries} times without finishing "
                f"(more than {self._max}); its worker may be crashing on it"
            )

    def after_ack(self, broker: Broker, message: MessageProxy) -> None:
        self._counter.forget(message.message_id)

    def after_nack(self, broker: Broker, message: MessageProxy) -> None:
        self._counter.forget(message.message_id)


Reporter = Callable[[MessageProxy, BaseException | None], None]


class DeadLetters(Middleware):
    """Reports every message that failed for good to the dead-letter actor.

    Runs after Dramatiq's Retries, which marks a message failed when its
    error is permanent or its retries are exhausted. Nothing is dropped: if
    the report itself cannot be sent, the message still lands in Dramatiq's
    own dead-letter set and the failure is logged with its traceback.
    """

    def __init__(self, report: Reporter, *, exempt: frozenset[str]) -> None:
        self._report = report
        self._exempt = exempt

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        if message.failed:
            self._send(message, exception)

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        if message.failed:
            self._send(message, getattr(message, "_exception", None))

    def _send(self, message: MessageProxy, exception: BaseException | None) -> None:
        if message.actor_name in self._exempt:
            logger.error(
                "The dead-letter actor itself gave up on message %r; it stays in "
                "the broker's dead-letter set.",
                message.message_id,
            )
            return
        started = time.monotonic()
        try:
            self._report(message, exception)
        except Exception:
            logger.exception(
                "Could not report message %r to the dead-letter queue; it stays "
                "in the broker's dead-letter set.",
                message.message_id,
            )
            return
        logger.info(
            "Dead-lettered message %r of %s in %.1f ms.",
            message.message_id,
            message.actor_name,
            (time.monotonic() - started) * 1000,
        )
