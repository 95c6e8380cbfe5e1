"""The ingress: producers' HTTP door into the queue.

POST /events/salesforce
    One Salesforce change event, a JSON array of them, or JSON lines, in the
    CometD or decoded Pub/Sub shape (see ``handoff.adapters.cdc``). Every
    event is validated before any is enqueued: a malformed one rejects the
    request with 400 and says which event and what is wrong. Answers 202
    with what each event became.
GET /healthz
    200 while the ingress can reach its broker.

When ``HANDOFF_INGRESS_TOKEN`` is set, producers must send it as a bearer
token. Each request is a span; the messages it enqueues continue its trace.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handoff.actors.producer import Producer
from handoff.adapters.cdc import ChangeEvent, InvalidChangeEvent, parse_change_event
from handoff.adapters.telemetry import current_trace_id

__all__ = ["IngressConfig", "build_ingress", "parse_events"]

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024
_tracer = trace.get_tracer("handoff.ingress")


class IngressConfig:
    """What the ingress needs beyond its producer."""

    def __init__(
        self, *, token: str | None = None, health: Callable[[], bool] | None = None
    ) -> None:
        self.token = token
        self.health = health or (lambda: True)


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

    async def healthz(request: Request) -> Response:
        healthy = config.health()
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable"},
            status_code=200 if healthy else 503,
        )

    return Starlette(
        routes=[
            Route("/events/salesforce", salesforce_events, methods=["POST"]),
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


def _check_token(request: Request, token: str | None) -> Response | None:
    if token is None:
        return None
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if hmac.compare_digest(given.encode(), token.encode()):
        return None
    return _error(401, "missing or wrong bearer token")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
