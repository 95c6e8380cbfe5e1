"""A REST call and its reply, independent of the HTTP server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handoff.ops.sandbox.salesforce.query import DEFAULT_BATCH_SIZE

__all__ = ["Call", "Reply"]


@dataclass
class Call:
    """One REST call, already authenticated."""

    method: str
    version: str
    segments: list[str]
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    origin: str = ""
    user_id: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE


@dataclass
class Reply:
    """What to answer: status, JSON body (None for no body), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
