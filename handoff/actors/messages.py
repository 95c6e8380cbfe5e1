"""Message contracts between the actors, one pydantic model per actor.

Every message is keyed by ``correlation_id``: the project's correlation key
once the project is known (``HO-…``), or the commercial parent's key
(``Opportunity:006…``) for derive. A message that does not validate is a
permanent error: it goes straight to the dead-letter queue with the reason.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

__all__ = [
    "ACTOR_MESSAGES",
    "DeadLetterReported",
    "DeriveRequested",
    "HandoffMessage",
    "MalformedMessage",
    "MilestoneChanged",
    "ProvisionRequested",
    "RevenueSyncRequested",
    "UpdateDeltaRequested",
    "parse_message",
]

_SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


class MalformedMessage(ValueError):
    """A message body that does not fit its actor's contract."""


class HandoffMessage(BaseModel):
    """What every message carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    actor: ClassVar[str]

    correlation_id: str = Field(min_length=1, max_length=120)

    def payload(self) -> dict[str, Any]:
        """The JSON-safe body put on the queue."""
        return self.model_dump(mode="json")


def _salesforce_id(value: str) -> str:
    if not _SALESFORCE_ID.match(value):
        raise ValueError(f"{value!r} is not a 15 or 18 character Salesforce ID")
    return value


SalesforceId = Annotated[str, AfterValidator(_salesforce_id)]
M = TypeVar("M", bound=HandoffMessage)


class DeriveRequested(HandoffMessage):
    """Something changed on a commercial record: re-derive its projects."""

    actor: ClassVar[str] = "derive"

    record_object: str = Field(min_length=1)
    record_id: SalesforceId
    reason: str = "change"
    event_id: str | None = None


class ProvisionRequested(HandoffMessage):
    """A Project__c needs its Rocketlane project."""

    actor: ClassVar[str] = "provision"

    project_id: SalesforceId


class UpdateDeltaRequested(HandoffMessage):
    """A Project__c changed: push what changed to Rocketlane."""

    actor: ClassVar[str] = "update_delta"

    project_id: SalesforceId
    changed_fields: tuple[str, ...] = ()


class MilestoneChanged(HandoffMessage):
    """A milestone may have changed on either side: sync the project's.

    A Rocketlane change (webhook, reconcile) names the project by
    ``rocketlane_project_id``; without ``rocketlane_task_id`` every
    milestone of the project is checked. A Salesforce change names the
    Project__c (``project_id``, which a created milestone's event carries)
    or only the Project_Milestone__c (``milestone_id``: an update's event
    carries only the changed fields, so the actor re-reads its project).
    Every ID is a hint: the actor re-reads the project's milestones.
    """

    actor: ClassVar[str] = "milestone_accept"

    rocketlane_project_id: int | None = Field(default=None, gt=0)
    rocketlane_task_id: int | None = Field(default=None, gt=0)
    project_id: SalesforceId | None = None
    milestone_id: SalesforceId | None = None
    event_id: str | None = None

    @model_validator(mode="after")
    def _names_a_project(self) -> MilestoneChanged:
        if not (self.rocketlane_project_id or self.project_id or self.milestone_id):
            raise ValueError(
                "one of rocketlane_project_id, project_id or milestone_id is needed"
            )
        return self


class RevenueSyncRequested(HandoffMessage):
    """Bring a project's delivery signals back onto its Project__c.

    ``reason`` says why (``webhook``, ``milestone``, ``reconcile``);
    ``flush`` asks for the staged write-backs of every project to be
    written (see ``handoff.actors.handlers.writeback``).
    """

    actor: ClassVar[str] = "revenue_sync"

    rocketlane_project_id: int | None = Field(default=None, gt=0)
    project_id: SalesforceId | None = None
    reason: str = "reconcile"


class DeadLetterReported(HandoffMessage):
    """A message that could not be processed, with why."""

    actor: ClassVar[str] = "dead_letter"

    message: dict[str, Any]
    error_type: str
    error: str
    attempts: int = Field(ge=0)
    trace_id: str | None = None


ACTOR_MESSAGES: dict[str, type[HandoffMessage]] = {
    model.actor: model
    for model in (
        DeriveRequested,
        ProvisionRequested,
        UpdateDeltaRequested,
        MilestoneChanged,
        RevenueSyncRequested,
        DeadLetterReported,
    )
}


def parse_message(model: type[M], payload: object) -> M:
    """Validate a queued body against its contract, or raise MalformedMessage."""
    if not isinstance(payload, dict):
        raise MalformedMessage(f"{model.actor}: the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors()
        )
        raise MalformedMessage(f"{model.actor}: {problems}") from error
