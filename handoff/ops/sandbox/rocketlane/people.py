"""Seeded, read-only records: users, companies, templates, rate cards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PlaceholderRole", "RateCard", "Template", "TemplateTask", "user_ref"]


def user_ref(user: Mapping[str, Any]) -> dict[str, Any]:
    """The nested user reference: ``emailId`` (not ``email``), names, ID."""
    ref = {"userId": user["userId"], "emailId": user["email"]}
    ref["firstName"] = user.get("firstName", "")
    if "lastName" in user:
        ref["lastName"] = user["lastName"]
    return ref


@dataclass(frozen=True)
class PlaceholderRole:
    """A role a template staffs through a project placeholder."""

    role_id: int
    role_name: str
    placeholder_name: str
    minutes_per_day: int = 240
    allocation_type: str = "SOFT"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlaceholderRole:
        """Read the admin interface's ``placeholderRoles`` entry."""
        return cls(
            role_id=int(data["roleId"]),
            role_name=str(data["roleName"]),
            placeholder_name=str(data.get("placeholderName", data["roleName"])),
            minutes_per_day=int(data.get("minutesPerDay", 240)),
            allocation_type=str(data.get("allocationType", "SOFT")),
        )


@dataclass(frozen=True)
class TemplateTask:
    """A task or milestone a template creates, offset from its phase start."""

    name: str
    start_offset_days: int = 0
    duration_days: int = 1
    effort_minutes: int | None = None
    kind: str = "TASK"
    role: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TemplateTask:
        """Read the admin interface's task entry."""
        effort = data.get("effortInMinutes")
        return cls(
            name=str(data["taskName"]),
            start_offset_days=int(data.get("startOffsetDays", 0)),
            duration_days=max(1, int(data.get("durationDays", 1))),
            effort_minutes=int(effort) if effort is not None else None,
            kind=str(data.get("type", "TASK")),
            role=data.get("role"),
        )


@dataclass(frozen=True)
class TemplatePhase:
    """A phase a template creates, offset from the project start."""

    name: str
    start_offset_days: int
    duration_days: int
    tasks: tuple[TemplateTask, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TemplatePhase:
        """Read the admin interface's phase entry."""
        return cls(
            name=str(data["phaseName"]),
            start_offset_days=int(data.get("startOffsetDays", 0)),
            duration_days=max(1, int(data.get("durationDays", 1))),
            tasks=tuple(TemplateTask.from_json(t) for t in data.get("tasks", ())),
        )


@dataclass(frozen=True)
class Template:
    """A project template: phases, tasks, milestones and placeholder roles.

    Rocketlane has no API for templates; the sandbox seeds them through its
    admin interface, and ``POST /projects`` with ``sources`` instantiates them.
    """

    template_id: int
    name: str
    phases: tuple[TemplatePhase, ...] = ()
    roles: tuple[PlaceholderRole, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Template:
        """Read the admin interface's template document."""
        return cls(
            template_id=int(data["templateId"]),
            name=str(data["templateName"]),
            phases=tuple(TemplatePhase.from_json(p) for p in data.get("phases", ())),
            roles=tuple(
                PlaceholderRole.from_json(r) for r in data.get("placeholderRoles", ())
            ),
        )

    @property
    def duration_days(self) -> int:
        """Calendar days from the first phase's start to the last one's end."""
        ends = [p.start_offset_days + p.duration_days for p in self.phases]
        return max(ends, default=1)

    def as_json(self) -> dict[str, Any]:
        """A summary for the admin state dump."""
        return {
            "templateId": self.template_id,
            "templateName": self.name,
            "durationDays": self.duration_days,
            "phases": [p.name for p in self.phases],
            "placeholderRoles": [r.role_name for r in self.roles],
        }


@dataclass(frozen=True)
class RateCard:
    """Hourly bill and cost rates per role name, in one currency."""

    rate_card_id: int
    name: str
    currency: str = "USD"
    bill_rates: Mapping[str, float] = field(default_factory=dict)
    cost_rates: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RateCard:
        """Read ``{rateCardId, rateCardName, currency, rates{role: {...}}}``."""
        rates: Mapping[str, Mapping[str, Any]] = data.get("rates", {})
        return cls(
            rate_card_id=int(data["rateCardId"]),
            name=str(data["rateCardName"]),
            currency=str(data.get("currency", "USD")),
            bill_rates={k: float(v["billRate"]) for k, v in rates.items()},
            cost_rates={
                k: float(v["costRate"]) for k, v in rates.items() if "costRate" in v
            },
        )

    def as_json(self) -> dict[str, Any]:
        """The admin state dump of this card."""
        return {
            "rateCardId": self.rate_card_id,
            "rateCardName": self.name,
            "currency": self.currency,
            "billRates": dict(self.bill_rates),
            "costRates": dict(self.cost_rates),
        }
