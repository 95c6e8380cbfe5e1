"""Salesforce REST API client (API v62.0 by default), over httpx.

Speaks the Lightning Platform REST API: OAuth 2.0 client-credentials and JWT
bearer grants on ``/services/oauth2/token``, sObject rows, external-ID
upserts, sObject Collections (``/composite/sobjects``), Composite, SOQL with
``nextRecordsUrl`` paging, describe and ``/limits``.

One public send path, ``request``, layered privately:

* authentication: grant on first use; on 401 INVALID_SESSION_ID grant again
  and retry once (these flows have no refresh token);
* spending: the daily-allocation guard refuses a call (QuotaExhausted)
  when the last ``Sforce-Limit-Info`` left less than ``daily_reserve_percent``
  of the allocation, and a shared ``limiter`` grants a unit of its
  ``"salesforce"`` bucket before each call; a daily REQUEST_LIMIT_EXCEEDED
  blocks that bucket for every worker for ``quota_retry_after`` seconds;
* the single request, tagged ``Sforce-Call-Options: client=<tag>`` so the
  writes echo back in change events' ``changeOrigin``;
* error translation: every httpx error and HTTP status becomes one class of
  ``handoff.adapters.errors`` with the cause kept.

Salesforce never sends ``Retry-After``; ``Sforce-Limit-Info`` is read into
``api_usage`` after every call.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from handoff.adapters.errors import (
    AuthenticationFailed,
    Conflict,
    Contention,
    IntegrationError,
    InvalidRequest,
    NotFound,
    QuotaExhausted,
    RateLimited,
    RequestTimedOut,
    ServiceUnavailable,
)
from handoff.adapters.ports import RecordResult
from handoff.adapters.ratelimit import RateLimiter

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BUCKET",
    "ApiUsage",
    "ClientCredentials",
    "HttpxSalesforceClient",
    "JwtBearer",
]

logger = logging.getLogger(__name__)

Record = dict[str, Any]
SYSTEM = "salesforce"
DEFAULT_API_VERSION = "62.0"
DEFAULT_CLIENT_TAG = "handoff"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_QUOTA_RETRY_AFTER_S = 3600.0
DEFAULT_CONCURRENCY_RETRY_AFTER_S = 5.0
DEFAULT_JWT_LIFETIME_S = 180
DEFAULT_BUCKET = "salesforce"
COLLECTION_LIMIT = 200
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
STATUS_ERRORS: dict[int, type[IntegrationError]] = {
    300: Conflict,
    401: AuthenticationFailed,
    404: NotFound,
    409: Conflict,
}


@dataclass(frozen=True)
class ClientCredentials:
    """The OAuth client-credentials flow: a connected app's key and secret."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class JwtBearer:
    """The OAuth JWT bearer flow: an RS256 assertion signed by the app's key."""

    client_id: str
    username: str
    private_key_pem: str
    audience: str = "https://login.salesforce.com"


@dataclass(frozen=True)
class ApiUsage:
    """Calls used against the org's rolling 24-hour allocation."""

    used: int
    limit: int

    def nearly_used(self, reserve_percent: float) -> bool:
        """Whether less than ``reserve_percent`` of the allocation is left."""
        return self.limit - self.used <= self.limit * reserve_percent / 100


@dataclass
class _Session:
    access_token: str
    instance_url: str


