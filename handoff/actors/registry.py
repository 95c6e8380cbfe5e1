"""The six actors, declared on a broker, and what makes them retry.

Each actor has its own queue, named after it, so operators can give busy
queues more workers (``handoff worker --queues provision``). The actor
functions are thin: validate the body against its contract, then call the
handler with the installed Runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq import Retry

from handoff.adapters.errors import Contention, PermanentError, RateLimited
from handoff.domain.errors import RuleViolation

from . import runtime
from .handlers import dead_letter, derive, milestones, provision, revenue, update_delta
from .messages import (
    DeadLetterReported,
    DeriveRequested,
    HandoffMessage,
    MalformedMessage,
    MilestoneChanged,
    ProvisionRequested,
    RevenueSyncRequested,
    UpdateDeltaRequested,
    parse_message,
)

__all__ = ["ACTORS", "declare_actors", "retry_predicate"]

logger = logging.getLogger(__name__)

Handler = Callable[[runtime.Runtime, Any], None]
ACTORS: dict[str, tuple[type[HandoffMessage], Handler]] = {
    "derive": (DeriveRequested, derive.run),
    "provision": (ProvisionRequested, provision.run),
    "update_delta": (UpdateDeltaRequested, update_delta.run),
    "milestone_accept": (MilestoneChanged, milestones.run),
    "revenue_sync": (RevenueSyncRequested, revenue.run),
    "dead_letter": (DeadLetterReported, dead_letter.run),
}
PERMANENT = (PermanentError, RuleViolation, MalformedMessage)
DEFAULT_CONTENTION_RETRIES = 30


def retry_predicate(max_retries: int) -> Callable[[int, BaseException], bool]:
    """Dramatiq's ``retry_when``: transient errors retry, permanent ones never.

    A project lock held by another message (Contention) is waited out longer
    than other failures: it only means someone else is writing the project,
    for instance a template create that takes half a minute.
    """

    def should_retry(retries: int, exception: BaseException) -> bool:
        cause = exception.__cause__ if isinstance(exception, Retry) else exception
        if isinstance(cause, PERMANENT):
            return False
        if isinstance(cause, Contention):
            return retries < max(max_retries, DEFAULT_CONTENTION_RETRIES)
        return retries < max_retries

    return should_retry


def declare_actors(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare every actor on ``broker``; returns them by name."""
    return {
        name: dramatiq.Actor(
            _actor_function(name, model, handler),
            broker=broker,
            actor_name=name,
            queue_name=name,
            priority=0,
            options={},
        )
        for name, (model, handler) in ACTORS.items()
    }


def _actor_function(
    name: str, model: type[HandoffMessage], handler: Handler
) -> Callable[[dict[str, Any]], None]:
    def perform(payload: dict[str, Any]) -> None:
        message = parse_message(model, payload)
        try:
            handler(runtime.current(), message)
        except RateLimited as error:
            if error.retry_after is None:
                raise
            delay_ms = max(1, int(error.retry_after * 1000))
            logger.info("Rate limited; retrying in %d ms, never sooner.", delay_ms)
            raise Retry(str(error), delay=delay_ms) from error

    perform.__name__ = perform.__qualname__ = name
    return perform
