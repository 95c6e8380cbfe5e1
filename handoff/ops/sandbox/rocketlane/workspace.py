"""The sandbox's in-memory Rocketlane account.

Records are kept in their full response shape; the HTTP layer narrows them
to the requested field set. Every write goes through one re-entrant lock,
stamps ``createdBy``/``updatedBy`` with the acting API user, and tells the
listeners (the webhook dispatcher) what happened, after it committed.

The operations live with their resource, one module each:

==================  =========================================================
``store``           the stores, IDs, clock, events, shared look-ups
``projects``        projects: create, update, archive, delete
``templates``       building a project's plan from its ``sources``
``plan``            phases, tasks and milestones
``staffing``        placeholders and their assignment
``custom_fields``   custom field definitions and values
``time_entries``    logged time
``directory``       what only the admin interface seeds
==================  =========================================================
"""

from __future__ import annotations

import copy

from .projects import Projects
from .store import Event, Listener
from .time_entries import TimeEntries
from .values import Record

__all__ = ["Event", "Listener", "RocketlaneWorkspace"]


class RocketlaneWorkspace(Projects, TimeEntries):
    """One Rocketlane account, in memory: seeded people, built projects.

    ``clock`` returns epoch seconds; tests pass a fake one to move time.
    """

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
