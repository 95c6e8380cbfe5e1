"""The sandbox's in-memory Rocketlane account.

Records are kept in their full response shape; the HTTP layer narrows them
to the requested field set. Every write goes through one re-entrant lock,
stamps ``createdBy``/``updatedBy`` with the acting API user, and tells the
listeners (the webhook dispatcher) what happened.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from . import metrics
from .catalog import (
    COMPLETED,
    CURRENCIES,
    IN_PROGRESS,
    UPDATE_STATUSES,
    Status,
    phase_statuses,
    project_statuses,
    task_statuses,
)
from .errors import bad_request, not_found
from .people import RateCard, Template, user_ref

__all__ = ["Event", "RocketlaneWorkspace"]

logger = logging.getLogger(__name__)

Record = dict[str, Any]
FIRST_ID = 5_000_000_001_000
DUPLICATE_REFERENCE = "Invalid External Reference Key specified"
PROJECT_UPDATE_KEYS = frozenset(
    [
        "projectName",
        "startDate",
        "dueDate",
        "visibility",
        "owner",
        "status",
        "fields",
        "annualizedRecurringRevenue",
        "projectFee",
        "autoAllocation",
        "budgetedHours",
        "externalReferenceId",
    ]
)
TASK_UPDATE_KEYS = frozenset(
    [
        "taskName",
        "taskDescription",
        "taskPrivateNote",
        "startDate",
        "dueDate",
        "effortInMinutes",
        "progress",
        "atRisk",
        "type",
        "fields",
        "status",
        "externalReferenceId",
        "private",
    ]
)
PHASE_UPDATE_KEYS = frozenset(
    ["phaseName", "startDate", "dueDate", "status", "private"]
)
CONTRACT_TYPES = ("FIXED_FEE", "TIME_AND_MATERIAL", "NON_BILLABLE", "SUBSCRIPTION")


@dataclass(frozen=True)
class Event:
    """A change a webhook may announce."""

    event_type: str
    resource_type: str
    data: Record
    actor: Record
    occurred_at: int
    before: Record | None = None


Listener = Callable[[Event], None]


class RocketlaneWorkspace:
    """One Rocketlane account, in memory: seeded people, built projects.

    ``clock`` returns epoch seconds; tests pass a fake one to move time.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.time, with_todo_status: bool = True
    ) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.project_statuses = project_statuses(with_todo=with_todo_status)
        self.task_statuses = task_statuses()
        self.phase_statuses = phase_statuses()
        self._listeners: list[Listener] = []
        self.reset()

    def reset(self) -> None:
        """Forget every record, seeded or built."""
        with self.lock:
            self._ids = itertools.count(FIRST_ID)
            self.users: dict[int, Record] = {}
            self.user_rates: dict[int, tuple[float, float]] = {}
            self.api_users: dict[str, Record] = {}
            self.companies: dict[int, Record] = {}
            self.templates: dict[int, Template] = {}
            self.rate_cards: dict[int, RateCard] = {}
            self.project_updates: dict[int, Record] = {}
            self.projects: dict[int, Record] = {}
            self.phases: dict[int, Record] = {}
            self.tasks: dict[int, Record] = {}
            self.fields: dict[int, Record] = {}
            self.time_entries: dict[int, Record] = {}
            self.placeholders: dict[int, Record] = {}
            self.allocations: dict[int, Record] = {}
            self.reject_duplicate_reference = True

    # -- plumbing -----------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every event, after the write committed."""
        self._listeners.append(listener)

    def next_id(self) -> int:
        """A fresh 13-digit ID, unique across every resource."""
        return next(self._ids)

    def now_ms(self) -> int:
        """The workspace clock in epoch milliseconds."""
        return int(self.clock() * 1000)

    def today(self) -> date:
        """The workspace clock's calendar date (UTC)."""
        return date.fromtimestamp(self.clock())

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("A webhook listener failed on %r.", event.event_type)

    def _event(
        self,
        kind: str,
        resource: str,
        data: Record,
        actor: Record,
        before: Record | None = None,
    ) -> None:
        event = Event(kind, resource, data, actor, self.now_ms(), before)
        self._emit(event)

    # -- seeding (admin only: the real API cannot create these) ------------

    def add_user(self, data: Mapping[str, Any]) -> Record:
        """Seed a user; ``hourlyCostRate``/``hourlyBillRate`` stay internal."""
        with self.lock:
            user_id = int(data.get("userId") or self.next_id())
            user = {
                key: value
                for key, value in data.items()
                if key not in ("hourlyCostRate", "hourlyBillRate")
            }
            user.update(userId=user_id, email=str(data["email"]))
            user.setdefault("firstName", user["email"].split("@")[0].title())
            user.setdefault("type", "TEAM_MEMBER")
            user.setdefault("status", "ACTIVE")
            user.setdefault("fields", [])
            user.setdefault("capacityInMinutes", 2400)
            user.setdefault("createdAt", self.now_ms())
            user.setdefault("updatedAt", user["createdAt"])
            self.users[user_id] = user
            rates = (
                float(data.get("hourlyCostRate", 0)),
                float(data.get("hourlyBillRate", 0)),
            )
            self.user_rates[user_id] = rates
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
            update_id = int(data.get("projectUpdateId") or self.next_id())
            author = self._author(data.get("author"))
            now = self.now_ms()
            update: Record = {
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
            value = data.get("status")
            if value is not None:
                label = UPDATE_STATUSES[int(value)]
                update["status"] = {"statusId": int(value), "statusValue": label}
            self.project_updates[update_id] = update
            return update

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
            allocation = self._allocation(
                project,
                start=str(data["startDate"]),
                end=str(data["endDate"]),
                minutes_per_day=int(data.get("minutesPerDay", 240)),
                kind=str(data.get("allocationType", "HARD")),
                member=self._user_for(data.get("member")) if "member" in data else None,
            )
            self.allocations[allocation["allocationId"]] = allocation
            return allocation

    def api_user(self, key_name: str) -> Record:
        """The synthetic user an API key acts as (``emailId`` a UUID)."""
        with self.lock:
            if key_name not in self.api_users:
                email = str(uuid.uuid5(uuid.NAMESPACE_URL, f"rocketlane:{key_name}"))
                user_id = self.next_id()
                self.api_users[key_name] = {
                    "userId": user_id,
                    "emailId": email,
                    "firstName": key_name,
                }
            return dict(self.api_users[key_name])

    # -- look-ups -----------------------------------------------------------

    def _user_for(self, ref: Any, *, field: str = "user") -> Record:
        user = self._find_user(ref)
        if user is None:
            raise bad_request("Invalid user specified", field)
        return user_ref(user)

    def _find_user(self, ref: Any) -> Record | None:
        if not isinstance(ref, Mapping):
            return None
        if ref.get("userId") is not None:
            return self.users.get(_as_int(ref["userId"]))
        email = str(ref.get("emailId") or ref.get("email") or "").lower()
        found = [u for u in self.users.values() if u["email"].lower() == email]
        return found[0] if found else None

    def user_by_email(self, email: str) -> Record | None:
        """The seeded user with this email, compared case-insensitively."""
        return self._find_user({"emailId": email})

    def get_project(self, project_id: int) -> Record:
        """The stored project, or 404."""
        project = self.projects.get(project_id)
        if project is None:
            raise not_found()
        return project

    def get_task(self, task_id: int) -> Record:
        """The stored task, or 404."""
        task = self.tasks.get(task_id)
        if task is None:
            raise not_found()
        return task

    def get_phase(self, phase_id: int) -> Record:
        """The stored phase, or 404."""
        phase = self.phases.get(phase_id)
        if phase is None:
            raise not_found()
        return phase

    def find_company(self, name: str) -> Record | None:
        """The company with this name, compared case-insensitively."""
        wanted = name.strip().lower()
        found = [
            c for c in self.companies.values() if c["companyName"].lower() == wanted
        ]
        return found[0] if found else None

    # -- projects -----------------------------------------------------------

    def project_view(self, project_id: int) -> Record:
        """The project with every computed property filled in."""
        with self.lock:
            project = copy.deepcopy(self.get_project(project_id))
            project.update(metrics.project_metrics(self, project))
            return project

    def create_project(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /projects: validate, store, instantiate templates."""
        with self.lock:
            name = _text(body.get("projectName"))
            if not name:
                raise bad_request("Project name is missing", "projectName")
            owner = self._project_owner(body.get("owner"))
            customer = self._customer(body)
            self._check_reference(body.get("externalReferenceId"), None)
            project = self._new_project(name, owner, customer, body, actor)
            self._apply_sources(project, body, owner)
            self.projects[project["projectId"]] = project
            logger.info("Created project %r (%r).", project["projectId"], name)
            view = self.project_view(project["projectId"])
        self._event("PROJECT_CREATED", "PROJECT", view, actor)
        return view

    def _project_owner(self, ref: Any) -> Record:
        if not isinstance(ref, Mapping) or not (
            ref.get("emailId") or ref.get("userId")
        ):
            raise bad_request("Project owner is missing", "projectOwner")
        user = self._find_user(ref)
        if user is None or user.get("type") != "TEAM_MEMBER":
            raise bad_request("Invalid project owner specified", "projectOwner")
        return user

    def _customer(self, body: Mapping[str, Any]) -> Record:
        ref = body.get("customer")
        if not isinstance(ref, Mapping):
            raise bad_request("Customer is missing", "customer")
        company = self._customer_by_ref(ref)
        if company is None and _truthy(body.get("autoCreateCompany")):
            company = self.add_company({"companyName": _text(ref.get("companyName"))})
        if company is None:
            raise bad_request(
                "No customer company found for provided value", "customer"
            )
        return company

    def _customer_by_ref(self, ref: Mapping[str, Any]) -> Record | None:
        if ref.get("companyId") is not None:
            return self.companies.get(_as_int(ref["companyId"]))
        name = _text(ref.get("companyName"))
        return self.find_company(name) if name else None

    def _check_reference(self, reference: Any, project_id: int | None) -> None:
        if not reference or not self.reject_duplicate_reference:
            return
        for other in self.projects.values():
            same = other.get("externalReferenceId") == reference
            if same and other["projectId"] != project_id:
                raise bad_request(DUPLICATE_REFERENCE, "externalReferenceId")

    def _new_project(
        self,
        name: str,
        owner: Record,
        customer: Record,
        body: Mapping[str, Any],
        actor: Record,
    ) -> Record:
        now = self.now_ms()
        project: Record = {
            "projectId": self.next_id(),
            "projectName": name,
            "createdAt": now,
            "updatedAt": now,
            "owner": user_ref(owner),
            "teamMembers": self._team(owner, body.get("teamMembers")),
            "status": self._project_status(body.get("status"), default=5).as_json(),
            "fields": [],
            "customer": {
                "companyId": customer["companyId"],
                "companyName": customer["companyName"],
            },
            "partnerCompanies": self._partners(body.get("partners")),
            "archived": False,
            "visibility": _choice(
                body.get("visibility", "EVERYONE"),
                ("EVERYONE", "MEMBERS"),
                "visibility",
            ),
            "createdBy": actor,
            "updatedBy": actor,
            "currency": _currency(body.get("currency", "USD")),
        }
        self._set_dates(project, body)
        self._copy_numbers(project, body)
        if body.get("fields"):
            project["fields"] = self._field_values(body["fields"], [], "PROJECT")
        if body.get("financials") is not None:
            project["financials"] = self._financials(body["financials"])
        if body.get("externalReferenceId"):
            project["externalReferenceId"] = str(body["externalReferenceId"])
        self._enter_status(project, self.project_statuses, None)
        return project

    def _team(self, owner: Record, team: Any) -> Record:
        members = [user_ref(owner)]
        customers: list[Record] = []
        team = team if isinstance(team, Mapping) else {}
        for ref in team.get("members") or ():
            user = self._user_for(ref, field="teamMembers")
            if user["userId"] not in {m["userId"] for m in members}:
                members.append(user)
        for ref in team.get("customers") or ():
            customers.append(self._user_for(ref, field="teamMembers"))
        result: Record = {"members": members, "customers": customers}
        if team.get("customerChampion"):
            result["customerChampion"] = self._user_for(
                team["customerChampion"], field="teamMembers"
            )
        return result

    def _partners(self, partners: Any) -> list[Record]:
        result = []
        for ref in partners or ():
            company = self._customer_by_ref(ref)
            if company is None:
                raise bad_request(
                    "No partner company found for provided value", "partners"
                )
            result.append(
                {
                    "companyId": company["companyId"],
                    "companyName": company["companyName"],
                }
            )
        return result

    def _project_status(self, ref: Any, *, default: int) -> Status:
        return _status(ref, self.project_statuses, default)

    def _set_dates(self, record: Record, body: Mapping[str, Any]) -> None:
        for key in ("startDate", "dueDate"):
            if body.get(key):
                record[key] = _date(body[key], key).isoformat()
        start, due = record.get("startDate"), record.get("dueDate")
        if start and due and due < start:
            raise bad_request(
                "Due date should be on or after the start date", "dueDate"
            )

    def _copy_numbers(self, project: Record, body: Mapping[str, Any]) -> None:
        for key in ("annualizedRecurringRevenue", "projectFee"):
            if body.get(key) is not None:
                project[key] = _as_int(body[key], key)
        if body.get("budgetedHours") is not None:
            hours = _as_float(body["budgetedHours"], "budgetedHours")
            if hours < 0:
                raise bad_request("Budgeted hours is negative", "budgetedHours")
            project["budgetedHours"] = round(hours, 2)
        if body.get("autoAllocation") is not None:
            project["autoAllocation"] = _truthy(body["autoAllocation"])

    def _financials(self, data: Any) -> Record:
        if not isinstance(data, Mapping):
            raise bad_request("Invalid financials specified", "financials")
        kind = _choice(data.get("contractType"), CONTRACT_TYPES, "contractType")
        result: Record = {"contractType": kind}
        if kind == "FIXED_FEE":
            fee = (data.get("fixedFeeContract") or {}).get("fixedFee")
            result["fixedFeeContract"] = {"fixedFee": _as_float(fee, "fixedFee")}
            result["revenueRecognitionType"] = "TRACKED_BY_BUDGETED_HOURS"
        if kind == "TIME_AND_MATERIAL":
            result["timeAndMaterialContract"] = self._time_and_material(
                data.get("timeAndMaterialContract") or {}
            )
        if kind == "SUBSCRIPTION":
            result["subscriptionContract"] = dict(
                data.get("subscriptionContract") or {}
            )
        return result

    def _time_and_material(self, contract: Mapping[str, Any]) -> Record:
        result: Record = {}
        card_ref = contract.get("rateCard") or {}
        if card_ref:
            card = self.rate_cards.get(_as_int(card_ref.get("rateCardId"), "rateCard"))
            if card is None:
                raise bad_request("Invalid rate card specified", "rateCard")
            result["rateCard"] = {
                "rateCardId": card.rate_card_id,
                "rateCardName": card.name,
            }
        if contract.get("projectBudget") is not None:
            result["projectBudget"] = _as_float(
                contract["projectBudget"], "projectBudget"
            )
        return result

    def _apply_sources(
        self, project: Record, body: Mapping[str, Any], owner: Record
    ) -> None:
        sources = body.get("sources") or []
        if not sources:
            return
        if not project.get("startDate"):
            raise bad_request("Start Date is missing", "startDate")
        instantiated = [self._instantiate(project, source) for source in sources]
        project["sources"] = instantiated
        last_day = max(date.fromisoformat(s["_dueDate"]) for s in instantiated)
        for source in instantiated:
            source.pop("_dueDate")
        project["dueDate"] = last_day.isoformat()
        self._assign_initial(project, body, owner)

    def _instantiate(self, project: Record, source: Mapping[str, Any]) -> Record:
        template_id = _as_int(source.get("templateId"), "sources")
        template = self.templates.get(template_id)
        if template is None:
            raise bad_request("Invalid template specified", "sources")
        start = _date(source.get("startDate") or project["startDate"], "startDate")
        prefix = _text(source.get("prefix"))
        roles = self._create_placeholders(project, template)
        for phase in template.phases:
            self._instantiate_phase(project, phase, start, prefix, roles)
        due = start + timedelta(days=template.duration_days - 1)
        entry: Record = {
            "templateId": template.template_id,
            "templateName": template.name,
            "startDate": start.isoformat(),
            "_dueDate": due.isoformat(),
        }
        if prefix:
            entry["prefix"] = prefix
        return entry

    def _create_placeholders(
        self, project: Record, template: Template
    ) -> dict[str, Record]:
        by_role: dict[str, Record] = {}
        for role in template.roles:
            placeholder: Record = {
                "placeholderId": self.next_id(),
                "placeholderName": role.placeholder_name,
                "project": {"projectId": project["projectId"]},
                "role": {"roleId": role.role_id, "roleName": role.role_name},
                "placeholderType": "NATIVE",
                "minutesPerDay": role.minutes_per_day,
                "allocationType": role.allocation_type,
                "createdAt": project["createdAt"],
                "updatedAt": project["createdAt"],
            }
            self.placeholders[placeholder["placeholderId"]] = placeholder
            by_role[role.role_name] = placeholder
        return by_role

    def _instantiate_phase(
        self,
        project: Record,
        phase: Any,
        start: date,
        prefix: str,
        roles: Mapping[str, Record],
    ) -> None:
        phase_start = start + timedelta(days=phase.start_offset_days)
        phase_due = phase_start + timedelta(days=phase.duration_days - 1)
        name = f"{prefix} {phase.name}".strip()
        record = self._store_phase(
            project, name, phase_start, phase_due, project["createdBy"]
        )
        for task in phase.tasks:
            task_start = phase_start + timedelta(days=task.start_offset_days)
            body: Record = {
                "taskName": f"{prefix} {task.name}".strip(),
                "startDate": task_start.isoformat(),
                "dueDate": (
                    task_start + timedelta(days=task.duration_days - 1)
                ).isoformat(),
                "type": task.kind,
                "phase": {"phaseId": record["phaseId"]},
            }
            if task.effort_minutes is not None:
                body["effortInMinutes"] = task.effort_minutes
            stored = self._store_task(project, body, project["createdBy"])
            placeholder = roles.get(task.role or "")
            if placeholder is not None:
                stored["assignees"]["placeholders"].append(
                    _placeholder_ref(placeholder)
                )

    def _assign_initial(
        self, project: Record, body: Mapping[str, Any], owner: Record
    ) -> None:
        if body.get("placeholders"):
            self._assign(project, body["placeholders"])
        if not _truthy(body.get("assignProjectOwner")):
            return
        for task in self._project_tasks(project["projectId"]):
            assignees = task["assignees"]
            if not assignees["members"] and not assignees["placeholders"]:
                assignees["members"].append(user_ref(owner))

    def update_project(
        self, project_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /projects/{id}: only the documented keys that were sent change."""
        with self.lock:
            before = self.project_view(project_id)
            project = self.get_project(project_id)
            changes = {k: v for k, v in body.items() if k in PROJECT_UPDATE_KEYS}
            staged = copy.deepcopy(project)
            self._apply_project_changes(staged, changes)
            self.projects[project_id] = staged
            staged["updatedAt"] = self.now_ms()
            staged["updatedBy"] = actor
            after = self.project_view(project_id)
        self._event("PROJECT_UPDATED", "PROJECT", after, actor, before)
        return after

    def _apply_project_changes(
        self, project: Record, changes: Mapping[str, Any]
    ) -> None:
        if "projectName" in changes:
            name = _text(changes["projectName"])
            if not name:
                raise bad_request("Project name is missing", "projectName")
            project["projectName"] = name
        if "owner" in changes:
            owner = self._project_owner(changes["owner"])
            project["owner"] = user_ref(owner)
            members = project["teamMembers"]["members"]
            if owner["userId"] not in {m["userId"] for m in members}:
                members.append(user_ref(owner))
        if "visibility" in changes:
            project["visibility"] = _choice(
                changes["visibility"], ("EVERYONE", "MEMBERS"), "visibility"
            )
        if "externalReferenceId" in changes:
            self._change_reference(project, changes["externalReferenceId"])
        if "fields" in changes:
            project["fields"] = self._field_values(
                changes["fields"], project["fields"], "PROJECT"
            )
        self._set_dates(project, changes)
        self._copy_numbers(project, changes)
        if "status" in changes:
            previous = project["status"]["value"]
            project["status"] = self._project_status(
                changes["status"], default=5
            ).as_json()
            self._enter_status(project, self.project_statuses, previous)

    def _change_reference(self, project: Record, reference: Any) -> None:
        if not reference:
            project.pop("externalReferenceId", None)
            return
        self._check_reference(reference, project["projectId"])
        project["externalReferenceId"] = str(reference)

    def _enter_status(
        self, record: Record, statuses: Mapping[int, Status], previous: int | None
    ) -> None:
        """Set or clear the actual dates as the status category changes."""
        status = statuses[record["status"]["value"]]
        if previous == status.value:
            return
        today = self.today().isoformat()
        if status.category in (IN_PROGRESS, COMPLETED):
            record.setdefault("startDateActual", today)
        else:
            record.pop("startDateActual", None)
        if status.category == COMPLETED:
            record["dueDateActual"] = today
        else:
            record.pop("dueDateActual", None)

    def archive_project(self, project_id: int, actor: Record) -> None:
        """POST /projects/{id}/archive: hidden from lists, ``archived:true``."""
        with self.lock:
            project = self.get_project(project_id)
            project.update(archived=True, updatedAt=self.now_ms(), updatedBy=actor)
            view = self.project_view(project_id)
        self._event("PROJECT_ARCHIVED", "PROJECT", view, actor)

    def delete_project(self, project_id: int, actor: Record) -> None:
        """DELETE /projects/{id}: the project and everything in it go."""
        with self.lock:
            view = self.project_view(project_id)
            del self.projects[project_id]
            for store in (self.phases, self.tasks, self.time_entries):
                for key in [
                    k for k, v in store.items() if _project_of(v) == project_id
                ]:
                    del store[key]
            for store in (self.placeholders, self.allocations):
                for key in [
                    k for k, v in store.items() if _project_of(v) == project_id
                ]:
                    del store[key]
        self._event("PROJECT_DELETED", "PROJECT", view, actor)

    # -- phases -------------------------------------------------------------

    def create_phase(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /phases: both dates are required."""
        with self.lock:
            name = _text(body.get("phaseName"))
            if not name:
                raise bad_request("Phase name is missing", "phaseName")
            project = self._project_ref(body.get("project"))
            if not body.get("startDate"):
                raise bad_request("Start Date is missing", "startDate")
            if not body.get("dueDate"):
                raise bad_request("Due Date is missing", "dueDate")
            start = _date(body["startDate"], "startDate")
            due = _date(body["dueDate"], "dueDate")
            if due < start:
                raise bad_request(
                    "Due date should be on or after the start date", "dueDate"
                )
            phase = self._store_phase(project, name, start, due, actor)
            if body.get("status") is not None:
                phase["status"] = _status(
                    body["status"], self.phase_statuses, 1
                ).as_json()
                self._enter_status(phase, self.phase_statuses, 1)
            if body.get("private") is not None:
                phase["private"] = _truthy(body["private"])
            view = copy.deepcopy(phase)
        self._event("PHASE_CREATED", "PHASE", view, actor)
        return view

    def _project_ref(self, ref: Any) -> Record:
        if not isinstance(ref, Mapping) or ref.get("projectId") is None:
            raise bad_request("Project is missing", "project")
        project = self.projects.get(_as_int(ref["projectId"], "project"))
        if project is None:
            raise bad_request("Invalid project specified", "project")
        return project

    def _store_phase(
        self, project: Record, name: str, start: date, due: date, actor: Record
    ) -> Record:
        now = self.now_ms()
        phase: Record = {
            "phaseId": self.next_id(),
            "phaseName": name,
            "project": _project_brief(project),
            "startDate": start.isoformat(),
            "dueDate": due.isoformat(),
            "createdAt": now,
            "updatedAt": now,
            "createdBy": actor,
            "updatedBy": actor,
            "status": self.phase_statuses[1].as_json(),
            "private": False,
        }
        self.phases[phase["phaseId"]] = phase
        return phase

    def update_phase(
        self, phase_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /phases/{id}: a partial update."""
        with self.lock:
            before = copy.deepcopy(self.get_phase(phase_id))
            phase = copy.deepcopy(before)
            changes = {k: v for k, v in body.items() if k in PHASE_UPDATE_KEYS}
            if changes.get("phaseName"):
                phase["phaseName"] = _text(changes["phaseName"])
            self._set_dates(phase, changes)
            if "private" in changes:
                phase["private"] = _truthy(changes["private"])
            if "status" in changes:
                phase["status"] = _status(
                    changes["status"], self.phase_statuses, 1
                ).as_json()
                self._enter_status(
                    phase, self.phase_statuses, before["status"]["value"]
                )
            phase.update(updatedAt=self.now_ms(), updatedBy=actor)
            self.phases[phase_id] = phase
            view = copy.deepcopy(phase)
        self._event("PHASE_UPDATED", "PHASE", view, actor, before)
        return view

    def delete_phase(self, phase_id: int, actor: Record) -> None:
        """DELETE /phases/{id}: its tasks lose their phase."""
        with self.lock:
            view = copy.deepcopy(self.get_phase(phase_id))
            del self.phases[phase_id]
            for task in self.tasks.values():
                if (task.get("phase") or {}).get("phaseId") == phase_id:
                    task.pop("phase")
        self._event("PHASE_DELETED", "PHASE", view, actor)

    # -- tasks and milestones ----------------------------------------------

    def create_task(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /tasks: a task, or a milestone with ``type: MILESTONE``."""
        with self.lock:
            if not _text(body.get("taskName")):
                raise bad_request("Task name is missing", "taskName")
            project = self._project_ref(body.get("project"))
            task = self._store_task(project, body, actor)
            self._touch_parent(task, actor)
            view = copy.deepcopy(task)
        self._event("TASK_CREATED", "TASK", view, actor)
        return view

    def _store_task(
        self, project: Record, body: Mapping[str, Any], actor: Record
    ) -> Record:
        now = self.now_ms()
        task: Record = {
            "taskId": self.next_id(),
            "taskName": _text(body.get("taskName")),
            "archived": False,
            "createdAt": now,
            "updatedAt": now,
            "createdBy": actor,
            "updatedBy": actor,
            "project": _project_brief(project),
            "status": _status(body.get("status"), self.task_statuses, 1).as_json(),
            "fields": [],
            "private": _truthy(body.get("private")),
            "type": _choice(body.get("type", "TASK"), ("TASK", "MILESTONE"), "type"),
            "assignees": {"members": [], "placeholders": []},
            "followers": {"members": []},
            "dependencies": [],
            "billable": True,
            "csatEnabled": _truthy(body.get("csatEnabled")),
        }
        self._apply_task_changes(task, body)
        self._link_task(task, project, body)
        self._enter_status(task, self.task_statuses, None)
        self.tasks[task["taskId"]] = task
        return task

    def _link_task(
        self, task: Record, project: Record, body: Mapping[str, Any]
    ) -> None:
        phase_ref = body.get("phase")
        if isinstance(phase_ref, Mapping) and phase_ref.get("phaseId") is not None:
            phase = self.phases.get(_as_int(phase_ref["phaseId"], "phase"))
            if phase is None or _project_of(phase) != project["projectId"]:
                raise bad_request("Invalid phase specified", "phase")
            task["phase"] = {
                "phaseId": phase["phaseId"],
                "phaseName": phase["phaseName"],
            }
        parent_ref = body.get("parent")
        if isinstance(parent_ref, Mapping) and parent_ref.get("taskId") is not None:
            parent = self.tasks.get(_as_int(parent_ref["taskId"], "parent"))
            if parent is None or _project_of(parent) != project["projectId"]:
                raise bad_request("Invalid parent task specified", "parent")
            task["parent"] = {
                "taskId": parent["taskId"],
                "taskName": parent["taskName"],
            }
        assignees = body.get("assignees")
        if isinstance(assignees, Mapping):
            for ref in assignees.get("members") or ():
                task["assignees"]["members"].append(
                    self._user_for(ref, field="assignees")
                )

    def _touch_parent(self, task: Record, actor: Record) -> None:
        parent_id = (task.get("parent") or {}).get("taskId")
        if parent_id in self.tasks:
            self.tasks[parent_id].update(updatedAt=self.now_ms(), updatedBy=actor)

    def _apply_task_changes(self, task: Record, changes: Mapping[str, Any]) -> None:
        if "taskName" in changes:
            name = _text(changes["taskName"])
            if not name:
                raise bad_request("Task name is missing", "taskName")
            task["taskName"] = name
        for key in ("taskDescription", "taskPrivateNote", "externalReferenceId"):
            if changes.get(key) is not None:
                task[key] = str(changes[key])
        if changes.get("effortInMinutes") is not None:
            task["effortInMinutes"] = _as_int(
                changes["effortInMinutes"], "effortInMinutes"
            )
        if changes.get("progress") is not None:
            progress = _as_int(changes["progress"], "progress")
            if not 0 <= progress <= 100:
                raise bad_request("Progress should be between 0 and 100", "progress")
            task["progress"] = progress
        if changes.get("atRisk") is not None:
            task["atRisk"] = _truthy(changes["atRisk"])
        if changes.get("fields"):
            task["fields"] = self._field_values(
                changes["fields"], task["fields"], "TASK"
            )
        self._set_dates(task, changes)

    def update_task(
        self, task_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /tasks/{id}: a partial update; a completed status stamps the date."""
        with self.lock:
            before = copy.deepcopy(self.get_task(task_id))
            task = copy.deepcopy(before)
            changes = {k: v for k, v in body.items() if k in TASK_UPDATE_KEYS}
            self._apply_task_changes(task, changes)
            if "type" in changes:
                task["type"] = _choice(changes["type"], ("TASK", "MILESTONE"), "type")
            if "private" in changes:
                task["private"] = _truthy(changes["private"])
            if "status" in changes:
                task["status"] = _status(
                    changes["status"], self.task_statuses, 1
                ).as_json()
                self._enter_status(task, self.task_statuses, before["status"]["value"])
            task.update(updatedAt=self.now_ms(), updatedBy=actor)
            self.tasks[task_id] = task
            view = copy.deepcopy(task)
        self._event("TASK_UPDATED", "TASK", view, actor, before)
        return view

    def delete_task(self, task_id: int, actor: Record) -> None:
        """DELETE /tasks/{id}: a hard delete, subtasks included."""
        with self.lock:
            view = copy.deepcopy(self.get_task(task_id))
            doomed = {task_id}
            while True:
                children = {
                    t["taskId"]
                    for t in self.tasks.values()
                    if (t.get("parent") or {}).get("taskId") in doomed
                } - doomed
                if not children:
                    break
                doomed |= children
            for key in doomed:
                del self.tasks[key]
        self._event("TASK_DELETED", "TASK", view, actor)

    def _project_tasks(self, project_id: int) -> list[Record]:
        return [t for t in self.tasks.values() if _project_of(t) == project_id]

    # -- custom fields ------------------------------------------------------

    def create_field(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /fields."""
        with self.lock:
            label = _text(body.get("fieldLabel"))
            if not label:
                raise bad_request("Field label is missing", "fieldLabel")
            now = self.now_ms()
            record: Record = {
                "fieldId": self.next_id(),
                "fieldLabel": label,
                "fieldType": _choice(body.get("fieldType"), FIELD_TYPES, "fieldType"),
                "objectType": _choice(
                    body.get("objectType"), ("PROJECT", "TASK", "USER"), "objectType"
                ),
                "enabled": body.get("enabled", True) is not False,
                "private": _truthy(body.get("private")),
                "createdAt": now,
                "updatedAt": now,
                "createdBy": actor,
                "updatedBy": actor,
                "fieldOptions": [],
            }
            if body.get("fieldDescription"):
                record["fieldDescription"] = str(body["fieldDescription"])
            if body.get("ratingScale"):
                record["ratingScale"] = str(body["ratingScale"])
            for option in body.get("fieldOptions") or ():
                self._new_option(record, option)
            self.fields[record["fieldId"]] = record
            return copy.deepcopy(record)

    def get_field(self, field_id: int) -> Record:
        """The stored custom field, or 404."""
        record = self.fields.get(field_id)
        if record is None:
            raise not_found()
        return record

    def update_field(
        self, field_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /fields/{id}: label, description, enabled, private."""
        with self.lock:
            record = self.get_field(field_id)
            for key in ("fieldLabel", "fieldDescription"):
                if body.get(key):
                    record[key] = str(body[key])
            for key in ("enabled", "private"):
                if key in body:
                    record[key] = _truthy(body[key])
            record.update(updatedAt=self.now_ms(), updatedBy=actor)
            return copy.deepcopy(record)

    def delete_field(self, field_id: int) -> None:
        """DELETE /fields/{id}."""
        with self.lock:
            self.get_field(field_id)
            del self.fields[field_id]

    def add_option(self, field_id: int, body: Mapping[str, Any]) -> Record:
        """POST /fields/{id}/add-option: the new option, numbered in order."""
        with self.lock:
            return dict(self._new_option(self.get_field(field_id), body))

    def _new_option(self, record: Record, body: Mapping[str, Any]) -> Record:
        label = _text(body.get("optionLabel"))
        if not label:
            raise bad_request("Option label is missing", "optionLabel")
        option = {
            "optionValue": len(record["fieldOptions"]) + 1,
            "optionLabel": label,
            "optionColor": _choice(
                body.get("optionColor"), OPTION_COLORS, "optionColor"
            ),
        }
        record["fieldOptions"].append(option)
        return option

    def _field_values(
        self, values: Any, current: list[Record], object_type: str
    ) -> list[Record]:
        merged = {entry["fieldId"]: entry for entry in current}
        for value in values or ():
            record = self.fields.get(_as_int(value.get("fieldId"), "fields"))
            if record is None or record["objectType"] != object_type:
                raise bad_request("Invalid field specified", "fields")
            merged[record["fieldId"]] = _field_value(record, value.get("fieldValue"))
        return list(merged.values())

    # -- time entries -------------------------------------------------------

    def create_time_entry(
        self, body: Mapping[str, Any], actor: Record, owner_email: str
    ) -> Record:
        """POST /time-entries: 1-1440 minutes on exactly one source."""
        with self.lock:
            day = _required_date(body.get("date"), "Date")
            minutes = _minutes(body.get("minutes"))
            user = self._entry_user(body.get("user"), owner_email)
            self._check_daily_total(user["userId"], day, minutes, None)
            entry = self._new_entry(day, minutes, user, body, actor)
            self.time_entries[entry["timeEntryId"]] = entry
            return copy.deepcopy(entry)

    def _entry_user(self, ref: Any, owner_email: str) -> Record:
        if ref:
            return self._user_for(ref)
        owner = self.user_by_email(owner_email) or next(iter(self.users.values()), None)
        if owner is None:
            raise bad_request("Invalid user specified", "user")
        return user_ref(owner)

    def _check_daily_total(
        self, user_id: int, day: str, minutes: int, skip: int | None
    ) -> None:
        logged = sum(
            e["minutes"]
            for e in self.time_entries.values()
            if e["user"]["userId"] == user_id
            and e["date"] == day
            and e["timeEntryId"] != skip
        )
        if logged + minutes > 1440:
            raise bad_request(
                "Total time logged for the day exceeds 24 hours", "minutes"
            )

    def _new_entry(
        self,
        day: str,
        minutes: int,
        user: Record,
        body: Mapping[str, Any],
        actor: Record,
    ) -> Record:
        now = self.now_ms()
        entry: Record = {
            "timeEntryId": self.next_id(),
            "date": day,
            "minutes": minutes,
            "billable": body.get("billable", True) is not False,
            "user": user,
            "createdAt": now,
            "updatedAt": now,
            "createdBy": actor,
            "updatedBy": actor,
            "status": "NOT_SUBMITTED",
            "deleted": False,
        }
        entry.update(self._entry_source(body))
        if body.get("notes"):
            entry["notes"] = str(body["notes"])
        entry.update(self._entry_rates(entry))
        return entry

    def _entry_source(self, body: Mapping[str, Any]) -> Record:
        given = [
            k
            for k in ("activityName", "task", "projectPhase", "project")
            if body.get(k)
        ]
        if len(given) != 1:
            raise bad_request(
                "Exactly one of activityName, task, projectPhase or project is required",
                "source",
            )
        kind = given[0]
        if kind == "activityName":
            return {"activityName": str(body["activityName"]), "sourceType": "ADHOC"}
        if kind == "task":
            task = self.tasks.get(_as_int(body["task"].get("taskId"), "task"))
            if task is None:
                raise bad_request("Invalid task specified", "task")
            source = "MILESTONE" if task["type"] == "MILESTONE" else "TASK"
            brief = {"taskId": task["taskId"], "taskName": task["taskName"]}
            return {"task": brief, "project": task["project"], "sourceType": source}
        if kind == "projectPhase":
            phase = self.phases.get(
                _as_int(body["projectPhase"].get("phaseId"), "projectPhase")
            )
            if phase is None:
                raise bad_request("Invalid phase specified", "projectPhase")
            brief = {"phaseId": phase["phaseId"], "phaseName": phase["phaseName"]}
            return {
                "projectPhase": brief,
                "project": phase["project"],
                "sourceType": "PHASE",
            }
        project = self._project_ref(body["project"])
        return {"project": _project_brief(project), "sourceType": "PROJECT"}

    def _entry_rates(self, entry: Record) -> Record:
        user_id = entry["user"]["userId"]
        cost, bill = self.user_rates.get(user_id, (0.0, 0.0))
        currency = "USD"
        project_id = (entry.get("project") or {}).get("projectId")
        card = metrics.rate_card_of(self, project_id)
        if card is not None:
            role = (self.users.get(user_id) or {}).get("role", {}).get("roleName", "")
            bill = card.bill_rates.get(role, bill)
            cost = card.cost_rates.get(role, cost)
            currency = card.currency
        return {
            "costRate": {"rate": cost, "currency": currency},
            "billRate": {"rate": bill, "currency": currency},
        }

    def get_time_entry(self, entry_id: int) -> Record:
        """The stored time entry, or 404."""
        entry = self.time_entries.get(entry_id)
        if entry is None:
            raise not_found()
        return entry

    def update_time_entry(
        self, entry_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /time-entries/{id}: minutes, notes, billable, activity."""
        with self.lock:
            entry = self.get_time_entry(entry_id)
            if body.get("minutes") is not None:
                minutes = _minutes(body["minutes"])
                self._check_daily_total(
                    entry["user"]["userId"], entry["date"], minutes, entry_id
                )
                entry["minutes"] = minutes
            if "billable" in body:
                entry["billable"] = body["billable"] is not False
            for key in ("notes", "activityName"):
                if body.get(key) is not None:
                    entry[key] = str(body[key])
            entry.update(updatedAt=self.now_ms(), updatedBy=actor)
            return copy.deepcopy(entry)

    def delete_time_entry(self, entry_id: int) -> None:
        """DELETE /time-entries/{id}."""
        with self.lock:
            self.get_time_entry(entry_id)
            del self.time_entries[entry_id]

    # -- placeholders and allocations ----------------------------------------

    def project_placeholders(self, project_id: int) -> list[Record]:
        """The placeholders the project's templates created, in ID order."""
        self.get_project(project_id)
        found = [p for p in self.placeholders.values() if _project_of(p) == project_id]
        return sorted(found, key=lambda p: p["placeholderId"])

    def placeholder_mapping(self, placeholder: Record) -> Record:
        """The ``{placeholder, placeholderStatus, user, rates}`` entry."""
        mapping: Record = {
            "placeholder": {
                "placeholderId": placeholder["placeholderId"],
                "placeholderName": placeholder["placeholderName"],
            },
            "placeholderStatus": "ASSIGNED"
            if placeholder.get("user")
            else "UNASSIGNED",
        }
        user = placeholder.get("user")
        if user:
            role = placeholder["role"]["roleName"]
            mapping["user"] = {**user, "role": role}
            mapping.update(self._placeholder_rates(placeholder, user["userId"]))
        return mapping

    def _placeholder_rates(self, placeholder: Record, user_id: int) -> Record:
        cost, bill = self.user_rates.get(user_id, (0.0, 0.0))
        currency = "USD"
        card = metrics.rate_card_of(self, _project_of(placeholder))
        if card is not None:
            role = placeholder["role"]["roleName"]
            bill = card.bill_rates.get(role, bill)
            cost = card.cost_rates.get(role, cost)
            currency = card.currency
        return {
            "hourlyCostRate": cost,
            "costRateCurrency": currency,
            "hourlyBillRate": bill,
            "billRateCurrency": currency,
        }

    def assign_placeholders(self, project_id: int, body: Any, actor: Record) -> Record:
        """POST /projects/{id}/assign-placeholders."""
        with self.lock:
            project = self.get_project(project_id)
            self._assign(project, body)
            project.update(updatedAt=self.now_ms(), updatedBy=actor)
            return self._with_placeholders(project_id)

    def _assign(self, project: Record, body: Any) -> None:
        if not isinstance(body, list):
            raise bad_request("Invalid placeholders specified", "placeholders")
        for entry in body:
            placeholder = self._placeholder_of(project, entry)
            user = self._user_for(entry.get("user"), field="user")
            placeholder["user"] = user
            members = project["teamMembers"]["members"]
            if user["userId"] not in {m["userId"] for m in members}:
                members.append(user)

    def unassign_placeholders(
        self, project_id: int, body: Any, actor: Record
    ) -> Record:
        """POST /projects/{id}/unassign-placeholders."""
        with self.lock:
            project = self.get_project(project_id)
            if not isinstance(body, list):
                raise bad_request("Invalid placeholders specified", "placeholders")
            for entry in body:
                self._placeholder_of(project, entry).pop("user", None)
            project.update(updatedAt=self.now_ms(), updatedBy=actor)
            return self._with_placeholders(project_id)

    def _placeholder_of(self, project: Record, entry: Any) -> Record:
        ref = entry.get("placeholderId") if isinstance(entry, Mapping) else None
        placeholder = self.placeholders.get(_as_int(ref, "placeholderId"))
        if placeholder is None or _project_of(placeholder) != project["projectId"]:
            raise bad_request("Invalid placeholder specified", "placeholderId")
        return placeholder

    def _with_placeholders(self, project_id: int) -> Record:
        view = self.project_view(project_id)
        view["placeholders"] = [
            self.placeholder_mapping(p) for p in self.project_placeholders(project_id)
        ]
        return view

    def _allocation(
        self,
        project: Record,
        *,
        start: str,
        end: str,
        minutes_per_day: int,
        kind: str,
        member: Record | None = None,
        placeholder: Record | None = None,
    ) -> Record:
        return metrics.allocation(
            self,
            project,
            start=start,
            end=end,
            minutes_per_day=minutes_per_day,
            kind=kind,
            member=member,
            placeholder=placeholder,
        )

    def all_allocations(self) -> list[Record]:
        """Seeded allocations plus those the projects' placeholders imply."""
        with self.lock:
            derived = metrics.placeholder_allocations(self)
            return [*self.allocations.values(), *derived]

    # -- admin --------------------------------------------------------------

    def snapshot(self) -> Record:
        """Everything stored, for the admin ``state`` endpoint."""
        with self.lock:
            return copy.deepcopy(
                {
                    "users": list(self.users.values()),
                    "apiUsers": self.api_users,
                    "companies": list(self.companies.values()),
                    "templates": [t.as_json() for t in self.templates.values()],
                    "rateCards": [c.as_json() for c in self.rate_cards.values()],
                    "projects": [self.project_view(i) for i in self.projects],
                    "phases": list(self.phases.values()),
                    "tasks": list(self.tasks.values()),
                    "fields": list(self.fields.values()),
                    "timeEntries": list(self.time_entries.values()),
                    "placeholders": list(self.placeholders.values()),
                    "projectUpdates": list(self.project_updates.values()),
                }
            )


FIELD_TYPES = [
    "TEXT",
    "MULTI_LINE_TEXT",
    "YES_OR_NO",
    "DATE",
    "SINGLE_CHOICE",
    "MULTIPLE_CHOICE",
    "SINGLE_USER",
    "MULTIPLE_USER",
    "NUMBER",
    "NOTE",
    "RATING",
]
OPTION_COLORS = [
    "RED",
    "YELLOW",
    "GREEN",
    "TEAL",
    "CYAN",
    "BLUE",
    "PURPLE",
    "MAGENTA",
    "GRAY",
    "COOL_GRAY",
]


def _project_of(record: Mapping[str, Any]) -> int | None:
    return (record.get("project") or {}).get("projectId")


def _project_brief(project: Mapping[str, Any]) -> Record:
    return {"projectId": project["projectId"], "projectName": project["projectName"]}


def _placeholder_ref(placeholder: Mapping[str, Any]) -> Record:
    return {
        "placeholderId": placeholder["placeholderId"],
        "placeholderName": placeholder["placeholderName"],
        "role": placeholder["role"],
    }


def _field_value(record: Mapping[str, Any], value: Any) -> Record:
    label = value
    options = {
        o["optionValue"]: o["optionLabel"] for o in record.get("fieldOptions", ())
    }
    if options and isinstance(value, int):
        label = options.get(value, value)
    if options and isinstance(value, list):
        label = ", ".join(str(options.get(v, v)) for v in value)
    return {
        "fieldId": record["fieldId"],
        "fieldLabel": record["fieldLabel"],
        "fieldValue": value,
        "fieldValueLabel": str(label),
    }


def _status(ref: Any, statuses: Mapping[int, Status], default: int) -> Status:
    if ref is None:
        return statuses[default]
    value = ref.get("value") if isinstance(ref, Mapping) else None
    try:
        return statuses[int(value)]  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request("Invalid status value specified", "status") from exc


def _currency(code: Any) -> Record:
    text = str(code).upper()
    if text not in CURRENCIES:
        raise bad_request("Invalid currency specified", "currency")
    name, symbol = CURRENCIES[text]
    return {"currencyCode": text, "currencyName": name, "currencySymbol": symbol}


def _choice(value: Any, allowed: tuple[str, ...] | list[str], field: str) -> str:
    text = str(value) if value is not None else ""
    if text not in allowed:
        raise bad_request(f"Invalid {field} specified", field)
    return text


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _as_int(value: Any, field: str = "id") -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid {field} specified", field) from exc


def _as_float(value: Any, field: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid {field} specified", field) from exc


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise bad_request(f"Invalid {field} specified", field) from exc


def _required_date(value: Any, label: str) -> str:
    if not value:
        raise bad_request(f"{label} is missing", label.lower())
    return _date(value, label.lower()).isoformat()


def _minutes(value: Any) -> int:
    if value is None:
        raise bad_request("Minutes is missing", "minutes")
    minutes = _as_int(value, "minutes")
    if minutes < 0:
        raise bad_request("Minutes is negative", "minutes")
    if not 1 <= minutes <= 1440:
        raise bad_request("Minutes should be between 1 and 1440", "minutes")
    return minutes
