"""Projects (``/projects``): create, partial update, archive, delete.

A create validates the owner, customer and reference, stores the project,
builds its templates and then announces PROJECT_CREATED, followed by the
PHASE_CREATED and TASK_CREATED of each phase and task the templates built.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from .catalog import Status
from .directory import Directory
from .errors import bad_request
from .people import user_ref
from .templates import Templates
from .values import (
    Record,
    as_float,
    as_int,
    choice,
    company_brief,
    currency,
    project_of,
    status,
    text,
    truthy,
)

__all__ = ["CONTRACT_TYPES", "PROJECT_UPDATE_KEYS", "Projects"]

logger = logging.getLogger(__name__)

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
CONTRACT_TYPES = ("FIXED_FEE", "TIME_AND_MATERIAL", "NON_BILLABLE", "SUBSCRIPTION")
VISIBILITIES = ("EVERYONE", "MEMBERS")
DEFAULT_PROJECT_STATUS = 5


class Projects(Templates, Directory):
    """Projects and everything that hangs off them."""

    # -- create -----------------------------------------------------------------

    def create_project(self, body: Mapping[str, Any], actor: Record) -> Record:
        """POST /projects: validate, store, instantiate templates."""
        with self.lock:
            name = text(body.get("projectName"))
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
            built = self._built_plan(project["projectId"])

        self._event("PROJECT_CREATED", "PROJECT", view, actor)
        for kind, resource, record in built:
            self._event(kind, resource, record, actor)
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
        company = self._company_by_ref(ref)
        if company is None and truthy(body.get("autoCreateCompany")):
            company = self.add_company({"companyName": text(ref.get("companyName"))})
        if company is None:
            raise bad_request(
                "No customer company found for provided value", "customer"
            )
        return company

    def _company_by_ref(self, ref: Mapping[str, Any]) -> Record | None:
        if ref.get("companyId") is not None:
            return self.companies.get(as_int(ref["companyId"]))
        name = text(ref.get("companyName"))
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
        project = self._project_record(name, owner, customer, body, actor)
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

    def _project_record(
        self,
        name: str,
        owner: Record,
        customer: Record,
        body: Mapping[str, Any],
        actor: Record,
    ) -> Record:
        """The project's properties that every create sets."""
        stamps = self._stamps(actor)
        return {
            "projectId": self.next_id(),
            "projectName": name,
            "createdAt": stamps["createdAt"],
            "updatedAt": stamps["updatedAt"],
            "owner": user_ref(owner),
            "teamMembers": self._team(owner, body.get("teamMembers")),
            "status": self._project_status(body.get("status")).as_json(),
            "fields": [],
            "customer": company_brief(customer),
            "partnerCompanies": self._partners(body.get("partners")),
            "archived": False,
            "visibility": _visibility(body.get("visibility", "EVERYONE")),
            "createdBy": actor,
            "updatedBy": actor,
            "currency": currency(body.get("currency", "USD")),
        }

    def _team(self, owner: Record, team: Any) -> Record:
        team = team if isinstance(team, Mapping) else {}
        members = [user_ref(owner)]
        for ref in team.get("members") or ():
            user = self._user_for(ref, field="teamMembers")
            if user["userId"] not in {m["userId"] for m in members}:
                members.append(user)
        customers = [
            self._user_for(ref, field="teamMembers")
            for ref in team.get("customers") or ()
        ]

        result: Record = {"members": members, "customers": customers}
        if team.get("customerChampion"):
            result["customerChampion"] = self._user_for(
                team["customerChampion"], field="teamMembers"
            )
        return result

    def _partners(self, partners: Any) -> list[Record]:
        result = []
        for ref in partners or ():
            company = self._company_by_ref(ref)
            if company is None:
                raise bad_request(
                    "No partner company found for provided value", "partners"
                )
            result.append(company_brief(company))
        return result

    def _project_status(self, ref: Any) -> Status:
        return status(ref, self.project_statuses, DEFAULT_PROJECT_STATUS)

    def _copy_numbers(self, project: Record, body: Mapping[str, Any]) -> None:
        for key in ("annualizedRecurringRevenue", "projectFee"):
            if body.get(key) is not None:
                project[key] = as_int(body[key], key)
        if body.get("budgetedHours") is not None:
            hours = as_float(body["budgetedHours"], "budgetedHours")
            if hours < 0:
                raise bad_request("Budgeted hours is negative", "budgetedHours")
            project["budgetedHours"] = round(hours, 2)
        if body.get("autoAllocation") is not None:
            project["autoAllocation"] = truthy(body["autoAllocation"])

    def _financials(self, data: Any) -> Record:
        if not isinstance(data, Mapping):
            raise bad_request("Invalid financials specified", "financials")
        kind = choice(data.get("contractType"), CONTRACT_TYPES, "contractType")
        result: Record = {"contractType": kind}
        if kind == "FIXED_FEE":
            fee = (data.get("fixedFeeContract") or {}).get("fixedFee")
            result["fixedFeeContract"] = {"fixedFee": as_float(fee, "fixedFee")}
            result["revenueRecognitionType"] = "TRACKED_BY_BUDGETED_HOURS"
        if kind == "TIME_AND_MATERIAL":
            contract = data.get("timeAndMaterialContract") or {}
            result["timeAndMaterialContract"] = self._time_and_material(contract)
        if kind == "SUBSCRIPTION":
            contract = data.get("subscriptionContract") or {}
            result["subscriptionContract"] = dict(contract)
        return result

    def _time_and_material(self, contract: Mapping[str, Any]) -> Record:
        result: Record = {}
        card_ref = contract.get("rateCard") or {}
        if card_ref:
            card = self.rate_cards.get(as_int(card_ref.get("rateCardId"), "rateCard"))
            if card is None:
                raise bad_request("Invalid rate card specified", "rateCard")
            result["rateCard"] = {
                "rateCardId": card.rate_card_id,
                "rateCardName": card.name,
            }
        if contract.get("projectBudget") is not None:
            budget = as_float(contract["projectBudget"], "projectBudget")
            result["projectBudget"] = budget
        return result

    # -- update -----------------------------------------------------------------

    def update_project(
        self, project_id: int, body: Mapping[str, Any], actor: Record
    ) -> Record:
        """PUT /projects/{id}: only the documented keys that were sent change."""
        with self.lock:
            before = self.project_view(project_id)
            changes = {k: v for k, v in body.items() if k in PROJECT_UPDATE_KEYS}
            staged = copy.deepcopy(self.get_project(project_id))
            self._apply_project_changes(staged, changes)
            self._touch(staged, actor)
            self.projects[project_id] = staged
            after = self.project_view(project_id)
        self._event("PROJECT_UPDATED", "PROJECT", after, actor, before)
        return after

    def _apply_project_changes(
        self, project: Record, changes: Mapping[str, Any]
    ) -> None:
        self._apply_project_identity(project, changes)
        if "fields" in changes:
            project["fields"] = self._field_values(
                changes["fields"], project["fields"], "PROJECT"
            )
        self._set_dates(project, changes)
        self._copy_numbers(project, changes)
        if "status" in changes:
            self._change_status(project, changes["status"])

    def _apply_project_identity(
        self, project: Record, changes: Mapping[str, Any]
    ) -> None:
        """Name, owner, visibility and external reference."""
        if "projectName" in changes:
            name = text(changes["projectName"])
            if not name:
                raise bad_request("Project name is missing", "projectName")
            project["projectName"] = name
        if "owner" in changes:
            self._change_owner(project, changes["owner"])
        if "visibility" in changes:
            project["visibility"] = _visibility(changes["visibility"])
        if "externalReferenceId" in changes:
            self._change_reference(project, changes["externalReferenceId"])

    def _change_owner(self, project: Record, ref: Any) -> None:
        owner = user_ref(self._project_owner(ref))
        project["owner"] = owner
        members = project["teamMembers"]["members"]
        if owner["userId"] not in {m["userId"] for m in members}:
            members.append(dict(owner))

    def _change_reference(self, project: Record, reference: Any) -> None:
        if not reference:
            project.pop("externalReferenceId", None)
            return
        self._check_reference(reference, project["projectId"])
        project["externalReferenceId"] = str(reference)

    def _change_status(self, project: Record, ref: Any) -> None:
        previous = project["status"]["value"]
        project["status"] = self._project_status(ref).as_json()
        self._enter_status(project, self.project_statuses, previous)

    # -- archive and delete -----------------------------------------------------

    def archive_project(self, project_id: int, actor: Record) -> None:
        """POST /projects/{id}/archive: hidden from lists, ``archived:true``."""
        with self.lock:
            project = self.get_project(project_id)
            project["archived"] = True
            self._touch(project, actor)
            view = self.project_view(project_id)
        self._event("PROJECT_ARCHIVED", "PROJECT", view, actor)

    def delete_project(self, project_id: int, actor: Record) -> None:
        """DELETE /projects/{id}: the project and everything in it go."""
        with self.lock:
            view = self.project_view(project_id)
            del self.projects[project_id]
            for store in self._project_contents():
                for key in [k for k, v in store.items() if project_of(v) == project_id]:
                    del store[key]
        self._event("PROJECT_DELETED", "PROJECT", view, actor)

    def _project_contents(self) -> tuple[dict[int, Record], ...]:
        return (
            self.phases,
            self.tasks,
            self.time_entries,
            self.placeholders,
            self.allocations,
        )


def _visibility(value: Any) -> str:
    return choice(value, VISIBILITIES, "visibility")
