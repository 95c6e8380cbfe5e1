"""Change Data Capture: change events built on commit, pushed to subscribers.

Each committed change becomes one event in the CometD JSON shape::

    {"channel": "/data/OpportunityChangeEvent",
     "data": {"schema": "...",
              "payload": {"ChangeEventHeader": {...}, <fields>},
              "event": {"replayId": 17}}}

Events are kept (the last ``history``) for inspection and POSTed, one per
request, to every subscriber URL by a single background thread, so delivery
never happens inside the request that made the change and follows commit
order. A delivery that fails is retried a few times and then recorded.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import logging
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from handoff.ops.sandbox.salesforce.values import format_cdc_datetime

if TYPE_CHECKING:
    from handoff.ops.sandbox.salesforce.org import SalesforceOrg

__all__ = ["Change", "ChangeBus", "channel_for"]

logger = logging.getLogger(__name__)

Event = dict[str, Any]
SKIPPED = frozenset({"Id", "IsDeleted", "SystemModstamp"})
DEFAULT_RETRY_DELAYS_S = (0.05, 0.2, 0.5)
DEFAULT_POST_TIMEOUT_S = 5.0
GAP_TYPES = frozenset(
    {"GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW"}
)


def channel_for(sobject: str) -> str:
    """``/data/OpportunityChangeEvent`` or ``/data/Project__ChangeEvent``."""
    if sobject.endswith("__c"):
        return f"/data/{sobject[:-3]}__ChangeEvent"
    return f"/data/{sobject}ChangeEvent"


def _schema_id(sobject: str) -> str:
    digest = hashlib.sha256(sobject.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


@dataclass
class Change:
    """One record's change inside a transaction."""

    sobject: str
    record_id: str
    change_type: str
    fields: dict[str, Any] = field(default_factory=dict)
    nulled: list[str] = field(default_factory=list)

    @classmethod
    def between(
        cls,
        sobject: str,
        kind: str,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> Change:
        """The change from ``before`` (None on create) to ``after``."""
        if kind == "DELETE":
            return cls(sobject, after["Id"], kind)
        if before is None:
            values = {
                k: v for k, v in after.items() if v is not None and k not in SKIPPED
            }
            return cls(sobject, after["Id"], kind, values)
        changed = {
            k: v for k, v in after.items() if k not in SKIPPED and before.get(k) != v
        }
        changed["LastModifiedDate"] = after["LastModifiedDate"]
        nulled = [k for k, v in changed.items() if v is None]
        return cls(sobject, after["Id"], kind, changed, nulled)

    def merge(self, later: Change) -> bool:
        """Fold a later update of the same record into this change."""
        if later.record_id != self.record_id or later.change_type != "UPDATE":
            return False
        if self.change_type not in ("CREATE", "UPDATE"):
            return False
        self.fields.update(later.fields)
        if self.change_type == "CREATE":
            self.fields = {k: v for k, v in self.fields.items() if v is not None}
        else:
            self.nulled = [k for k, v in self.fields.items() if v is None]
        return True


class ChangeBus:
    """Builds events on commit, keeps recent ones, delivers them in order."""

    def __init__(
        self,
        *,
        history: int = 1000,
        retry_delays_s: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S,
    ) -> None:
        self.events: deque[Event] = deque(maxlen=history)
        self.failures: deque[dict[str, Any]] = deque(maxlen=history)
        self.delivered = 0
        self.subscribers: list[str] = []
        self.retry_delays_s = retry_delays_s
        self._replay = itertools.count(1)
        self._commit = itertools.count(11_449_587_527_037)
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    # subscribers

    def subscribe(self, url: str) -> None:
        """POST every future event to this URL."""
        with self._lock:
            if url not in self.subscribers:
                self.subscribers.append(url)

    def unsubscribe(self, url: str) -> None:
        """Stop posting to this URL."""
        with self._lock:
            if url in self.subscribers:
                self.subscribers.remove(url)

    # publishing

    def publish(
        self, changes: list[Change], *, origin: str, user_id: str, org: SalesforceOrg
    ) -> list[Event]:
        """Turn one committed transaction's changes into events and queue them."""
        if not changes:
            return []
        key = _transaction_key()
        commit = next(self._commit)
        stamp = int(org.clock().timestamp() * 1000)
        events = [
            self._event(
                change,
                origin=origin,
                user_id=user_id,
                key=key,
                sequence=n,
                commit=commit,
                stamp=stamp,
            )
            for n, change in enumerate(changes, start=1)
        ]
        for event in events:
            self._enqueue(event)
        return events

    def publish_gap(
        self,
        sobject: str,
        record_ids: list[str],
        change_type: str,
        *,
        user_id: str,
        stamp_ms: int,
    ) -> Event:
        """A header-only gap or overflow event: the subscriber must re-read."""
        if change_type not in GAP_TYPES:
            raise ValueError(f"not a gap change type: {change_type!r}")
        change = Change(sobject, "", change_type)
        ids = [] if change_type == "GAP_OVERFLOW" else list(record_ids)
        event = self._event(
            change,
            origin="",
            user_id=user_id,
            key=_transaction_key(),
            sequence=1,
            commit=next(self._commit),
            stamp=stamp_ms,
        )
        event["data"]["payload"] = {"ChangeEventHeader": {
            **event["data"]["payload"]["ChangeEventHeader"],
            "recordIds": ids,
            "changedFields": [],
            "nulledFields": [],
        }}  # fmt: skip
        self._enqueue(event)
        return event

    def _event(
        self,
        change: Change,
        *,
        origin: str,
        user_id: str,
        key: str,
        sequence: int,
        commit: int,
        stamp: int,
    ) -> Event:
        header = {
            "entityName": change.sobject,
            "recordIds": [change.record_id],
            "changeType": change.change_type,
            "changeOrigin": origin,
            "transactionKey": key,
            "sequenceNumber": sequence,
            "commitTimestamp": stamp,
            "commitNumber": commit,
            "commitUser": user_id,
            "changedFields": []
            if change.change_type == "CREATE"
            else list(change.fields),
            "nulledFields": list(change.nulled),
            "diffFields": [],
        }
        payload = {"ChangeEventHeader": header}
        payload.update({k: _cdc_value(v) for k, v in change.fields.items()})
        return {
            "channel": channel_for(change.sobject),
            "data": {
                "schema": _schema_id(change.sobject),
                "payload": payload,
                "event": {"replayId": next(self._replay)},
            },
        }

    def _enqueue(self, event: Event) -> None:
        self.events.append(event)
        with self._lock:
            if not self.subscribers:
                return
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-cdc", daemon=True
                )
                self._thread.start()
        self._queue.put(event)

    # delivery

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was delivered or given up on."""
        return self._idle.wait(timeout)

    def clear(self) -> None:
        """Forget the stored events and failures (subscribers stay)."""
        self.events.clear()
        self.failures.clear()
        self.delivered = 0

    def close(self) -> None:
        """Stop the delivery thread after what is queued."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=DEFAULT_POST_TIMEOUT_S) as client:
            while True:
                event = self._queue.get()
                if event is None:
                    return
                for url in list(self.subscribers):
                    self._deliver(client, url, event)
                if self._queue.empty():
                    self._idle.set()

    def _deliver(self, client: httpx.Client, url: str, event: Event) -> None:
        error = ""
        for delay in (0.0, *self.retry_delays_s):
            time.sleep(delay)
            try:
                response = client.post(url, json=event)
            except httpx.HTTPError as exc:
                error = repr(exc)
                continue
            if response.is_success:
                self.delivered += 1
                return
            error = f"HTTP {response.status_code}"
        replay = event["data"]["event"]["replayId"]
        logger.warning("Gave up delivering event %r to %r: %s.", replay, url, error)
        self.failures.append({"url": url, "replayId": replay, "error": error})


def _transaction_key() -> str:
    return str(uuid.uuid4())


def _cdc_value(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("+0000") and "T" in value:
        return format_cdc_datetime(value)
    return value
