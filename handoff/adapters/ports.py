"""The ports: what the actors need from the outside world.

Each port has a real implementation in this package (named technology plus
role, e.g. ``HttpxSalesforceClient``) and an in-memory fake under tests/ for
fast unit tests. Both honour the same contract suite.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ProjectLocks",
    "RecordResult",
    "RocketlaneClient",
    "SalesforceClient",
]

Record = dict[str, Any]


@dataclass(frozen=True)
class RecordResult:
    """The outcome of one row of a Salesforce write.

    Collections answer 200 even when rows failed, so every caller must read
    ``success`` and ``errors`` of each row.
    """

    id: str | None
    success: bool
    created: bool | None = None
    errors: tuple[Mapping[str, Any], ...] = ()


class SalesforceClient(Protocol):
    """The Salesforce REST API as Handoff uses it."""

    def query(self, soql: str) -> list[Record]:
        """All rows of a SOQL query, following nextRecordsUrl."""
        ...

    def iter_query(self, soql: str) -> Iterator[Record]:
        """Rows of a SOQL query, one page at a time."""
        ...

    def get(
        self, sobject: str, record_id: str, *, fields: Sequence[str] = ()
    ) -> Record:
        """One record by ID; raises NotFound."""
        ...

    def create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        """Create a record; returns its 18-character ID."""
        ...

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Change some fields of a record."""
        ...

    def upsert(
        self,
        sobject: str,
        external_field: str,
        external_id: str,
        fields: Mapping[str, Any],
    ) -> RecordResult:
        """Create or update the record whose external ID field has this value."""
        ...

    def upsert_many(
        self,
        sobject: str,
        external_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[RecordResult]:
        """Upsert many records of one type, 200 per call, results in input order."""
        ...

    def update_many(
        self, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Update many records (each with ``attributes.type`` and ``Id``)."""
        ...


class RocketlaneClient(Protocol):
    """The Rocketlane REST API (v1.0) as Handoff's actors use it.

    Projects for provision and update-delta; tasks, metrics and status
    posts for milestone-accept and revenue-sync.
    """

    def create_project(self, body: Mapping[str, Any]) -> Record:
        """POST /projects; returns the created project."""
        ...

    def get_project(
        self, project_id: int, *, include_fields: Sequence[str] = ()
    ) -> Record:
        """GET /projects/{id}; raises NotFound."""
        ...

    def update_project(self, project_id: int, changes: Mapping[str, Any]) -> Record:
        """PUT /projects/{id}: a partial update."""
        ...

    def find_project_by_reference(self, external_reference_id: str) -> Record | None:
        """The project carrying this externalReferenceId, or None."""
        ...

    def archive_project(self, project_id: int) -> None:
        """POST /projects/{id}/archive."""
        ...

    def get_project_metrics(self, project_id: int) -> Record:
        """The project with its delivery signals: hours, budget, progress,
        phase and financial metrics. Raises NotFound."""
        ...

    def list_tasks(
        self, project_id: int, *, milestones_only: bool = False
    ) -> list[Record]:
        """Every task of the project (or only its MILESTONE tasks), all fields."""
        ...

    def create_task(self, body: Mapping[str, Any]) -> Record:
        """POST /tasks; returns the created task. Raises InvalidRequest."""
        ...

    def update_task(self, task_id: int, changes: Mapping[str, Any]) -> Record:
        """PUT /tasks/{id}: a partial update. Raises NotFound, InvalidRequest."""
        ...

    def find_task_by_reference(
        self, project_id: int, external_reference_id: str
    ) -> Record | None:
        """The project's task carrying this externalReferenceId, or None."""
        ...

    def create_phase(self, body: Mapping[str, Any]) -> Record:
        """POST /phases; the created phase."""
        ...

    def update_phase(self, phase_id: int, changes: Mapping[str, Any]) -> Record:
        """PUT /phases/{id}: a partial update."""
        ...

    def find_phase_by_name(self, project_id: int, phase_name: str) -> Record | None:
        """The project's phase with exactly this name, or None."""
        ...

    def list_project_updates(self, project_id: int) -> list[Record]:
        """The project's status posts, newest state of each, with its status."""
        ...


class ProjectLocks(Protocol):
    """One writer per project: a lock per correlation key, across hosts."""

    def hold(self, key: str) -> AbstractContextManager[None]:
        """Hold the lock for ``key``; raises Contention if it stays taken."""
        ...
