"""How a sandbox starts: credentials, token lifetime, limits, faults, rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from handoff.ops.sandbox.salesforce.faults import Fault
from handoff.ops.sandbox.salesforce.validation import ValidationRule

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_DAILY_API_LIMIT",
    "DEFAULT_TOKEN_LIFETIME_S",
    "INTEGRATION_USERNAME",
    "LATEST_VERSION",
    "SandboxConfig",
]

DEFAULT_CLIENT_ID = "handoff-sandbox"
DEFAULT_CLIENT_SECRET = "handoff-sandbox-secret"  # noqa: S105 (a sandbox default)
DEFAULT_TOKEN_LIFETIME_S = 7200.0
DEFAULT_DAILY_API_LIMIT = 15_000
INTEGRATION_USERNAME = "integration@handoff.example"
LATEST_VERSION = "67.0"
OLDEST_VERSION = "31.0"
STANDARD_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


@dataclass
class SandboxConfig:
    """Start-up settings of the Salesforce sandbox.

    ``jwt_public_key_pem`` enables the JWT bearer flow: assertions must be
    RS256-signed by its private key, with ``iss`` = ``client_id``. The
    client-credentials flow acts as ``run_as_username``. ``faults`` are
    active from the first request; ``subscriber_urls`` receive change events.
    ``validation_rules`` are added to the org's (those of the SFDX source)
    at start; a rule that does not compile stops the start.
    """

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    run_as_username: str = INTEGRATION_USERNAME
    token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S
    daily_api_limit: int = DEFAULT_DAILY_API_LIMIT
    jwt_public_key_pem: str | None = None
    jwt_audiences: tuple[str, ...] = STANDARD_AUDIENCES
    subscriber_urls: tuple[str, ...] = ()
    faults: tuple[Fault, ...] = ()
    validation_rules: tuple[ValidationRule, ...] = ()
    event_history: int = 1000
    latest_version: str = LATEST_VERSION
    seed: bool = field(default=True)
