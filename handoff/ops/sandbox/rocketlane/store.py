"""The records of one sandbox account, and what every kind of them shares.

``WorkspaceState`` holds the stores (one dict per resource, keyed by ID),
the ID sequence, the clock, the lock and the event listeners, plus the
look-ups and record rules the resource modules have in common. The
resource modules (``projects``, ``plan``, ``templates``, ``staffing``,
``custom_fields``, ``time_entries``, ``directory``) add the operations;
``workspace.RocketlaneWorkspace`` puts them together.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from . import metrics
from .catalog import (
    COMPLETED,
    IN_PROGRESS,
    Status,
    phase_statuses,
    project_statuses,
    task_statuses,
)
from .errors import bad_request, not_found
from .people import RateCard, Template, user_ref
from .values import Record, as_int, day, project_of

__all__ = ["Event", "Listener", "WorkspaceState", "stored_or_404"]

logger = logging.getLogger(__name__)

FIRST_ID = 5_000_000_001_000
T = TypeVar("T")


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


class WorkspaceState:
    """The stores, clock and listeners of one account, and shared look-ups.

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

    def _stamps(self, actor: Record) -> Record:
        """``createdAt``/``updatedAt`` now and ``createdBy``/``updatedBy``."""
        now = self.now_ms()
        return {
            "createdAt": now,
            "updatedAt": now,
            "createdBy": actor,
            "updatedBy": actor,
        }

    def _touch(self, record: Record, actor: Record) -> None:
        record.update(updatedAt=self.now_ms(), updatedBy=actor)

    def _event(
        self,
        kind: str,
        resource: str,
        data: Record,
        actor: Record,
        before: Record | None = None,
    ) -> None:
        event = Event(kind, resource, data, actor, self.now_ms(), before)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("A webhook listener failed on %r.", event.event_type)

    # -- look-ups -----------------------------------------------------------

    def get_project(self, project_id: int) -> Record:
        """The stored project, or 404."""
        return stored_or_404(self.projects, project_id)

    def get_task(self, task_id: int) -> Record:
        """The stored task, or 404."""
        return stored_or_404(self.tasks, task_id)

    def get_phase(self, phase_id: int) -> Record:
        """The stored phase, or 404."""
        return stored_or_404(self.phases, phase_id)

    def project_view(self, project_id: int) -> Record:
        """The project with every computed property filled in."""
        with self.lock:
            project = copy.deepcopy(self.get_project(project_id))
            project.update(metrics.project_metrics(self, project))
            return project

    def all_allocations(self) -> list[Record]:
        """Seeded allocations plus those the projects' placeholders imply."""
        with self.lock:
            derived = metrics.placeholder_allocations(self)
            return [*self.allocations.values(), *derived]

    def user_by_email(self, email: str) -> Record | None:
        """The seeded user with this email, compared case-insensitively."""
        return self._find_user({"emailId": email})

    def find_company(self, name: str) -> Record | None:
        """The company with this name, compared case-insensitively."""
        wanted = name.strip().lower()
        found = [
            c for c in self.companies.values() if c["companyName"].lower() == wanted
        ]
        return found[0] if found else None

    def _find_user(self, ref: Any) -> Record | None:
        if not isinstance(ref, Mapping):
            return None
        if ref.get("userId") is not None:
            return self.users.get(as_int(ref["userId"]))
        email = str(ref.get("emailId") or ref.get("email") or "").lower()
        found = [u for u in self.users.values() if u["email"].lower() == email]
        return found[0] if found else None

    def _user_for(self, ref: Any, *, field: str = "user") -> Record:
        """The reference of the user ``ref`` names, or 400 on ``field``."""
        user = self._find_user(ref)
        if user is None:
            raise bad_request("Invalid user specified", field)
        return user_ref(user)

    def _project_ref(self, ref: Any) -> Record:
        """The project a ``{projectId}`` body names, or 400."""
        if not isinstance(ref, Mapping) or ref.get("projectId") is None:
            raise bad_request("Project is missing", "project")
        project = self.projects.get(as_int(ref["projectId"], "project"))
        if project is None:
            raise bad_request("Invalid project specified", "project")
        return project

    def _project_tasks(self, project_id: int) -> list[Record]:
        return [t for t in self.tasks.values() if project_of(t) == project_id]

    # -- rules every dated record follows -------------------------------------

    def _set_dates(self, record: Record, body: Mapping[str, Any]) -> None:
        """Copy ``startDate``/``dueDate``; the due date may not come first."""
        for key in ("startDate", "dueDate"):
            if body.get(key):
                record[key] = day(body[key], key).isoformat()
        start, due = record.get("startDate"), record.get("dueDate")
        if start and due and due < start:
            raise bad_request(
                "Due date should be on or after the start date", "dueDate"
            )

    def _enter_status(
        self, record: Record, statuses: Mapping[int, Status], previous: int | None
    ) -> None:
        """Set or clear the actual dates as the status category changes."""
        current = statuses[record["status"]["value"]]
        if previous == current.value:
            return
        today = self.today().isoformat()

        if current.category in (IN_PROGRESS, COMPLETED):
            record.setdefault("startDateActual", today)
        else:
            record.pop("startDateActual", None)

        if current.category == COMPLETED:
            record["dueDateActual"] = today
        else:
            record.pop("dueDateActual", None)


def stored_or_404(store: Mapping[int, T], record_id: int) -> T:
    """The record stored under ``record_id``, or the API's 404."""
    record = store.get(record_id)
    if record is None:
        raise not_found()
    return record
