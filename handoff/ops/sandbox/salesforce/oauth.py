"""The token endpoint: client-credentials and JWT bearer grants.

Both flows answer the real token body and issue no refresh token. Errors use
OAuth's shape, ``{"error", "error_description"}`` with HTTP 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

import jwt

from handoff.ops.sandbox.salesforce.config import SandboxConfig
from handoff.ops.sandbox.salesforce.org import SalesforceOrg, TokenInfo

__all__ = ["JWT_GRANT", "OAuthError", "check_token", "grant"]

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
Record = dict[str, Any]


class OAuthError(Exception):
    """A refused grant: the OAuth error code and its description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.body = {"error": error, "error_description": description}


def grant(
    org: SalesforceOrg,
    config: SandboxConfig,
    form: dict[str, str],
    authorization: str,
    base_url: str,
) -> Record:
    """Run the grant the form asks for; returns the token body or OAuthError."""
    grant_type = form.get("grant_type", "")
    if grant_type == "client_credentials":
        user, client_id = _client_credentials(org, config, form, authorization)
    elif grant_type == JWT_GRANT:
        user, client_id = _jwt_bearer(org, config, form.get("assertion", ""), base_url)
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    return _issue(org, config, user, client_id, base_url)


def check_token(org: SalesforceOrg, authorization: str) -> TokenInfo | None:
    """The live token behind an ``Authorization: Bearer`` header, if any."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    info = org.tokens.get(token.strip())
    if info is None or info.expires_at <= time.monotonic():
        return None
    return info


def _client_credentials(
    org: SalesforceOrg, config: SandboxConfig, form: dict[str, str], authorization: str
) -> tuple[Record, str]:
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization.lower().startswith("basic "):
        decoded = base64.b64decode(authorization[6:].strip()).decode()
        client_id, _, secret = decoded.partition(":")
    if client_id != config.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not hmac.compare_digest(secret, config.client_secret):
        raise OAuthError("invalid_client", "invalid client credentials")
    user = org.user_by_username(config.run_as_username)
    if user is None:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    return user, client_id


def _jwt_bearer(
    org: SalesforceOrg, config: SandboxConfig, assertion: str, base_url: str
) -> tuple[Record, str]:
    if not config.jwt_public_key_pem:
        raise OAuthError("invalid_grant", "invalid assertion")
    try:
        claims = jwt.decode(
            assertion,
            config.jwt_public_key_pem,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", "invalid assertion") from exc
    _check_claims(claims, config, base_url)
    user = org.user_by_username(str(claims.get("sub", "")))
    if user is None:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return user, str(claims["iss"])


def _check_claims(claims: Record, config: SandboxConfig, base_url: str) -> None:
    if claims.get("iss") != config.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    audiences = {*config.jwt_audiences, base_url.rstrip("/")}
    if str(claims.get("aud", "")).rstrip("/") not in audiences:
        raise OAuthError("invalid_grant", "audience is invalid")
    try:
        expires = int(str(claims.get("exp", "")))
    except ValueError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if expires <= time.time():
        raise OAuthError("invalid_grant", "expired authorization code")


def _issue(
    org: SalesforceOrg,
    config: SandboxConfig,
    user: Record,
    client_id: str,
    base_url: str,
) -> Record:
    token = f"{org.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
    org.tokens[token] = TokenInfo(
        user_id=user["Id"],
        client_id=client_id,
        expires_at=time.monotonic() + config.token_lifetime_s,
    )
    issued_at = str(int(time.time() * 1000))
    identity = f"{base_url.rstrip('/')}/id/{org.org_id}/{user['Id']}"
    digest = hmac.new(
        config.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
    ).digest()
    return {
        "access_token": token,
        "signature": base64.b64encode(digest).decode(),
        "scope": "api",
        "instance_url": base_url.rstrip("/"),
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
