"""What the actors work with: clients, store, locks, policy and a sender.

A ``Runtime`` is built once per worker process by a bootstrap step (never at
import) and installed with ``install``; the actors read it with ``current``.
Tests install one made of fakes or of in-process sandboxes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from handoff.adapters.ports import ProjectLocks, RocketlaneClient, SalesforceClient
from handoff.adapters.store import SqlAlchemyStore
from handoff.domain.policy import Policy

from .messages import HandoffMessage

__all__ = ["Runtime", "RuntimeMissing", "current", "install", "uninstall"]

DEFAULT_WRITEBACK_WINDOW_MS = 2_000


class Sender(Protocol):
    """Enqueues a message, optionally after ``delay_ms`` milliseconds."""

    def __call__(
        self, message: HandoffMessage, *, delay_ms: int | None = None
    ) -> object: ...


class RuntimeMissing(RuntimeError):
    """An actor ran in a process that was never bootstrapped."""


@dataclass(kw_only=True)
class Runtime:
    """Everything an actor needs, built once per process."""

    policy: Policy
    salesforce: SalesforceClient
    rocketlane: RocketlaneClient
    store: SqlAlchemyStore
    locks: ProjectLocks
    send: Sender
    client_tag: str = "handoff"
    rocketlane_api_user: str | None = None
    writeback_window_ms: int = DEFAULT_WRITEBACK_WINDOW_MS
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Release connections, newest first."""
        for closer in reversed(self.closers):
            closer()


_lock = threading.Lock()
_installed: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Make ``runtime`` the one the actors of this process use."""
    global _installed  # noqa: PLW0603 - one runtime per process, by design
    with _lock:
        _installed = runtime


def uninstall() -> Runtime | None:
    """Remove the installed runtime and return it."""
    global _installed
    with _lock:
        runtime, _installed = _installed, None
        return runtime


def current() -> Runtime:
    """The installed runtime; raises RuntimeMissing when there is none."""
    runtime = _installed
    if runtime is None:
        raise RuntimeMissing("no runtime installed: run through `handoff worker`")
    return runtime
