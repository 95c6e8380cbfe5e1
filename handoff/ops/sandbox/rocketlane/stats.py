"""Counts of the API calls the sandbox answered, for tests and benchmarks.

Every call under ``/api/1.0/`` counts once, whatever became of it: served,
refused (401, 404, 429) or answered by an injected fault. A call whose
response a "drop" fault swallowed counts too, and among ``dropped``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["RequestStats"]

RATE_LIMITED = 429
UNROUTED = "unrouted"


class RequestStats:
    """API calls by status and by operation, 429s and writes apart.

    An operation is the fault name of its route (``projects.create``);
    calls to no route count as ``unrouted``. A write is a call that may
    change state; reads include ``POST .../get-placeholders``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Count from zero again."""
        with self._lock:
            self._statuses: Counter[int] = Counter()
            self._operations: Counter[str] = Counter()
            self._writes = 0
            self._dropped = 0

    def record(
        self, operation: str, status: int, *, write: bool, dropped: bool = False
    ) -> None:
        """Count one call of ``operation`` answered with ``status``."""
        with self._lock:
            self._statuses[status] += 1
            self._operations[operation] += 1
            self._writes += int(write and status != RATE_LIMITED)
            self._dropped += int(dropped)

    def as_json(self) -> dict[str, Any]:
        """``{requests, rateLimited, served, writes, dropped, byStatus,
        byOperation}``; ``served`` is every call but the 429s, ``writes``
        the writes among them.
        """
        with self._lock:
            requests = sum(self._statuses.values())
            limited = self._statuses[RATE_LIMITED]
            return {
                "requests": requests,
                "rateLimited": limited,
                "served": requests - limited,
                "writes": self._writes,
                "dropped": self._dropped,
                "byStatus": {str(k): n for k, n in sorted(self._statuses.items())},
                "byOperation": dict(sorted(self._operations.items())),
            }
