"""Salesforce Change Data Capture events, as producers hand them to Handoff.

Two JSON shapes are accepted, both as Salesforce documents them (API v62.0):

* the CometD (Streaming API) message:
  ``{"channel": "/data/OpportunityChangeEvent", "data": {"schema": …,
  "payload": {"ChangeEventHeader": {…}, <fields>}, "event": {"replayId": N}}}``
* a decoded Pub/Sub API payload: ``{"ChangeEventHeader": {…}, <fields>}``.

Change events carry only changed fields and gap events carry none, so an
event is a hint to re-read, never the truth. ``changeOrigin`` carries the
writer's ``client=`` tag, which is how Handoff recognises its own echoes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "ChangeEvent",
    "ChangeEventHeader",
    "InvalidChangeEvent",
    "parse_change_event",
]

ChangeType = Literal[
    "CREATE",
    "UPDATE",
    "DELETE",
    "UNDELETE",
    "GAP_CREATE",
    "GAP_UPDATE",
    "GAP_DELETE",
    "GAP_UNDELETE",
    "GAP_OVERFLOW",
]
_CLIENT_TAG = re.compile(r"client=([^;\s]+)")


class InvalidChangeEvent(ValueError):
    """The input is not a change event; the message says what is wrong and where."""


class ChangeEventHeader(BaseModel):
    """The ChangeEventHeader fields Handoff relies on."""

    model_config = ConfigDict(extra="allow", frozen=True)

    entity_name: str = Field(alias="entityName", min_length=1)
    record_ids: tuple[str, ...] = Field(alias="recordIds")
    change_type: ChangeType = Field(alias="changeType")
    change_origin: str = Field(default="", alias="changeOrigin")
    transaction_key: str | None = Field(default=None, alias="transactionKey")
    sequence_number: int | None = Field(default=None, alias="sequenceNumber")
    commit_timestamp: int | None = Field(default=None, alias="commitTimestamp")
    changed_fields: tuple[str, ...] = Field(default=(), alias="changedFields")
    nulled_fields: tuple[str, ...] = Field(default=(), alias="nulledFields")

    @property
    def client_tag(self) -> str | None:
        """The ``client=`` tag of the writer, if it sent one."""
        match = _CLIENT_TAG.search(self.change_origin)
        return match.group(1).rstrip("/") if match else None

    @property
    def is_gap(self) -> bool:
        """True for gap and overflow events, which carry no field values."""
        return self.change_type.startswith("GAP_")


class ChangeEvent(BaseModel):
    """One change event: its header, the fields it carries, its replay ID."""

    model_config = ConfigDict(frozen=True)

    header: ChangeEventHeader
    fields: dict[str, Any]
    replay_id: int | None = None
    channel: str | None = None

    @property
    def event_id(self) -> str:
        """A stable identity for de-duplication."""
        header = self.header
        if header.transaction_key is not None:
            return f"{header.transaction_key}:{header.sequence_number}"
        ids = ",".join(header.record_ids)
        return f"{header.entity_name}:{ids}:{header.commit_timestamp}:{self.replay_id}"


def parse_change_event(raw: object) -> ChangeEvent:
    """Validate one event in either accepted shape.

    Raises InvalidChangeEvent naming the first thing that is wrong.
    """
    if not isinstance(raw, Mapping):
        raise InvalidChangeEvent(f"an event must be a JSON object, not {_kind(raw)}")
    channel, replay_id, payload = _unwrap(raw)
    header_raw = payload.get("ChangeEventHeader")
    if not isinstance(header_raw, Mapping):
        raise InvalidChangeEvent("missing ChangeEventHeader (is this a change event?)")
    try:
        header = ChangeEventHeader.model_validate(header_raw)
    except ValidationError as error:
        raise InvalidChangeEvent(_first_problem(error)) from error
    _check_record_ids(header)
    fields = {
        key: value for key, value in payload.items() if key != "ChangeEventHeader"
    }
    return ChangeEvent(
        header=header, fields=fields, replay_id=replay_id, channel=channel
    )


def _unwrap(raw: Mapping[str, Any]) -> tuple[str | None, int | None, Mapping[str, Any]]:
    if "data" not in raw:
        return None, None, raw
    data = raw["data"]
    if not isinstance(data, Mapping) or not isinstance(data.get("payload"), Mapping):
        raise InvalidChangeEvent("data.payload must be a JSON object")
    event = data.get("event") or {}
    replay = event.get("replayId") if isinstance(event, Mapping) else None
    if replay is not None and not isinstance(replay, int):
        raise InvalidChangeEvent("data.event.replayId must be an integer")
    channel = raw.get("channel")
    return (channel if isinstance(channel, str) else None), replay, data["payload"]


def _check_record_ids(header: ChangeEventHeader) -> None:
    if header.change_type == "GAP_OVERFLOW":
        return
    if not header.record_ids:
        raise InvalidChangeEvent("ChangeEventHeader.recordIds is empty")
    for record_id in header.record_ids:
        if len(record_id) not in (15, 18) and not record_id.endswith("*"):
            raise InvalidChangeEvent(
                f"ChangeEventHeader.recordIds: {record_id!r} is not a Salesforce ID"
            )


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"ChangeEventHeader.{where}: {problem['msg']}"


def _kind(value: object) -> str:
    return "an array" if isinstance(value, list) else type(value).__name__
