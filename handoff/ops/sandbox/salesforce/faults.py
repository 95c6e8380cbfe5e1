"""Faults on demand: a small, API-agnostic core any sandbox can reuse.

A ``FaultPlan`` holds ``Fault`` rules. Before handling a call the sandbox
asks ``plan.draw(operation)``; the first matching rule that fires (by its
remaining ``count`` and its ``probability``) is returned and the sandbox
turns it into behaviour. Only the translation to HTTP is API-specific; the
rules, matching and counting here know nothing of Salesforce.

Kinds:

``error``
    Answer ``status`` with an API-specific body (``error_code``, ``message``)
    instead of handling the call. Nothing is written.
``latency``
    Sleep ``delay_s`` seconds, then handle the call normally.
``timeout``
    Sleep ``delay_s`` seconds (set it past the client's timeout), then handle
    the call: the write lands after the client has given up.
``drop``
    Handle the call (the write commits), then lose the response: the server
    sends the status line and headers but closes the connection before the
    body, which any HTTP client reports as a broken response
    (``httpx.RemoteProtocolError``), never as an answer.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan"]

FAULT_KINDS = frozenset({"error", "latency", "timeout", "drop"})
ANY_OPERATION = "*"


@dataclass
class Fault:
    """One rule: which operation, what happens, how often."""

    kind: str
    operation: str = ANY_OPERATION
    status: int = 500
    error_code: str | None = None
    message: str | None = None
    delay_s: float = 0.0
    count: int | None = None
    probability: float = 1.0
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build a rule from JSON; unknown keys are refused."""
        allowed = {name for name in cls.__dataclass_fields__ if name != "fired"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        return cls(**data)

    def matches(self, operation: str) -> bool:
        """Whether the rule applies to this operation."""
        return self.operation in (ANY_OPERATION, operation)

    @property
    def exhausted(self) -> bool:
        """Whether a counted rule has fired as often as it may."""
        return self.count is not None and self.fired >= self.count


class FaultPlan:
    """The active rules, safe to change while requests are being served."""

    def __init__(self, faults: list[Fault] | None = None, *, seed: int | None = None):
        self._faults = list(faults or [])
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 (not for security)

    def add(self, fault: Fault) -> None:
        """Activate one more rule, after the existing ones."""
        with self._lock:
            self._faults.append(fault)

    def clear(self, operation: str | None = None) -> None:
        """Drop every rule, or only those written for one operation."""
        with self._lock:
            self._faults = [
                f
                for f in self._faults
                if operation is not None and f.operation != operation
            ]

    def draw(self, operation: str) -> Fault | None:
        """The rule that fires for this call, if any; counts it as fired."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(operation):
                    continue
                if self._random.random() >= fault.probability:
                    continue
                fault.fired += 1
                return fault
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        """The rules as JSON-ready dicts, with how often each fired."""
        with self._lock:
            return [asdict(fault) for fault in self._faults]
