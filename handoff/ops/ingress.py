"""The ingress: producers' HTTP door into the queue.

POST /events/salesforce
    One Salesforce change event, a JSON array of them, or JSON lines, in the
    CometD or decoded Pub/Sub shape (see ``handoff.adapters.cdc``). Every
    event is validated before any is enqueued: a malformed one rejects the
    request with 400 and says which event and what is wrong. Answers 202
    with what each event became.
POST /webhooks/rocketlane, POST /webhooks/rocketlane/<secret>
    One Rocketlane webhook. Rocketlane signs nothing, so a webhook must
    carry what Rocketlane can send: HTTP Basic credentials configured on the
    webhook, or a secret path segment. Anything else is refused with 401,
    and with neither configured every webhook is refused. The envelope is
    validated, de-duplicated on ``eventId``, routed (see
    ``handoff.actors.webhooks``) and enqueued; the answer is 200 with what
    it became. Nothing calls Salesforce or Rocketlane here, so the answer
    comes well within Rocketlane's 10 s.
GET /healthz
    200 while the ingress can reach its broker.

When ``HANDOFF_INGRESS_TOKEN`` is set, producers must send it as a bearer
token. Each request is a span; the messages it enqueues continue its trace.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handoff.actors.producer import Producer
from handoff.actors.webhooks import (
    WEBHOOK_SOURCE,
    InvalidWebhook,
    RoutedWebhook,
    Webhook,
    parse_webhook,
    route_webhook,
)
from handoff.adapters.cdc import ChangeEvent, InvalidChangeEvent, parse_change_event
from handoff.adapters.store import SqlAlchemyStore
from handoff.adapters.telemetry import current_trace_id
from handoff.settings import Settings

__all__ = ["IngressConfig", "build_ingress", "parse_events"]

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_WEBHOOK_BYTES = 1024 * 1024
DEFAULT_SEEN_EVENTS = 10_000
_tracer = trace.get_tracer("handoff.ingress")


class IngressConfig:
    """What the ingress needs beyond its producer.

    ``webhook_username``/``webhook_password`` (HTTP Basic) and
    ``webhook_secret`` (the last path segment) authenticate Rocketlane
    webhooks; either suffices. ``rocketlane_api_user`` is the email or user
    ID of Handoff's Rocketlane API key: webhooks it caused are echoes.
    ``first_delivery(event_id)`` records an event and says whether it is
    new (the store's ``mark_processed``; by default a bounded in-memory
    set). ``correlation_of(project_id)`` names the correlation key of a
    Rocketlane project, or None when Handoff does not map it.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        health: Callable[[], bool] | None = None,
        webhook_username: str | None = None,
        webhook_password: str | None = None,
        webhook_secret: str | None = None,
        rocketlane_api_user: str | None = None,
        first_delivery: Callable[[str], bool] | None = None,
        correlation_of: Callable[[int], str | None] | None = None,
    ) -> None:
        self.token = token
        self.health = health or (lambda: True)
        self.webhook_username = webhook_username
        self.webhook_password = webhook_password
        self.webhook_secret = webhook_secret
        self.rocketlane_api_user = rocketlane_api_user
        self.first_delivery = first_delivery or _SeenEvents(DEFAULT_SEEN_EVENTS)
        self.correlation_of = correlation_of or _no_projects

    @property
    def accepts_webhooks(self) -> bool:
        """Whether any webhook authentication is configured."""
        basic = self.webhook_username is not None and bool(self.webhook_password)
        return basic or bool(self.webhook_secret)


