"""How a sandbox behaves: keys, limits, delays, switches, webhooks and faults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = [
    "DEFAULT_API_KEY",
    "FaultKind",
    "FaultRule",
    "SandboxConfig",
    "WebhookConfig",
]

DEFAULT_API_KEY = "rl-sandbox-key"
DEFAULT_API_KEY_NAME = "Handoff integration"
DEFAULT_RATE_LIMIT_PER_MINUTE = 200
DEFAULT_LIST_RATE_LIMIT_PER_MINUTE = 60
DEFAULT_TEMPLATE_CREATE_DELAY_S = 0.05
DEFAULT_PAGE_TOKEN_TTL_S = 15 * 60.0
DEFAULT_WEBHOOK_TIMEOUT_S = 10.0
DEFAULT_TIMEOUT_FAULT_S = 30.0

FaultKind = Literal["error", "latency", "timeout", "drop"]


@dataclass
class FaultRule:
    """One injected misbehaviour, matched against an operation name.

    ``operation`` is an exact name ("projects.create"), a family
    ("tasks.*") or everything ("*"). ``kind`` says what happens:

    - ``error``: answer ``status`` (500 with the spec's body, 503, 429 with
      an ``X-Retry-After`` ``retry_after_s`` ahead) without doing the work;
    - ``latency``: wait ``latency_s`` seconds, then serve normally;
    - ``timeout``: hold the request ``latency_s`` seconds (default 30 s)
      before serving, so a client with a shorter read timeout gives up;
    - ``drop``: do the work, commit it, then close the connection without
      sending a status line (the client sees a lost response).

    ``count`` limits the rule to the next N matching calls; ``probability``
    makes each matching call misbehave with that chance.
    """

    operation: str = "*"
    kind: FaultKind = "error"
    status: int = 500
    probability: float = 1.0
    count: int | None = None
    latency_s: float = 0.0
    retry_after_s: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in get_args(FaultKind):
            kinds = ", ".join(get_args(FaultKind))
            raise ValueError(
                f"unknown fault kind {self.kind!r}; expected one of {kinds}"
            )
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")

    def matches(self, operation: str) -> bool:
        """Whether this rule applies to ``operation``."""
        if self.operation in ("*", operation):
            return True
        family = self.operation.removesuffix(".*")
        return self.operation.endswith(".*") and operation.startswith(family + ".")


@dataclass
class WebhookConfig:
    """A webhook as configured in Rocketlane's settings page.

    ``events`` empty means every event type. ``username`` and ``password``
    make deliveries carry an HTTP Basic ``Authorization`` header.
    """

    url: str
    name: str = "Handoff"
    events: Sequence[str] = ()
    username: str | None = None
    password: str | None = None
    webhook_id: int | None = None


@dataclass
class SandboxConfig:
    """Everything that makes one sandbox differ from another.

    ``api_keys`` maps each accepted key to the name of its synthetic API
    user, who is the recorded actor of every write made with the key.
    ``reject_duplicate_reference`` turns on the (inferred) 400 for a
    second project with the same ``externalReferenceId``.
    ``http_next_page`` makes ``nextPage`` use ``http://`` as seen live.
    ``limit_param_fails`` reproduces the reported 500 on ``limit=``.
    ``seed_todo_status`` adds project status 1 "To do", never seen live.
    """

    api_keys: Mapping[str, str] = field(
        default_factory=lambda: {DEFAULT_API_KEY: DEFAULT_API_KEY_NAME}
    )
    api_key_owner_email: str = "integration@handoff.example"
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    list_rate_limit_per_minute: int = DEFAULT_LIST_RATE_LIMIT_PER_MINUTE
    template_create_delay_s: float = DEFAULT_TEMPLATE_CREATE_DELAY_S
    reject_duplicate_reference: bool = True
    http_next_page: bool = False
    limit_param_fails: bool = False
    seed_todo_status: bool = True
    page_token_ttl_s: float = DEFAULT_PAGE_TOKEN_TTL_S
    webhooks: Sequence[WebhookConfig] = ()
    webhook_shuffle: bool = False
    webhook_max_delay_s: float = 0.0
    webhook_timeout_s: float = DEFAULT_WEBHOOK_TIMEOUT_S
    faults: Sequence[FaultRule] = ()
