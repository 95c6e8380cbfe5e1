"""Errors raised at the boundary with the outside world.

Every third-party exception (httpx, SQLAlchemy, redis) is translated once, at the
adapter edge, into the most specific class below, keeping the original as
``__cause__``. Whether a failure is retried is decided by its class alone::

    IntegrationError
    ├── TransientError              retried with backoff
    │   ├── RateLimited             carries retry_after (seconds)
    │   │   └── QuotaExhausted      a daily allocation ran out; retry much later
    │   ├── ServiceUnavailable      5xx, or a broker/database that went away
    │   ├── RequestTimedOut         connect/read timeouts, dropped connections
    │   └── Contention              a row or project lock held by someone else
    └── PermanentError              never retried: goes to the dead-letter queue
        ├── InvalidRequest          the remote side rejected the data (400)
        ├── NotFound                the record does not exist (404)
        ├── AuthenticationFailed    credentials refused, even after a new grant
        └── Conflict                the remote state forbids the write (300, 409)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AuthenticationFailed",
    "Conflict",
    "Contention",
    "IntegrationError",
    "InvalidRequest",
    "NotFound",
    "PermanentError",
    "QuotaExhausted",
    "RateLimited",
    "RequestTimedOut",
    "ServiceUnavailable",
    "TransientError",
]


class IntegrationError(Exception):
    """Something outside Handoff failed; ``system`` names which one."""

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        status_code: int | None = None,
        error_code: str | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.status_code = status_code
        self.error_code = error_code
        self.fields = tuple(fields)

    def __str__(self) -> str:
        parts = [self.system] if self.system else []
        if self.status_code is not None:
            parts.append(str(self.status_code))
        if self.error_code:
            parts.append(self.error_code)
        prefix = " ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class TransientError(IntegrationError):
    """A failure that is expected to pass; the message is retried with backoff."""


class RateLimited(TransientError):
    """The remote side asked us to slow down.

    ``retry_after`` is the number of seconds to wait before trying again, or
    ``None`` when the remote side did not say.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class QuotaExhausted(RateLimited):
    """A daily allocation ran out; retrying within minutes only burns more."""


class ServiceUnavailable(TransientError):
    """The remote side answered 5xx or could not be reached."""


class RequestTimedOut(TransientError):
    """No answer came in time; the write may or may not have happened."""


class Contention(TransientError):
    """Someone else holds the lock on the record or project."""


class PermanentError(IntegrationError):
    """A failure that retrying cannot fix; the message is dead-lettered."""


class InvalidRequest(PermanentError):
    """The remote side rejected the request as invalid."""


class NotFound(PermanentError):
    """The record asked for does not exist."""


class AuthenticationFailed(PermanentError):
    """The credentials were refused."""


class Conflict(PermanentError):
    """The remote state does not allow the write (several matches, a conflict)."""
