"""A client of Rocketlane's public REST API, version 1.0, over httpx.

Speaks ``https://api.rocketlane.com/api/1.0`` as documented in Rocketlane's
OpenAPI document (v1.0) and as observed live (see
shared/reference/rocketlane-api.md). Every call goes through ``request``,
which layers, in order:

1. authentication: the raw key in the ``api-key`` header;
2. rate limits: with a shared ``limiter``, a unit of the ``"rocketlane"``
   bucket (every call) and of ``"rocketlane.list"`` (list GETs, 60 a minute
   documented) is taken before sending, and a 429 blocks the overall bucket
   for every worker until the epoch-milliseconds instant of
   ``X-Retry-After``; without one, the client alone refuses to send until
   that instant;
3. the single HTTP request;
4. error translation into ``handoff.adapters.errors``, once, keeping the
   httpx error or response as the cause.

Errors raised (see errors.py for the tree)::

    400 → InvalidRequest (fields = the envelope's ``field``)
          └ DuplicateReference when the externalReferenceId is taken
    401 → AuthenticationFailed     404 → NotFound
    429 → RateLimited(retry_after=seconds)
    5xx → ServiceUnavailable       timeouts, lost connections → RequestTimedOut
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from .errors import (
    AuthenticationFailed,
    Conflict,
    IntegrationError,
    InvalidRequest,
    NotFound,
    RateLimited,
    RequestTimedOut,
    ServiceUnavailable,
)
from .ratelimit import RateLimiter

__all__ = [
    "DEFAULT_BUCKET",
    "DEFAULT_CREATE_TIMEOUT_S",
    "DEFAULT_LIST_BUCKET",
    "DEFAULT_TIMEOUT_S",
    "METRIC_FIELDS",
    "DuplicateReference",
    "HttpxRocketlaneClient",
]

logger = logging.getLogger(__name__)

Record = dict[str, Any]
Params = Mapping[str, str]

SYSTEM = "rocketlane"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CREATE_TIMEOUT_S = 60.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_BUCKET = "rocketlane"
DEFAULT_LIST_BUCKET = "rocketlane.list"
# Rocketlane's limits are per minute: a 429 that says nothing about when to
# resume blocks the shared bucket for a whole window.
DEFAULT_UNSAID_BLOCK_S = 60.0
MAX_PAGE_SIZE = 100
DUPLICATE_REFERENCE_TEXT = "Invalid External Reference Key specified"
METRIC_FIELDS = (
    "trackedHours",
    "trackedMinutes",
    "remainingHours",
    "budgetedHours",
    "percentageBudgetedHoursConsumed",
    "percentageBudgetConsumed",
    "progressPercentage",
    "currentPhase",
    "inferredProgress",
    "metrics",
    "externalReferenceId",
)


ERRORS_BY_STATUS: dict[int, type[IntegrationError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: AuthenticationFailed,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
}


class DuplicateReference(Conflict):
    """Another project already carries this ``externalReferenceId``.

    Rocketlane answers it as a 400; whether it is enforced at all is only
    inferred, so callers resolve it, and any timeout, by looking the project
    up with ``find_project_by_reference``.
    """


class HttpxRocketlaneClient:
    """The Rocketlane REST API (v1.0) as Handoff uses it.

    ``base_url`` is the API root (``https://api.rocketlane.com/api/1.0``).
    ``timeout`` is the read timeout of ordinary calls in seconds;
    ``create_timeout`` that of project creates, which take 20-35 s when
    built from templates. ``transport`` replaces the network (tests).
    ``limiter`` is the rate limiter shared by every worker; ``bucket``
    names its bucket for every call and ``list_bucket`` the one for list
    GETs. Without a limiter the client keeps a 429's window to itself.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = DEFAULT_TIMEOUT_S,
        create_timeout: float = DEFAULT_CREATE_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        limiter: RateLimiter | None = None,
        bucket: str = DEFAULT_BUCKET,
        list_bucket: str = DEFAULT_LIST_BUCKET,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._create_timeout = create_timeout
        self._clock = clock
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self._limiter = limiter
        self._bucket = bucket
        self._list_bucket = list_bucket
        self._http = httpx.Client(
            base_url=self._base_url + "/",
            timeout=httpx.Timeout(timeout, connect=DEFAULT_CONNECT_TIMEOUT_S),
            transport=transport,
        )

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> HttpxRocketlaneClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- projects -----------------------------------------------------------

    def create_project(self, body: Mapping[str, Any]) -> Record:
        """POST /projects; the created project (default field set).

        Waits up to ``create_timeout`` seconds. Raises DuplicateReference
        when the externalReferenceId is taken, InvalidRequest on other 400s,
        RequestTimedOut when the answer was lost (the project may exist:
        look it up by reference before creating again).
        """
        response = self.request(
            "POST", "projects", json=body, timeout=self._create_timeout
        )
        return _object(response)

    def get_project(
        self, project_id: int, *, include_fields: Sequence[str] = ()
    ) -> Record:
        """GET /projects/{id}, with the optional fields asked for.

        Raises NotFound when the project does not exist.
        """
        params = _include(include_fields)
        return _object(self.request("GET", f"projects/{project_id}", params=params))

    def get_project_metrics(self, project_id: int) -> Record:
        """The project with its delivery signals (``METRIC_FIELDS``).

        Hours are in hours (``trackedMinutes`` in minutes), percentages
        0-100, money in the project's currency under
        ``financials.metrics``. Raises NotFound.
        """
        return self.get_project(project_id, include_fields=METRIC_FIELDS)

    def update_project(self, project_id: int, changes: Mapping[str, Any]) -> Record:
        """PUT /projects/{id}: a partial update; only ``changes`` change.

        Raises NotFound, InvalidRequest (DuplicateReference for a taken
        externalReferenceId).
        """
        path = f"projects/{project_id}"
        return _object(self.request("PUT", path, json=changes))

    def find_project_by_reference(self, external_reference_id: str) -> Record | None:
        """The project carrying this externalReferenceId, or None.

        Archived projects are included, so a lookup after a lost create
        never misses one. Raises Conflict when several projects match.
        """
        params = {
            "externalReferenceId.eq": external_reference_id,
            "includeFields": "externalReferenceId",
            "includeArchive.eq": "true",
        }
        found = [
            p
            for p in self.iter_list("projects", params)
            if p.get("externalReferenceId") == external_reference_id
        ]
        if len(found) > 1:
            ids = [p["projectId"] for p in found]
            message = f"{len(found)} projects carry reference {external_reference_id!r}: {ids}"
            raise Conflict(message, system=SYSTEM)
        return found[0] if found else None

    def archive_project(self, project_id: int) -> None:
        """POST /projects/{id}/archive (204). Raises NotFound."""
        self.request("POST", f"projects/{project_id}/archive")

    # -- plan: phases, tasks, milestones -------------------------------------

    def list_phases(self, project_id: int) -> list[Record]:
        """Every phase of the project, following pagination."""
        params = {"projectId": str(project_id), "includeAllFields": "true"}
        return list(self.iter_list("phases", params))

    def create_phase(self, body: Mapping[str, Any]) -> Record:
        """POST /phases; the created phase.

        The body needs ``phaseName``, ``project: {projectId}``, ``startDate``
        and ``dueDate`` (``YYYY-MM-DD``). Phases carry no
        externalReferenceId: find one again by its name
        (``find_phase_by_name``). Raises InvalidRequest, NotFound.
        """
        return _object(self.request("POST", "phases", json=body))

    def update_phase(self, phase_id: int, changes: Mapping[str, Any]) -> Record:
        """PUT /phases/{id}: a partial update (``phaseName``, ``startDate``,
        ``dueDate``, …). Raises NotFound, InvalidRequest."""
        return _object(self.request("PUT", f"phases/{phase_id}", json=changes))

    def find_phase_by_name(self, project_id: int, phase_name: str) -> Record | None:
        """The project's phase named exactly ``phase_name``, or None.

        Raises Conflict when several phases carry the name.
        """
        found = [
            phase
            for phase in self.list_phases(project_id)
            if phase.get("phaseName") == phase_name
        ]
        if len(found) > 1:
            ids = [phase["phaseId"] for phase in found]
            message = (
                f"{len(found)} phases of {project_id} are named {phase_name!r}: {ids}"
            )
            raise Conflict(message, system=SYSTEM)
        return found[0] if found else None

    def list_tasks(
        self, project_id: int, *, milestones_only: bool = False
    ) -> list[Record]:
        """Every task (or only the milestones) of the project, all fields."""
        params = {"projectId.eq": str(project_id), "includeAllFields": "true"}
        tasks = list(self.iter_list("tasks", params))
        if milestones_only:
            return [t for t in tasks if t.get("type") == "MILESTONE"]
        return tasks

    def create_task(self, body: Mapping[str, Any]) -> Record:
        """POST /tasks (``type: MILESTONE`` for a milestone). Raises
        InvalidRequest."""
        return _object(self.request("POST", "tasks", json=body))

    def update_task(self, task_id: int, changes: Mapping[str, Any]) -> Record:
        """PUT /tasks/{id}: a partial update. Raises NotFound,
        InvalidRequest."""
        return _object(self.request("PUT", f"tasks/{task_id}", json=changes))

    def find_task_by_reference(
        self, project_id: int, external_reference_id: str
    ) -> Record | None:
        """The project's task carrying this externalReferenceId, or None."""
        params = {
            "projectId.eq": str(project_id),
            "externalReferenceId.eq": external_reference_id,
            "includeAllFields": "true",
        }
        found = [
            t
            for t in self.iter_list("tasks", params)
            if t.get("externalReferenceId") == external_reference_id
        ]
        return found[0] if found else None

    # -- time, capacity, people, updates ---------------------------------------

    def list_time_entries(
        self,
        project_id: int,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[Record]:
        """Time entries of the project (``minutes`` each), with rates.

        ``date_from``/``date_to`` are inclusive ``YYYY-MM-DD`` bounds.
        """
        params: dict[str, str] = {
            "projectId.eq": str(project_id),
            "includeFields": "costRate,billRate,status,sourceType",
        }
        if date_from:
            params["date.ge"] = date_from
        if date_to:
            params["date.le"] = date_to
        return list(self.iter_list("time-entries", params))

    def list_resource_allocations(
        self, project_id: int, *, start_date: str, end_date: str
    ) -> list[Record]:
        """Allocations of the project overlapping ``start_date``-``end_date``.

        Dates are ``YYYY-MM-DD``; per-day load is in ``minutesPerDay``.
        """
        params = {
            "startDate": start_date,
            "endDate": end_date,
            "projectId.eq": str(project_id),
            "includeAllFields": "true",
        }
        return list(self.iter_list("resource-allocations", params))

    def get_placeholders(self, project_id: int) -> list[Record]:
        """The project's placeholders: ``{placeholder, placeholderStatus,
        user?}`` each (the live shape; empty when the project has none).
        Raises NotFound."""
        path = f"projects/{project_id}/get-placeholders"
        body = _object(self.request("POST", path))
        placeholders = body.get("placeholders")
        if placeholders is None and isinstance(body.get("data"), list):
            placeholders = body["data"]
        return list(placeholders or [])

    def list_project_updates(self, project_id: int) -> list[Record]:
        """The project's status posts, with ``content`` and ``status``."""
        params = {"project.id.eq": str(project_id), "includeAllFields": "true"}
        updates = self.iter_list("project-updates", params)
        return [u for u in updates if _project_id(u) == project_id]

    # -- the send path -----------------------------------------------------

    def iter_list(self, path: str, params: Params | None = None) -> Iterator[Record]:
        """Every record of a list endpoint, following ``nextPage``.

        ``nextPage`` is honoured for its path and query only: live it uses
        ``http://``, so it is re-rooted on ``base_url``.
        """
        query: Params = {"pageSize": str(MAX_PAGE_SIZE), **(params or {})}
        response = self.request("GET", path, params=query)
        while True:
            body = _object(response)
            yield from body.get("data", [])
            following = _next_page(body, path, query)
            if following is None:
                return
            next_path, next_query = following
            response = self.request("GET", next_path, params=next_query)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one call through every layer; the successful response.

        ``path`` is relative to ``base_url``. Raises the errors of the
        module docstring.
        """
        self._spend(method, path)
        request = self._build(method, path, params=params, json=json, timeout=timeout)
        response = self._send_once(request)
        if response.is_success:
            return response
        raise self._translate(response)

    def _build(
        self,
        method: str,
        path: str,
        *,
        params: Any,
        json: Any,
        timeout: float | None,
    ) -> httpx.Request:
        read = timeout if timeout is not None else self._timeout
        return self._http.build_request(
            method,
            path.lstrip("/"),
            params=params,
            json=json,
            headers=self._auth_headers(),
            timeout=httpx.Timeout(read, connect=DEFAULT_CONNECT_TIMEOUT_S),
        )

    def _auth_headers(self) -> dict[str, str]:
        return {"api-key": self._api_key, "accept": "application/json"}

    def _spend(self, method: str, path: str) -> None:
        """Take the call's units from the shared limiter, or check the window.

        The list bucket, the scarcer, is taken first; if the overall bucket
        then refuses, the list unit is lost, which errs on the safe side.
        """
        if self._limiter is None:
            self._respect_rate_window(method, path)
            return
        if _is_list(method, path):
            self._limiter.acquire(self._list_bucket)
        self._limiter.acquire(self._bucket)

    def _respect_rate_window(self, method: str, path: str) -> None:
        with self._lock:
            wait = self._blocked_until - self._clock()
        if wait > 0:
            logger.info(
                "Holding %s %s: rate limited for %.1f s more.", method, path, wait
            )
            raise RateLimited(
                "Rate limit window still open", retry_after=wait, system=SYSTEM
            )

    def _send_once(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as exc:
            message = f"{request.method} {request.url.path} timed out"
            raise RequestTimedOut(message, system=SYSTEM) from exc
        except httpx.TransportError as exc:
            message = f"{request.method} {request.url.path} lost: {exc}"
            raise RequestTimedOut(message, system=SYSTEM) from exc
        logger.debug(
            "%s %s answered %d in %.2f s.",
            request.method,
            request.url.path,
            response.status_code,
            time.monotonic() - started,
        )
        return response

    def _translate(self, response: httpx.Response) -> IntegrationError:
        status = response.status_code
        code, message, field = _first_error(response)
        details: dict[str, Any] = {
            "system": SYSTEM,
            "status_code": status,
            "error_code": code,
            "fields": (field,) if field else (),
        }
        error = self._classify(response, message, details)
        error.__cause__ = httpx.HTTPStatusError(
            message, request=response.request, response=response
        )
        return error

    def _classify(
        self, response: httpx.Response, message: str, details: dict[str, Any]
    ) -> IntegrationError:
        status = response.status_code
        if status == 429:
            return self._rate_limited(response, message, details)
        if status == 400 and DUPLICATE_REFERENCE_TEXT in message:
            return DuplicateReference(message, **details)
        error_class = ERRORS_BY_STATUS.get(status, ServiceUnavailable)
        return error_class(message, **details)

    def _rate_limited(
        self, response: httpx.Response, message: str, details: dict[str, Any]
    ) -> RateLimited:
        header = response.headers.get("X-Retry-After")
        retry_after = _retry_after(header, self._clock())
        if retry_after is not None:
            with self._lock:
                until = self._clock() + retry_after
                self._blocked_until = max(self._blocked_until, until)
        logger.warning("Rocketlane rate limited us; retry after %s s.", retry_after)
        self._block_everyone(header)
        return RateLimited(message, retry_after=retry_after, **details)

    def _block_everyone(self, header: str | None) -> None:
        """Hold the shared bucket until the 429's resume instant."""
        if self._limiter is None:
            return
        resume_at = _resume_at(header)
        if resume_at is None:
            resume_at = self._clock() + DEFAULT_UNSAID_BLOCK_S
        self._limiter.block_until(self._bucket, resume_at)


def _is_list(method: str, path: str) -> bool:
    """Whether the call is a list GET: a collection, not one record."""
    last = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return method.upper() == "GET" and not last.isdigit()


def _resume_at(header: str | None) -> float | None:
    """The epoch second in ``X-Retry-After`` (epoch milliseconds), or None."""
    if not header:
        return None
    try:
        return int(header.strip()) / 1000
    except ValueError:
        return None


def _retry_after(header: str | None, now: float) -> float | None:
    """Seconds until the epoch-milliseconds instant in ``X-Retry-After``."""
    resume_at = _resume_at(header)
    if resume_at is None:
        return None
    return max(resume_at - now, 0.0)


def _first_error(response: httpx.Response) -> tuple[str | None, str, str | None]:
    """errorCode, errorMessage and field of the envelope's first entry."""
    fallback = f"HTTP {response.status_code}"
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return None, response.text[:200] or fallback, None
    if not errors or not isinstance(errors[0], Mapping):
        return None, fallback, None
    first = errors[0]
    code = first.get("errorCode") or first.get("code")
    message = first.get("errorMessage") or first.get("reason") or fallback
    return code, str(message), first.get("field")


def _object(response: httpx.Response) -> Record:
    if response.status_code == 204 or not response.content:
        return {}
    body = response.json()
    if not isinstance(body, dict):
        message = f"expected a JSON object, got {type(body).__name__}"
        raise ServiceUnavailable(message, system=SYSTEM)
    return body


def _include(include_fields: Sequence[str]) -> dict[str, str]:
    return {"includeFields": ",".join(include_fields)} if include_fields else {}


def _next_page(
    body: Mapping[str, Any], path: str, query: Params
) -> tuple[str, list[tuple[str, str]]] | None:
    """Where the next page is: ``nextPage`` re-rooted, or the token."""
    pagination = body.get("pagination") or {}
    if not pagination.get("hasMore"):
        return None
    next_url = pagination.get("nextPage")
    if next_url:
        parts = urlsplit(str(next_url))
        resource = parts.path.rsplit("/1.0/", 1)[-1]
        return resource, parse_qsl(parts.query, keep_blank_values=True)
    token = pagination.get("nextPageToken")
    if not token:
        return None
    items = [(k, str(v)) for k, v in query.items() if k != "pageToken"]
    return path, [*items, ("pageToken", str(token))]


def _project_id(record: Mapping[str, Any]) -> int | None:
    project = record.get("project") or {}
    value = project.get("projectId")
    return int(value) if value is not None else None