class HttpxSalesforceClient:
    """A Salesforce REST client implementing the ``SalesforceClient`` port.

    Keyword-only options: ``login_url`` (the My Domain or login host that
    issues tokens), ``credentials``, ``api_version`` ("62.0"), ``client_tag``
    (sent as ``Sforce-Call-Options: client=<tag>``), ``timeout`` (seconds),
    ``quota_retry_after`` (seconds a QuotaExhausted asks callers to wait),
    ``transport`` (an httpx transport, for in-process tests), ``limiter``
    (the rate limiter shared by every worker) with its ``bucket``,
    ``daily_reserve_percent`` (the share of the daily allocation never
    spent; 0 spends it all) and ``clock`` (monotonic seconds, for tests).

    The guard trusts the last ``Sforce-Limit-Info`` seen for
    ``quota_retry_after`` seconds; after that one call is let through to
    read the usage again, since nothing else would refresh it.
    """

    def __init__(
        self,
        *,
        login_url: str,
        credentials: ClientCredentials | JwtBearer,
        api_version: str = DEFAULT_API_VERSION,
        client_tag: str = DEFAULT_CLIENT_TAG,
        timeout: float = DEFAULT_TIMEOUT_S,
        quota_retry_after: float = DEFAULT_QUOTA_RETRY_AFTER_S,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        bucket: str = DEFAULT_BUCKET,
        daily_reserve_percent: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= daily_reserve_percent < 100:
            raise ValueError("daily_reserve_percent must be in [0, 100)")
        self.login_url = login_url.rstrip("/")
        self.credentials = credentials
        self.api_version = api_version.lstrip("v")
        self.client_tag = client_tag
        self.quota_retry_after = quota_retry_after
        self.api_usage: ApiUsage | None = None
        self.limiter = limiter
        self.bucket = bucket
        self.daily_reserve_percent = daily_reserve_percent
        self._clock = clock
        self._usage_read_at = 0.0
        self._session: _Session | None = None
        self._http = httpx.Client(timeout=timeout, transport=transport)

    # --- lifecycle --------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> HttpxSalesforceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def base_path(self) -> str:
        """``/services/data/vNN.N``: the prefix of every REST resource."""
        return f"/services/data/v{self.api_version}"

    def login(self) -> None:
        """Run the OAuth grant now; raises AuthenticationFailed."""
        self._session = self._grant()

    # --- queries ------------------------------------------------------------------

    def query(self, soql: str) -> list[Record]:
        """All rows of a SOQL query, following nextRecordsUrl.

        Each row is a record dict with ``attributes``. Raises InvalidRequest
        (MALFORMED_QUERY, INVALID_FIELD) and the transient errors.
        """
        return list(self.iter_query(soql))

    def iter_query(self, soql: str) -> Iterator[Record]:
        """Rows of a SOQL query, fetching one page (up to 2000 rows) at a time."""
        page = self.request("GET", f"{self.base_path}/query", params={"q": soql})
        while True:
            yield from page.get("records", [])
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.request("GET", next_url)

    # --- single records -----------------------------------------------------------

    def get(
        self, sobject: str, record_id: str, *, fields: Sequence[str] = ()
    ) -> Record:
        """One record by 15- or 18-char ID, optionally only some fields.

        Raises NotFound (also for deleted records) and InvalidRequest.
        """
        params = {"fields": ",".join(fields)} if fields else None
        path = f"{self.base_path}/sobjects/{sobject}/{_quote(record_id)}"
        record: Record = self.request("GET", path, params=params)
        return record

    def create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        """Create a record; returns its 18-character ID. Raises InvalidRequest."""
        body = self.request("POST", f"{self.base_path}/sobjects/{sobject}", json=fields)
        return str(body["id"])

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Change some fields of a record. Raises NotFound, InvalidRequest."""
        path = f"{self.base_path}/sobjects/{sobject}/{_quote(record_id)}"
        self.request("PATCH", path, json=fields)

    def delete(self, sobject: str, record_id: str) -> None:
        """Delete a record (to the recycle bin). Raises NotFound."""
        path = f"{self.base_path}/sobjects/{sobject}/{_quote(record_id)}"
        self.request("DELETE", path)

    def upsert(
        self,
        sobject: str,
        external_field: str,
        external_id: str,
        fields: Mapping[str, Any],
    ) -> RecordResult:
        """Create or update the record whose external ID field has this value.

        The external-ID field is stripped from the body (it travels in the
        URL). Raises Conflict when several records match (300), NotFound for
        an unknown external-ID field, InvalidRequest.
        """
        body = {k: v for k, v in fields.items() if k.lower() != external_field.lower()}
        path = (
            f"{self.base_path}/sobjects/{sobject}/{external_field}/"
            f"{_quote(external_id)}"
        )
        response = self.request("PATCH", path, json=body)
        if not response:  # v45 and older answer 204 on update
            return RecordResult(id=None, success=True, created=False)
        return _result(response)

    # --- sObject Collections ------------------------------------------------------

    def upsert_many(
        self,
        sobject: str,
        external_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[RecordResult]:
        """Upsert records of one type by external ID, 200 per call.

        Results come in input order, one per record; read ``success`` of
        each, because the call answers 200 even when rows failed. With
        ``all_or_none`` a chunk is rolled back whole if any row fails.
        """
        path = f"{self.base_path}/composite/sobjects/{sobject}/{external_field}"
        rows = [_typed(sobject, record) for record in records]
        return self._collection("PATCH", path, rows, all_or_none)

    def update_many(
        self, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Update records (each with ``attributes.type`` and ``Id``), 200 per call.

        Per-row results in input order; rows fail independently unless
        ``all_or_none``.
        """
        path = f"{self.base_path}/composite/sobjects"
        return self._collection("PATCH", path, list(records), all_or_none)

    def create_many(
        self, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Create records (each with ``attributes.type``), 200 per call."""
        path = f"{self.base_path}/composite/sobjects"
        return self._collection("POST", path, list(records), all_or_none)

    def _collection(
        self, method: str, path: str, rows: list[Any], all_or_none: bool
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for start in range(0, len(rows), COLLECTION_LIMIT):
            chunk = rows[start : start + COLLECTION_LIMIT]
            body = {"allOrNone": all_or_none, "records": chunk}
            answer = self.request(method, path, json=body)
            results.extend(_result(row) for row in answer)
        return results

    # --- composite, describe, limits ----------------------------------------------

    def composite(
        self, subrequests: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[Record]:
        """Run up to 25 subrequests in one call; returns ``compositeResponse``.

        Subrequest URLs may be given relative to ``/services/data/vNN.N``.
        Each answer carries its own ``httpStatusCode``; the call itself
        raises only when the whole request is refused.
        """
        requests = [
            {**sub, "url": self._absolute_path(str(sub["url"]))} for sub in subrequests
        ]
        body = {"allOrNone": all_or_none, "compositeRequest": requests}
        answer = self.request("POST", f"{self.base_path}/composite", json=body)
        responses: list[Record] = answer["compositeResponse"]
        return responses

    def describe(self, sobject: str) -> Record:
        """The full describe of one object (fields, relationships)."""
        record: Record = self.request(
            "GET", f"{self.base_path}/sobjects/{sobject}/describe"
        )
        return record

    def limits(self) -> Record:
        """The org's limits: ``{"DailyApiRequests": {"Max", "Remaining"}, ...}``."""
        record: Record = self.request("GET", f"{self.base_path}/limits")
        return record

    # --- the send path ------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one REST call to the instance; returns the JSON body or None.

        ``path`` starts with ``/services/data/``. Raises the classes of
        ``handoff.adapters.errors``.
        """
        if self._session is None:
            self._session = self._grant()
        response = self._send(method, path, params=params, json=json)
        if (
            response.status_code == 401
            and _error_code(response) == "INVALID_SESSION_ID"
        ):
            logger.info("The Salesforce session expired; running the grant again.")
            self._session = self._grant()
            response = self._send(method, path, params=params, json=json)
        self._read_usage(response)
        if response.status_code >= 300:
            raise self._translate(response)
        return response.json() if response.content else None

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
    ) -> httpx.Response:
        assert self._session is not None
        self._spend(method, path)
        headers = {
            "Authorization": f"Bearer {self._session.access_token}",
            "Sforce-Call-Options": f"client={self.client_tag}",
            "Accept": "application/json",
        }
        url = self._session.instance_url + path
        try:
            return self._http.request(
                method, url, params=params, json=json, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise RequestTimedOut(f"{method} {path} timed out", system=SYSTEM) from exc
        except httpx.TransportError as exc:
            raise RequestTimedOut(
                f"{method} {path} got no complete answer: {exc}", system=SYSTEM
            ) from exc

    def _spend(self, method: str, path: str) -> None:
        """Refuse a call the daily reserve forbids; take a shared unit."""
        usage = self.api_usage
        fresh = self._clock() - self._usage_read_at < self.quota_retry_after
        if (
            usage is not None
            and fresh
            and usage.nearly_used(self.daily_reserve_percent)
        ):
            logger.warning(
                "Holding %s %s: %d of %d daily API calls used, reserve %.0f%%.",
                method,
                path,
                usage.used,
                usage.limit,
                self.daily_reserve_percent,
            )
            raise QuotaExhausted(
                f"the daily API allocation is down to its reserve "
                f"({usage.used}/{usage.limit} used)",
                retry_after=self.quota_retry_after,
                system=SYSTEM,
                error_code="DAILY_RESERVE",
            )
        if self.limiter is not None:
            self.limiter.acquire(self.bucket)

    def _absolute_path(self, url: str) -> str:
        return (
            url
            if url.startswith("/services/")
            else self.base_path + "/" + url.lstrip("/")
        )

    # --- authentication -----------------------------------------------------------

    def _grant(self) -> _Session:
        form = self._grant_form()
        headers = {"Accept": "application/json"}
        if isinstance(self.credentials, ClientCredentials):
            pair = f"{self.credentials.client_id}:{self.credentials.client_secret}"
            headers["Authorization"] = (
                "Basic " + base64.b64encode(pair.encode()).decode()
            )
        url = f"{self.login_url}/services/oauth2/token"
        try:
            response = self._http.post(url, data=form, headers=headers)
        except httpx.TimeoutException as exc:
            raise RequestTimedOut("the token request timed out", system=SYSTEM) from exc
        except httpx.TransportError as exc:
            raise RequestTimedOut(
                f"the token request failed: {exc}", system=SYSTEM
            ) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(
                "the token endpoint is unavailable",
                system=SYSTEM,
                status_code=response.status_code,
            )
        body = _json_or_empty(response)
        if response.status_code != 200 or "access_token" not in body:
            raise AuthenticationFailed(
                f"{body.get('error', 'error')}: {body.get('error_description', '')}",
                system=SYSTEM,
                status_code=response.status_code,
                error_code=str(body.get("error") or ""),
            )
        logger.debug("Granted a Salesforce session on %r.", body["instance_url"])
        return _Session(body["access_token"], str(body["instance_url"]).rstrip("/"))

    def _grant_form(self) -> dict[str, str]:
        if isinstance(self.credentials, ClientCredentials):
            return {"grant_type": "client_credentials"}
        claims = {
            "iss": self.credentials.client_id,
            "sub": self.credentials.username,
            "aud": self.credentials.audience,
            "exp": int(time.time()) + DEFAULT_JWT_LIFETIME_S,
        }
        assertion = jwt.encode(
            claims, self.credentials.private_key_pem, algorithm="RS256"
        )
        return {"grant_type": JWT_GRANT, "assertion": assertion}

    # --- responses ----------------------------------------------------------------

    def _read_usage(self, response: httpx.Response) -> None:
        header = response.headers.get("Sforce-Limit-Info", "")
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            used, _, limit = value.partition("/")
            if key == "api-usage" and used.isdigit() and limit.isdigit():
                self.api_usage = ApiUsage(int(used), int(limit))
                self._usage_read_at = self._clock()

    def _translate(self, response: httpx.Response) -> IntegrationError:
        status = response.status_code
        body = _json_or_empty(response)
        first = (
            body[0]
            if isinstance(body, list) and body and isinstance(body[0], dict)
            else {}
        )
        code = str(first.get("errorCode") or "") or None
        message = str(first.get("message") or response.reason_phrase or status)
        fields = [str(f) for f in first.get("fields") or []]
        options: dict[str, Any] = {
            "system": SYSTEM,
            "status_code": status,
            "error_code": code,
            "fields": fields,
        }
        return self._error_for(status, code, message, body, options)

    def _error_for(
        self,
        status: int,
        code: str | None,
        message: str,
        body: Any,
        options: dict[str, Any],
    ) -> IntegrationError:
        if status == 300:
            message = f"several records match: {body}"
        if code == "REQUEST_LIMIT_EXCEEDED":
            return self._limit_error(message, options)
        if code == "UNABLE_TO_LOCK_ROW":
            return Contention(message, **options)
        if status >= 500:
            return ServiceUnavailable(message, **options)
        kind = STATUS_ERRORS.get(status, InvalidRequest)
        return kind(message, **options)

    def _limit_error(self, message: str, options: dict[str, Any]) -> IntegrationError:
        if "TotalRequests" in message:
            self._block_everyone()
            return QuotaExhausted(
                message, retry_after=self.quota_retry_after, **options
            )
        return RateLimited(
            message, retry_after=DEFAULT_CONCURRENCY_RETRY_AFTER_S, **options
        )

    def _block_everyone(self) -> None:
        """Hold the shared bucket while the daily allocation refills."""
        if self.limiter is not None:
            resume_at = time.time() + self.quota_retry_after
            self.limiter.block_until(self.bucket, resume_at)


def _quote(value: str) -> str:
    return quote(value, safe="")


def _typed(sobject: str, record: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(record)
    row.setdefault("attributes", {"type": sobject})
    return row


def _result(row: Mapping[str, Any]) -> RecordResult:
    created = row.get("created")
    return RecordResult(
        id=row.get("id"),
        success=bool(row.get("success")),
        created=bool(created) if created is not None else None,
        errors=tuple(row.get("errors") or ()),
    )


def _json_or_empty(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _error_code(response: httpx.Response) -> str | None:
    body = _json_or_empty(response)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode") or "") or None
    return None
