"""Records only the admin interface seeds, since the API cannot create them.

Users (with internal hourly rates), companies, templates, rate cards,
project updates (status posts), explicit allocations, and the synthetic
user each API key acts as.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from . import metrics
from .catalog import UPDATE_STATUSES
from .errors import bad_request
from .people import RateCard, Template, user_ref
from .store import WorkspaceState
from .values import Record

__all__ = ["Directory"]

INTERNAL_USER_KEYS = ("hourlyCostRate", "hourlyBillRate")
DEFAULT_CAPACITY_MINUTES = 2400


class Directory(WorkspaceState):
    """Seeding of the records the real API only reads."""

    def add_user(self, data: Mapping[str, Any]) -> Record:
        """Seed a user; ``hourlyCostRate``/``hourlyBillRate`` stay internal."""
        with self.lock:
            user_id = int(data.get("userId") or self.next_id())
            user = {k: v for k, v in data.items() if k not in INTERNAL_USER_KEYS}
            user.update(userId=user_id, email=str(data["email"]))
            user.setdefault("firstName", user["email"].split("@")[0].title())
            user.setdefault("type", "TEAM_MEMBER")
            user.setdefault("status", "ACTIVE")
            user.setdefault("fields", [])
            user.setdefault("capacityInMinutes", DEFAULT_CAPACITY_MINUTES)
            user.setdefault("createdAt", self.now_ms())
            user.setdefault("updatedAt", user["createdAt"])

            self.users[user_id] = user
            self.user_rates[user_id] = (
                float(data.get("hourlyCostRate", 0)),
                float(data.get("hourlyBillRate", 0)),
            )
            return user

    def add_company(self, data: Mapping[str, Any]) -> Record:
        """Seed a company (``CUSTOMER`` unless told ``VENDOR``)."""
        with self.lock:
            company_id = int(data.get("companyId") or self.next_id())
            now = self.now_ms()
            company = {
                "companyId": company_id,
                "companyName": str(data["companyName"]),
                "companyType": str(data.get("companyType", "CUSTOMER")),
                "createdAt": now,
                "updatedAt": now,
            }
            self.companies[company_id] = company
            return company

    def add_template(self, data: Mapping[str, Any]) -> Template:
        """Seed a template from its admin JSON document."""
        template = Template.from_json(data)
        with self.lock:
            self.templates[template.template_id] = template
        return template

    def add_rate_card(self, data: Mapping[str, Any]) -> RateCard:
        """Seed a rate card from its admin JSON document."""
        card = RateCard.from_json(data)
        with self.lock:
            self.rate_cards[card.rate_card_id] = card
        return card

    def add_project_update(self, data: Mapping[str, Any]) -> Record:
        """Seed a project update (status post) on an existing project."""
        with self.lock:
            project = self.get_project(int(data["projectId"]))
            update = self._project_update(project, data)
            value = data.get("status")
            if value is not None:
                label = UPDATE_STATUSES[int(value)]
                update["status"] = {"statusId": int(value), "statusValue": label}
            self.project_updates[update["projectUpdateId"]] = update
            return update

    def _project_update(self, project: Record, data: Mapping[str, Any]) -> Record:
        update_id = int(data.get("projectUpdateId") or self.next_id())
        author = self._author(data.get("author"))
        now = self.now_ms()
        return {
            "projectUpdateId": update_id,
            "title": str(data.get("title", "Status update")),
            "project": {"projectId": project["projectId"]},
            "createdAt": now,
            "createdBy": author,
            "publishedAt": int(data.get("publishedAt", now)),
            "publishedBy": author,
            "updatedAt": now,
            "updatedBy": author,
            "autoPublished": bool(data.get("autoPublished", False)),
            "state": str(data.get("state", "PUBLISHED")),
            "private": bool(data.get("private", False)),
            "content": str(data.get("content", "")),
            "collaborators": [],
            "toUsers": [],
        }

    def _author(self, ref: Any) -> Record:
        if ref:
            return self._user_for(ref, field="author")
        members = [u for u in self.users.values() if u["type"] == "TEAM_MEMBER"]
        if not members:
            raise bad_request("Invalid user specified", "author")
        return user_ref(members[0])

    def add_allocation(self, data: Mapping[str, Any]) -> Record:
        """Seed an explicit resource allocation (the API cannot create one)."""
        with self.lock:
            project = self.get_project(int(data["projectId"]))
            member = self._user_for(data["member"]) if "member" in data else None
            allocation = metrics.allocation(
                self,
                project,
                start=str(data["startDate"]),
                end=str(data["endDate"]),
                minutes_per_day=int(data.get("minutesPerDay", 240)),
                kind=str(data.get("allocationType", "HARD")),
                member=member,
            )
            self.allocations[allocation["allocationId"]] = allocation
            return allocation

    def api_user(self, key_name: str) -> Record:
        """The synthetic user an API key acts as (``emailId`` a UUID)."""
        with self.lock:
            if key_name not in self.api_users:
                email = str(uuid.uuid5(uuid.NAMESPACE_URL, f"rocketlane:{key_name}"))
                self.api_users[key_name] = {
                    "userId": self.next_id(),
                    "emailId": email,
                    "firstName": key_name,
                }
            return dict(self.api_users[key_name])