class _SeenEvents:
    """The last ``size`` event IDs, for an ingress without a store."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True


def config_from_settings(settings: Settings, store: SqlAlchemyStore) -> IngressConfig:
    """The ingress configuration the settings describe, with the store for
    de-duplicating webhooks and naming their projects."""

    def correlation_of(project_id: int) -> str | None:
        mapping = store.find_mapping(rocketlane_project_id=project_id)
        return None if mapping is None else mapping.correlation_key

    api_user = settings.rocketlane_api_user_email or (
        str(settings.rocketlane_api_user_id)
        if settings.rocketlane_api_user_id
        else None
    )
    return IngressConfig(
        token=_secret(settings.ingress_token),
        webhook_username=settings.webhook_username,
        webhook_password=_secret(settings.webhook_password),
        webhook_secret=_secret(settings.webhook_secret),
        rocketlane_api_user=api_user,
        first_delivery=lambda event_id: store.mark_processed(WEBHOOK_SOURCE, event_id),
        correlation_of=correlation_of,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _no_projects(project_id: int) -> str | None:
    return None


def parse_events(body: bytes) -> list[ChangeEvent]:
    """One event, an array of events, or JSON lines; raises InvalidChangeEvent."""
    text = body.decode("utf-8", errors="strict").strip()
    if not text:
        raise InvalidChangeEvent("the body is empty")
    raw = _load(text)
    items = raw if isinstance(raw, list) else [raw]
    events = []
    for index, item in enumerate(items):
        try:
            events.append(parse_change_event(item))
        except InvalidChangeEvent as error:
            where = f"event {index}: " if len(items) > 1 else ""
            raise InvalidChangeEvent(f"{where}{error}") from error
    return events


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise InvalidChangeEvent(
                f"not JSON: {whole.msg} at line {whole.lineno}"
            ) from whole
        try:
            return [json.loads(line) for line in lines]
        except json.JSONDecodeError as error:
            raise InvalidChangeEvent(f"not JSON lines: {error.msg}") from error


def build_ingress(producer: Producer, config: IngressConfig | None = None) -> Starlette:
    """The ingress web app, enqueueing through ``producer``."""
    config = config or IngressConfig()

    async def salesforce_events(request: Request) -> Response:
        denied = _check_token(request, config.token)
        if denied is not None:
            return denied
        with _tracer.start_as_current_span(
            "POST /events/salesforce", kind=SpanKind.SERVER
        ):
            return await _accept(request, producer)

    async def rocketlane_webhook(request: Request) -> Response:
        if not _webhook_allowed(request, config):
            return _refused_webhook()
        with _tracer.start_as_current_span(
            "POST /webhooks/rocketlane", kind=SpanKind.SERVER
        ):
            return await _accept_webhook(request, producer, config)

    async def healthz(request: Request) -> Response:
        healthy = config.health()
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable"},
            status_code=200 if healthy else 503,
        )

    return Starlette(
        routes=[
            Route("/events/salesforce", salesforce_events, methods=["POST"]),
            Route("/webhooks/rocketlane", rocketlane_webhook, methods=["POST"]),
            Route(
                "/webhooks/rocketlane/{secret}", rocketlane_webhook, methods=["POST"]
            ),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def _accept(request: Request, producer: Producer) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        events = parse_events(body)
    except (InvalidChangeEvent, UnicodeDecodeError) as error:
        logger.warning("Rejected change events: %s", error)
        return _error(400, str(error))
    results = [_publish(producer, event) for event in events]
    return JSONResponse(
        {"accepted": len(events), "events": results, "traceId": current_trace_id()},
        status_code=202,
    )


def _publish(producer: Producer, event: ChangeEvent) -> dict[str, Any]:
    routed = producer.publish(event)
    return {
        "eventId": event.event_id,
        "messages": [
            {"actor": m.actor, "correlationId": m.correlation_id}
            for m in routed.messages
        ],
        "skipped": routed.skipped,
    }


async def _accept_webhook(
    request: Request, producer: Producer, config: IngressConfig
) -> Response:
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        return _error(413, f"the body is over {MAX_WEBHOOK_BYTES} bytes")
    try:
        webhook = parse_webhook(json.loads(body))
    except (InvalidWebhook, ValueError) as error:
        logger.warning("Rejected a Rocketlane webhook: %s", error)
        return _error(400, str(error))
    routed = await run_in_threadpool(_route_and_send, webhook, producer, config)
    answer = {
        "eventId": webhook.event_id,
        "messages": [
            {"actor": m.actor, "correlationId": m.correlation_id}
            for m in routed.messages
        ],
        "skipped": routed.skipped,
    }
    return JSONResponse(answer, status_code=200)


def _route_and_send(
    webhook: Webhook, producer: Producer, config: IngressConfig
) -> RoutedWebhook:
    """Route, de-duplicate and enqueue: local work only, never an API call."""
    routed = route_webhook(
        webhook,
        api_user=config.rocketlane_api_user,
        correlation_of=config.correlation_of,
    )
    if routed.messages and not config.first_delivery(webhook.event_id):
        routed = RoutedWebhook((), skipped="a repeated delivery of this event")
    for message in routed.messages:
        producer.send(message)
    if routed.skipped:
        logger.info("Skipped webhook %r: %s.", webhook.event_id, routed.skipped)
    return routed


def _webhook_allowed(request: Request, config: IngressConfig) -> bool:
    if not config.accepts_webhooks:
        logger.warning("Refused a webhook: no webhook authentication is configured.")
        return False
    secret = request.path_params.get("secret")
    if secret is not None:
        return bool(config.webhook_secret) and _same(secret, config.webhook_secret)
    given = _basic_credentials(request.headers.get("authorization", ""))
    if given is None or config.webhook_username is None:
        return False
    user, password = given
    return _same(user, config.webhook_username) & _same(
        password, config.webhook_password or ""
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def _same(given: str, expected: str | None) -> bool:
    if expected is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _refused_webhook() -> Response:
    response = _error(401, "missing or wrong webhook credentials")
    response.headers["WWW-Authenticate"] = 'Basic realm="handoff-webhooks"'
    return response


def _check_token(request: Request, token: str | None) -> Response | None:
    if token is None:
        return None
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if hmac.compare_digest(given.encode(), token.encode()):
        return None
    return _error(401, "missing or wrong bearer token")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
