"""dead-letter: keep a message that failed for good, with why, for replay."""

from __future__ import annotations

import logging

from ..messages import DeadLetterReported
from ..runtime import Runtime

__all__ = ["run"]

logger = logging.getLogger(__name__)


def run(rt: Runtime, message: DeadLetterReported) -> None:
    """Store the failed message in the dead-letter table."""
    original = message.message
    letter = rt.store.record_dead_letter(
        message_id=str(original.get("message_id")),
        actor=str(original.get("actor_name")),
        queue=str(original.get("queue_name")),
        message=original,
        error_type=message.error_type,
        error=message.error,
        attempts=message.attempts,
        correlation_key=message.correlation_id,
        trace_id=message.trace_id,
    )
    logger.warning(
        "Dead letter %d: %s of %r failed after %d attempt(s): %s",
        letter.id,
        letter.actor,
        message.correlation_id,
        message.attempts,
        message.error,
    )
