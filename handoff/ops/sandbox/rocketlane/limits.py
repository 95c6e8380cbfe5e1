"""Rate limits per API key and injected faults per operation."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from .config import FaultRule

__all__ = ["Faults", "RateLimiter"]

WINDOW_S = 60.0


class RateLimiter:
    """Sliding one-minute windows per key: all calls, and list GETs apart.

    ``check`` answers ``None`` when the call may proceed (and counts it),
    or the epoch second at which the oldest counted call leaves the window.
    """

    def __init__(
        self,
        *,
        per_minute: int,
        list_per_minute: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self.list_per_minute = list_per_minute
        self._clock = clock
        self._all: dict[str, deque[float]] = defaultdict(deque)
        self._lists: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str, *, is_list: bool) -> float | None:
        """Count one call of ``key``, or say when calls may resume."""
        now = self._clock()
        with self._lock:
            windows = [(self._all[key], self.per_minute)]
            if is_list:
                windows.append((self._lists[key], self.list_per_minute))
            for calls, limit in windows:
                while calls and calls[0] <= now - WINDOW_S:
                    calls.popleft()
                if len(calls) >= limit:
                    return calls[len(calls) - limit] + WINDOW_S
            for calls, _ in windows:
                calls.append(now)
        return None

    def reset(self) -> None:
        """Forget every counted call."""
        with self._lock:
            self._all.clear()
            self._lists.clear()


class Faults:
    """The active fault rules; the first one that fires wins."""

    def __init__(
        self, rules: Iterable[FaultRule] = (), *, seed: int | None = None
    ) -> None:
        self._rules = [FaultRule(**asdict(rule)) for rule in rules]
        self._random = random.Random(seed)  # noqa: S311 (not for secrets)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        """Activate ``rule`` after the existing ones."""
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        """Deactivate every rule."""
        with self._lock:
            self._rules.clear()

    def pick(self, operation: str) -> FaultRule | None:
        """The rule that fires for this call of ``operation``, if any."""
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(operation):
                    continue
                if self._random.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                return rule
        return None

    def describe(self) -> list[dict[str, Any]]:
        """The active rules, for the admin interface."""
        with self._lock:
            return [asdict(rule) for rule in self._rules]
