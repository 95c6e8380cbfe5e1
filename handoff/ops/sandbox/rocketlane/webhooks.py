"""Webhook deliveries: one POST per event, from a background thread.

As documented, a delivery is attempted once, with a 10 s timeout, and only
200 or 204 count as success. Order is not guaranteed: with ``shuffle`` the
dispatcher shuffles whatever is queued, and ``max_delay_s`` adds a random
pause before each POST. Every attempt is recorded for inspection.
"""

from __future__ import annotations

import itertools
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import httpx

from .config import WebhookConfig
from .store import Event

__all__ = ["WebhookDispatcher", "envelope"]

logger = logging.getLogger(__name__)

Record = dict[str, Any]
QUIET_FIELDS = frozenset({"updatedAt", "updatedBy"})
IDLE_POLL_S = 0.05


def envelope(event: Event, webhook: WebhookConfig, *, triggered_at: int) -> Record:
    """The JSON body Rocketlane POSTs for ``event`` to ``webhook``."""
    body: Record = {
        "eventId": str(uuid.uuid4()),
        "resourceType": event.resource_type,
        "eventType": event.event_type,
        "version": "1.0",
        "data": {event.resource_type.lower(): event.data},
    }
    if event.event_type.endswith("_UPDATED"):
        body["changeLog"] = change_log(event.before or {}, event.data)
    body["source"] = {
        "webhook": {"webhookId": webhook.webhook_id, "webhookName": webhook.name},
        "actor": event.actor,
    }
    body["eventOccurredAt"] = event.occurred_at
    body["eventTriggeredAt"] = triggered_at
    return body


def change_log(before: Record, after: Record) -> Record:
    """``{changedFields, from, to}`` over the properties that changed."""
    keys = sorted(
        key
        for key in set(before) | set(after)
        if key not in QUIET_FIELDS and before.get(key) != after.get(key)
    )
    return {
        "changedFields": keys,
        "from": {k: before[k] for k in keys if k in before},
        "to": {k: after[k] for k in keys if k in after},
    }


class WebhookDispatcher:
    """Turns workspace events into deliveries to the configured webhooks."""

    def __init__(
        self,
        webhooks: list[WebhookConfig] | None = None,
        *,
        timeout_s: float,
        shuffle: bool = False,
        max_delay_s: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.timeout_s = timeout_s
        self.shuffle = shuffle
        self.max_delay_s = max_delay_s
        self._clock = clock
        self._ids = itertools.count(1)
        self._webhooks: list[WebhookConfig] = []
        self._queue: queue.Queue[tuple[Event, WebhookConfig]] = queue.Queue()
        self._deliveries: list[Record] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending = 0
        for webhook in webhooks or ():
            self.add(webhook)

    def add(self, webhook: WebhookConfig) -> WebhookConfig:
        """Configure one more webhook; it gets an ID if it has none."""
        with self._lock:
            if webhook.webhook_id is None:
                webhook.webhook_id = next(self._ids)
            self._webhooks.append(webhook)
        return webhook

    def clear(self) -> None:
        """Remove every webhook and forget the deliveries."""
        with self._lock:
            self._webhooks.clear()
            self._deliveries.clear()

    def webhooks(self) -> list[Record]:
        """The configured webhooks, passwords hidden."""
        with self._lock:
            found = [asdict(w) for w in self._webhooks]
        for item in found:
            item["password"] = "***" if item["password"] else None
        return found

    def deliveries(self) -> list[Record]:
        """Every attempted delivery, in the order attempted."""
        with self._lock:
            return list(self._deliveries)

    def __call__(self, event: Event) -> None:
        """Queue ``event`` for every webhook that subscribes to it."""
        with self._lock:
            targets = [w for w in self._webhooks if _wants(w, event.event_type)]
            self._pending += len(targets)
        for webhook in targets:
            self._queue.put((event, webhook))
        if targets:
            self._ensure_thread()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending == 0:
                    return True
            time.sleep(0.01)
        return False

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="rocketlane-webhooks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            if self.shuffle:
                time.sleep(IDLE_POLL_S)
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if self.shuffle:
                random.shuffle(batch)
            for event, webhook in batch:
                self._deliver(event, webhook)

    def _deliver(self, event: Event, webhook: WebhookConfig) -> None:
        if self.max_delay_s > 0:
            time.sleep(random.uniform(0, self.max_delay_s))  # noqa: S311
        body = envelope(event, webhook, triggered_at=int(self._clock() * 1000))
        record = {
            "deliveryId": str(uuid.uuid4()),
            "webhookId": webhook.webhook_id,
            "url": webhook.url,
            "eventId": body["eventId"],
            "eventType": event.event_type,
            "envelope": body,
        }
        record.update(self._post(webhook, body))
        with self._lock:
            self._deliveries.append(record)
            self._pending -= 1

    def _post(self, webhook: WebhookConfig, body: Record) -> Record:
        auth = None
        if webhook.username is not None:
            auth = httpx.BasicAuth(webhook.username, webhook.password or "")
        try:
            response = httpx.post(
                webhook.url, json=body, auth=auth, timeout=self.timeout_s
            )
        except httpx.HTTPError as exc:
            logger.warning("Webhook delivery to %r failed: %s", webhook.url, exc)
            return {"statusCode": None, "ok": False, "error": repr(exc)}
        ok = response.status_code in (200, 204)
        if not ok:
            logger.warning(
                "Webhook %r answered %d; the event is lost.",
                webhook.url,
                response.status_code,
            )
        return {"statusCode": response.status_code, "ok": ok, "error": None}


def _wants(webhook: WebhookConfig, event_type: str) -> bool:
    return not webhook.events or event_type in webhook.events
