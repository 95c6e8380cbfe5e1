"""Handoff's own state, kept with SQLAlchemy 2 on SQLite or PostgreSQL.

The store holds the project mapping (one row per correlation key, unique on
both system IDs), the milestone mapping, the audit log of every write to
either system, the IDs of events already processed, the dead letters and the
forecast transitions. Each public method is one short transaction and returns
plain frozen records, never ORM objects.

SQLAlchemy exceptions are translated here, keeping the cause: a lost or
refused connection becomes ``ServiceUnavailable``, a broken uniqueness rule
``Conflict``, a stale optimistic version ``Contention``.

SQLite is the embedded default: the file is opened in WAL mode with a busy
timeout and foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so that threads and processes sharing it queue for the
write lock instead of failing mid-transaction.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from .errors import Conflict, Contention, NotFound, ServiceUnavailable
from .store_models import (
    AuditLogRow,
    Base,
    DeadLetterRow,
    MilestoneMappingRow,
    ProcessedEventRow,
    ProjectMappingRow,
    TransitionRow,
    utc_now,
)

__all__ = [
    "UNSET",
    "ActivityCounts",
    "AuditEntry",
    "DeadLetter",
    "MilestoneMapping",
    "ProjectMapping",
    "SqlAlchemyStore",
    "Transition",
    "make_sqlite_store",
    "migrate",
]

logger = logging.getLogger(__name__)
R = TypeVar("R")

SYSTEM: Final = "database"
DEFAULT_SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
DEFAULT_PAGE_SIZE: Final = 100
MIGRATIONS_PATH: Final = Path(__file__).with_name("migrations")
SUPPORTED_DIALECTS: Final = frozenset({"sqlite", "postgresql"})

CREATE_OPERATIONS: Final = frozenset({"create"})
UPDATE_OPERATIONS: Final = frozenset({"update", "upsert"})

System = Literal["salesforce", "rocketlane"]
Outcome = Literal["ok", "error"]
DeadLetterStatus = Literal["open", "replayed", "discarded"]
Json = dict[str, Any]


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET
"""Marks a keyword of an update method as "leave unchanged" (None clears)."""


# Records handed to callers.


@dataclass(frozen=True, kw_only=True)
class ProjectMapping:
    """One project's correlation key and its IDs in both systems.

    ``rocketlane_phase_id`` is set when the project is a phase of the
    Rocketlane project ``rocketlane_project_id`` (an upsell governed as
    ``new_phase``), and None when it is the whole project.
    """

    correlation_key: str
    salesforce_project_id: str | None
    rocketlane_project_id: int | None
    deal_id: str | None
    deal_object: str | None
    forecast_state: str | None
    last_pushed: Json
    status: str
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    rocketlane_phase_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class MilestoneMapping:
    """One milestone of a project, named by ``key`` within it."""

    correlation_key: str
    key: str
    salesforce_milestone_id: str | None
    rocketlane_task_id: int | None
    last_pushed: Json
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One write to Salesforce or Rocketlane, and how it went."""

    id: int
    at: datetime
    system: str
    operation: str
    record_type: str
    record_id: str | None
    correlation_key: str | None
    actor: str | None
    trace_id: str | None
    fields: Json
    outcome: str
    error: str | None
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class DeadLetter:
    """A message that will not be retried any more, kept for replay."""

    id: int
    message_id: str
    actor: str
    queue: str
    correlation_key: str | None
    message: Json
    error_type: str
    error: str
    attempts: int
    first_failed_at: datetime
    failed_at: datetime
    trace_id: str | None
    status: str
    replayed_at: datetime | None
    replay_message_id: str | None


@dataclass(frozen=True, kw_only=True)
class Transition:
    """A forecast transition the state machine accepted or refused."""

    id: int
    correlation_key: str
    from_state: str | None
    to_state: str | None
    accepted: bool
    reason: str | None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ActivityCounts:
    """What the dashboard shows for a time window.

    ``creations`` and ``updates`` count successful writes in the audit log
    (operations ``create``, and ``update`` or ``upsert``), ``failures`` every
    audited write that failed, ``dead_letters`` the messages dead-lettered.
    """

    creations: int
    updates: int
    failures: int
    dead_letters: int


# Engine set-up.


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, a busy timeout and foreign keys on every new connection."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={DEFAULT_SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    """Take SQLite's write lock up front, so a transaction never dies halfway."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _create_engine(url: str | sa.URL) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}")
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed, pool_pre_ping=True)

    engine = sa.create_engine(
        parsed, connect_args={"timeout": DEFAULT_SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    sa.event.listen(engine, "connect", _configure_sqlite_connection)
    sa.event.listen(engine, "begin", _begin_immediate)
    return engine


@contextmanager
def _database_errors(action: str) -> Iterator[None]:
    """Translate SQLAlchemy's exceptions into Handoff's, keeping the cause."""
    try:
        yield
    except sa.exc.IntegrityError as error:
        message = f"{action} broke a uniqueness or reference rule: {error.orig}"
        raise Conflict(message, system=SYSTEM) from error
    except (
        sa.exc.OperationalError,
        sa.exc.InterfaceError,
        sa.exc.DisconnectionError,
        sa.exc.TimeoutError,
    ) as error:
        raise ServiceUnavailable(f"{action} failed: {error}", system=SYSTEM) from error
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise ServiceUnavailable(f"{action} failed: {error}", system=SYSTEM) from error


# Migrations.


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.attributes["connection"] = connection
    return config


def _upgrade(engine: sa.Engine) -> None:
    with _database_errors("migrate"), engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
    logger.info("Database %r is at the newest schema.", engine.url.database)


def migrate(url: str | sa.URL) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``head``).

    Raises ServiceUnavailable when the database cannot be reached.
    """
    engine = _create_engine(url)
    try:
        _upgrade(engine)
    finally:
        engine.dispose()


# The store.


class SqlAlchemyStore:
    """Handoff's mapping, audit, de-duplication and dead-letter tables.

    Build it with ``from_url`` (a SQLite file or PostgreSQL); call
    ``migrate()`` once before use. Safe to share between threads.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str | sa.URL) -> SqlAlchemyStore:
        """A store on the database at ``url``; connects lazily.

        Raises ValueError for a database other than SQLite or PostgreSQL.
        """
        return cls(_create_engine(url))

    @property
    def engine(self) -> sa.Engine:
        """The engine underneath, for migrations and health checks."""
        return self._engine

    def migrate(self) -> None:
        """Bring the database to the newest schema; see ``migrate``."""
        _upgrade(self._engine)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    @contextmanager
    def _transaction(self, action: str) -> Iterator[Session]:
        with _database_errors(action), self._sessions.begin() as session:
            yield session

    def _insert(self, table: type[Any]) -> Any:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # Project mapping.

    def get_mapping(self, correlation_key: str) -> ProjectMapping | None:
        """The mapping of ``correlation_key``, or None when there is none.

        Raises ServiceUnavailable.
        """
        query = sa.select(ProjectMappingRow).where(
            ProjectMappingRow.correlation_key == correlation_key
        )
        with self._transaction("get_mapping") as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else _project_mapping(row)

    def find_mapping(
        self,
        *,
        salesforce_project_id: str | None = None,
        rocketlane_project_id: int | None = None,
        rocketlane_phase_id: int | None = None,
    ) -> ProjectMapping | None:
        """The mapping holding one of the system IDs, or None.

        Exactly one ID must be given (ValueError otherwise). A Rocketlane
        project ID finds the mapping of the whole project, never one of a
        phase in it. Raises ServiceUnavailable.
        """
        given = (salesforce_project_id, rocketlane_project_id, rocketlane_phase_id)
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of the project or phase IDs")
        query = sa.select(ProjectMappingRow).where(
            _identified_by(salesforce_project_id, rocketlane_project_id)
            if rocketlane_phase_id is None
            else ProjectMappingRow.rocketlane_phase_id == rocketlane_phase_id
        )

        with self._transaction("find_mapping") as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else _project_mapping(row)

    def ensure_mapping(
        self,
        correlation_key: str,
        *,
        status: str = "pending",
        salesforce_project_id: str | None = None,
        deal_id: str | None = None,
        deal_object: str | None = None,
        forecast_state: str | None = None,
    ) -> ProjectMapping:
        """The mapping of ``correlation_key``, inserted with these values if new.

        Race-safe: concurrent callers all get the one row. An existing row is
        returned unchanged. Raises Conflict when ``salesforce_project_id`` is
        mapped to another key; ServiceUnavailable.
        """
        now = utc_now()
        values: Json = {
            "correlation_key": correlation_key,
            "status": status,
            "salesforce_project_id": salesforce_project_id,
            "deal_id": deal_id,
            "deal_object": deal_object,
            "forecast_state": forecast_state,
            "last_pushed": {},
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        insert = self._insert(ProjectMappingRow).values(**values)
        insert = insert.on_conflict_do_nothing(index_elements=["correlation_key"])
        insert = insert.returning(ProjectMappingRow.id)

        with self._transaction("ensure_mapping") as session:
            if session.execute(insert).scalar_one_or_none() is not None:
                logger.info("Mapped new project %r.", correlation_key)
            return _project_mapping(_lock_mapping(session, correlation_key))

    def update_mapping(
        self,
        correlation_key: str,
        *,
        expected_version: int | None = None,
        salesforce_project_id: str | _Unset | None = UNSET,
        deal_id: str | _Unset | None = UNSET,
        deal_object: str | _Unset | None = UNSET,
        forecast_state: str | _Unset | None = UNSET,
        last_pushed: Json | _Unset = UNSET,
        status: str | _Unset = UNSET,
        last_error: str | _Unset | None = UNSET,
    ) -> ProjectMapping:
        """Change some fields of a mapping and bump its ``version``.

        The row is locked for the transaction (``SELECT … FOR UPDATE`` on
        PostgreSQL). With ``expected_version``, a row changed since it was
        read raises Contention: re-read and try again. Raises NotFound for an
        unknown key, Conflict when ``salesforce_project_id`` belongs to
        another mapping, ServiceUnavailable.
        """
        changes = _given(
            salesforce_project_id=salesforce_project_id,
            deal_id=deal_id,
            deal_object=deal_object,
            forecast_state=forecast_state,
            last_pushed=last_pushed,
            status=status,
            last_error=last_error,
        )
        with self._transaction("update_mapping") as session:
            row = _lock_mapping(session, correlation_key)
            _check_version(row, expected_version)
            _apply(row, changes)
            session.flush()
            return _project_mapping(row)

    def set_rocketlane_project(
        self, correlation_key: str, rocketlane_project_id: int
    ) -> ProjectMapping:
        """Record the Rocketlane project created for ``correlation_key``.

        Idempotent for the same pair. Raises Conflict when the key already
        maps to another Rocketlane project, or the project to another key;
        NotFound for an unknown key; ServiceUnavailable.
        """
        with self._transaction("set_rocketlane_project") as session:
            row = _lock_mapping(session, correlation_key)
            if row.rocketlane_phase_id is not None:
                raise Conflict(
                    f"{correlation_key!r} maps to phase {row.rocketlane_phase_id} "
                    f"of Rocketlane project {row.rocketlane_project_id}",
                    system=SYSTEM,
                )
            if row.rocketlane_project_id == rocketlane_project_id:
                return _project_mapping(row)
            if row.rocketlane_project_id is not None:
                raise Conflict(
                    f"{correlation_key!r} already maps to Rocketlane project "
                    f"{row.rocketlane_project_id}, not {rocketlane_project_id}",
                    system=SYSTEM,
                )

            _refuse_taken_project(session, rocketlane_project_id)
            _apply(row, {"rocketlane_project_id": rocketlane_project_id})
            session.flush()
            return _project_mapping(row)

    def set_rocketlane_phase(
        self, correlation_key: str, rocketlane_project_id: int, rocketlane_phase_id: int
    ) -> ProjectMapping:
        """Record the phase of a Rocketlane project made for ``correlation_key``.

        Several mappings may share a Rocketlane project this way, each with
        its own phase. Idempotent for the same project and phase. Raises
        Conflict when the key already maps to another project or phase (or
        to a whole project), or the phase to another key; NotFound for an
        unknown key; ServiceUnavailable.
        """
        wanted = (rocketlane_project_id, rocketlane_phase_id)
        with self._transaction("set_rocketlane_phase") as session:
            row = _lock_mapping(session, correlation_key)
            held = (row.rocketlane_project_id, row.rocketlane_phase_id)
            if held == wanted:
                return _project_mapping(row)
            if held != (None, None):
                raise Conflict(
                    f"{correlation_key!r} already maps to Rocketlane project "
                    f"{held[0]} phase {held[1]}, not phase {rocketlane_phase_id}",
                    system=SYSTEM,
                )

            _refuse_taken_phase(session, rocketlane_phase_id)
            _apply(
                row,
                {
                    "rocketlane_project_id": rocketlane_project_id,
                    "rocketlane_phase_id": rocketlane_phase_id,
                },
            )
            session.flush()
            return _project_mapping(row)

    def list_mappings(
        self,
        *,
        status: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> list[ProjectMapping]:
        """Mappings in creation order, optionally of one status.

        Raises ServiceUnavailable.
        """
        query = sa.select(ProjectMappingRow).order_by(ProjectMappingRow.id)
        if status is not None:
            query = query.where(ProjectMappingRow.status == status)
        query = query.limit(limit).offset(offset)

        with self._transaction("list_mappings") as session:
            return [_project_mapping(row) for row in session.scalars(query)]

    def mappings_by_status(self) -> dict[str, int]:
        """How many mappings are in each status. Raises ServiceUnavailable."""
        status = ProjectMappingRow.status
        query = sa.select(status, sa.func.count()).group_by(status)
        with self._transaction("mappings_by_status") as session:
            return {name: count for name, count in session.execute(query)}

    # Milestone mapping.

    def get_milestone(self, correlation_key: str, key: str) -> MilestoneMapping | None:
        """The milestone ``key`` of a project, or None. Raises ServiceUnavailable."""
        with self._transaction("get_milestone") as session:
            row = _milestone_row(session, correlation_key, key)
            return None if row is None else _milestone_mapping(row)

    def find_milestone(
        self,
        *,
        salesforce_milestone_id: str | None = None,
        rocketlane_task_id: int | None = None,
    ) -> MilestoneMapping | None:
        """The milestone holding one of the system IDs, or None.

        Exactly one of the two IDs must be given (ValueError otherwise).
        Raises ServiceUnavailable.
        """
        if (salesforce_milestone_id is None) == (rocketlane_task_id is None):
            raise ValueError("give exactly one of the two milestone IDs")
        condition = (
            MilestoneMappingRow.salesforce_milestone_id == salesforce_milestone_id
            if rocketlane_task_id is None
            else MilestoneMappingRow.rocketlane_task_id == rocketlane_task_id
        )
        query = sa.select(MilestoneMappingRow).where(condition)

        with self._transaction("find_milestone") as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else _milestone_mapping(row)

    def list_milestones(self, correlation_key: str) -> list[MilestoneMapping]:
        """The milestones of a project, by key. Raises ServiceUnavailable."""
        query = (
            sa.select(MilestoneMappingRow)
            .where(MilestoneMappingRow.correlation_key == correlation_key)
            .order_by(MilestoneMappingRow.key)
        )
        with self._transaction("list_milestones") as session:
            return [_milestone_mapping(row) for row in session.scalars(query)]

    def ensure_milestone(
        self,
        correlation_key: str,
        key: str,
        *,
        salesforce_milestone_id: str | None = None,
        rocketlane_task_id: int | None = None,
    ) -> MilestoneMapping:
        """The milestone ``key`` of a project, inserted with these IDs if new.

        Race-safe; an existing row is returned unchanged. Raises NotFound when
        the project is not mapped, Conflict when an ID belongs to another
        milestone, ServiceUnavailable.
        """
        now = utc_now()
        insert = self._insert(MilestoneMappingRow).values(
            correlation_key=correlation_key,
            key=key,
            salesforce_milestone_id=salesforce_milestone_id,
            rocketlane_task_id=rocketlane_task_id,
            last_pushed={},
            created_at=now,
            updated_at=now,
        )
        insert = insert.on_conflict_do_nothing(
            index_elements=["correlation_key", "key"]
        )

        with self._transaction("ensure_milestone") as session:
            _lock_mapping(session, correlation_key)
            session.execute(insert)
            row = _milestone_row(session, correlation_key, key)
            assert row is not None, "the milestone was just inserted"
            return _milestone_mapping(row)

    def update_milestone(
        self,
        correlation_key: str,
        key: str,
        *,
        salesforce_milestone_id: str | _Unset | None = UNSET,
        rocketlane_task_id: int | _Unset | None = UNSET,
        last_pushed: Json | _Unset = UNSET,
    ) -> MilestoneMapping:
        """Change some fields of a milestone mapping.

        Raises NotFound for an unknown milestone, Conflict when an ID belongs
        to another milestone, ServiceUnavailable.
        """
        changes = _given(
            salesforce_milestone_id=salesforce_milestone_id,
            rocketlane_task_id=rocketlane_task_id,
            last_pushed=last_pushed,
        )
        with self._transaction("update_milestone") as session:
            row = _milestone_row(session, correlation_key, key, lock=True)
            if row is None:
                raise NotFound(
                    f"no milestone {key!r} for {correlation_key!r}", system=SYSTEM
                )
            _apply(row, changes)
            session.flush()
            return _milestone_mapping(row)

    # Audit log.

    def record_audit(
        self,
        *,
        system: System,
        operation: str,
        record_type: str,
        record_id: str | None = None,
        correlation_key: str | None = None,
        actor: str | None = None,
        trace_id: str | None = None,
        fields: Mapping[str, Any] | None = None,
        outcome: Outcome = "ok",
        error: str | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one write to the audit log.

        ``operation`` is ``create``, ``update``, ``upsert``, ``delete`` or
        another verb; the dashboard counts the first three. ``fields`` must be
        JSON-serialisable. Raises ServiceUnavailable.
        """
        row = AuditLogRow(
            at=at or utc_now(),
            system=system,
            operation=operation,
            record_type=record_type,
            record_id=record_id,
            correlation_key=correlation_key,
            actor=actor,
            trace_id=trace_id,
            fields=dict(fields or {}),
            outcome=outcome,
            error=error,
            reason=reason,
        )
        with self._transaction("record_audit") as session:
            session.add(row)
            session.flush()
            return _audit_entry(row)

    def list_audit(
        self,
        *,
        correlation_key: str | None = None,
        system: System | None = None,
        since: datetime | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> list[AuditEntry]:
        """Audit entries, oldest first. Raises ServiceUnavailable."""
        query = sa.select(AuditLogRow).order_by(AuditLogRow.id).limit(limit)
        if correlation_key is not None:
            query = query.where(AuditLogRow.correlation_key == correlation_key)
        if system is not None:
            query = query.where(AuditLogRow.system == system)
        if since is not None:
            query = query.where(AuditLogRow.at >= since)

        with self._transaction("list_audit") as session:
            return [_audit_entry(row) for row in session.scalars(query)]

    def activity(
        self, *, since: datetime, until: datetime | None = None
    ) -> ActivityCounts:
        """Creations, updates, failures and dead letters in ``[since, until)``.

        Raises ServiceUnavailable.
        """
        until = until or utc_now()
        audit = sa.select(AuditLogRow.operation, AuditLogRow.outcome, sa.func.count())
        audit = audit.where(AuditLogRow.at >= since, AuditLogRow.at < until)
        audit = audit.group_by(AuditLogRow.operation, AuditLogRow.outcome)
        dead = sa.select(sa.func.count()).select_from(DeadLetterRow)
        dead = dead.where(
            DeadLetterRow.failed_at >= since, DeadLetterRow.failed_at < until
        )

        with self._transaction("activity") as session:
            tallies = [(op, outcome, n) for op, outcome, n in session.execute(audit)]
            dead_letters = session.execute(dead).scalar_one()
        return _activity(tallies, dead_letters)

    # De-duplication.

    def mark_processed(
        self, source: str, event_id: str, *, received_at: datetime | None = None
    ) -> bool:
        """Record an event as processed; False when it already was.

        Atomic: of concurrent callers with the same ``(source, event_id)``,
        exactly one gets True. Raises ServiceUnavailable.
        """
        insert = self._insert(ProcessedEventRow).values(
            source=source, event_id=event_id, received_at=received_at or utc_now()
        )
        insert = insert.on_conflict_do_nothing(index_elements=["source", "event_id"])
        insert = insert.returning(ProcessedEventRow.id)
        with self._transaction("mark_processed") as session:
            return session.execute(insert).scalar_one_or_none() is not None

    def forget_processed(self, *, before: datetime) -> int:
        """Delete the de-duplication rows received before ``before``.

        Returns how many were deleted. Raises ServiceUnavailable.
        """
        delete = (
            sa.delete(ProcessedEventRow)
            .where(ProcessedEventRow.received_at < before)
            .returning(ProcessedEventRow.id)
        )
        with self._transaction("forget_processed") as session:
            return len(session.scalars(delete).all())

    # Dead letters.

    def record_dead_letter(
        self,
        *,
        message_id: str,
        actor: str,
        queue: str,
        message: Mapping[str, Any],
        error_type: str,
        error: str,
        attempts: int = 0,
        correlation_key: str | None = None,
        trace_id: str | None = None,
        failed_at: datetime | None = None,
    ) -> DeadLetter:
        """Keep a message that will not be retried, as an open dead letter.

        ``message`` is the whole Dramatiq message as a dict. Recording the
        same ``message_id`` again (a redelivery) updates the error, attempts
        and ``failed_at`` of the one row. Raises ServiceUnavailable.
        """
        at = failed_at or utc_now()
        insert = self._insert(DeadLetterRow).values(
            message_id=message_id,
            actor=actor,
            queue=queue,
            correlation_key=correlation_key,
            message=dict(message),
            error_type=error_type,
            error=error,
            attempts=attempts,
            first_failed_at=at,
            failed_at=at,
            trace_id=trace_id,
            status="open",
        )
        insert = insert.on_conflict_do_update(
            index_elements=["message_id"],
            set_={
                name: insert.excluded[name]
                for name in ("error_type", "error", "attempts", "failed_at", "trace_id")
            },
        )

        with self._transaction("record_dead_letter") as session:
            session.execute(insert)
            row = session.scalars(
                sa.select(DeadLetterRow).where(DeadLetterRow.message_id == message_id)
            ).one()
            logger.warning("Dead-lettered message %r of %r.", message_id, actor)
            return _dead_letter(row)

    def list_dead_letters(
        self,
        *,
        status: DeadLetterStatus | None = None,
        correlation_key: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first. Raises ServiceUnavailable."""
        query = sa.select(DeadLetterRow).order_by(DeadLetterRow.id)
        if status is not None:
            query = query.where(DeadLetterRow.status == status)
        if correlation_key is not None:
            query = query.where(DeadLetterRow.correlation_key == correlation_key)
        query = query.limit(limit).offset(offset)

        with self._transaction("list_dead_letters") as session:
            return [_dead_letter(row) for row in session.scalars(query)]

    def get_dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """One dead letter. Raises NotFound, ServiceUnavailable."""
        with self._transaction("get_dead_letter") as session:
            return _dead_letter(_dead_letter_row(session, dead_letter_id))

    def mark_dead_letter_replayed(
        self, dead_letter_id: int, new_message_id: str, *, at: datetime | None = None
    ) -> DeadLetter:
        """Close an open dead letter as replayed under ``new_message_id``.

        Raises NotFound, Conflict when it is not open, ServiceUnavailable.
        """
        with self._transaction("mark_dead_letter_replayed") as session:
            row = _open_dead_letter_row(session, dead_letter_id)
            row.status = "replayed"
            row.replayed_at = at or utc_now()
            row.replay_message_id = new_message_id
            session.flush()
            return _dead_letter(row)

    def discard_dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """Close an open dead letter without replaying it.

        Raises NotFound, Conflict when it is not open, ServiceUnavailable.
        """
        with self._transaction("discard_dead_letter") as session:
            row = _open_dead_letter_row(session, dead_letter_id)
            row.status = "discarded"
            session.flush()
            return _dead_letter(row)

    # Forecast transitions.

    def record_transition(
        self,
        correlation_key: str,
        *,
        from_state: str | None,
        to_state: str | None,
        accepted: bool,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Transition:
        """Append a forecast transition and whether it was accepted.

        Raises ServiceUnavailable.
        """
        row = TransitionRow(
            correlation_key=correlation_key,
            from_state=from_state,
            to_state=to_state,
            accepted=accepted,
            reason=reason,
            at=at or utc_now(),
        )
        with self._transaction("record_transition") as session:
            session.add(row)
            session.flush()
            return _transition(row)

    def list_transitions(self, correlation_key: str) -> list[Transition]:
        """The transitions of a project, oldest first. Raises ServiceUnavailable."""
        query = (
            sa.select(TransitionRow)
            .where(TransitionRow.correlation_key == correlation_key)
            .order_by(TransitionRow.id)
        )
        with self._transaction("list_transitions") as session:
            return [_transition(row) for row in session.scalars(query)]


def make_sqlite_store(
    directory: Path | str, *, name: str = "handoff.db"
) -> SqlAlchemyStore:
    """A migrated store on a SQLite file in ``directory``, for tests and demos."""
    store = SqlAlchemyStore.from_url(f"sqlite:///{Path(directory) / name}")
    store.migrate()
    return store


# Row helpers, run inside a session.


def _lock_mapping(session: Session, correlation_key: str) -> ProjectMappingRow:
    query = (
        sa.select(ProjectMappingRow)
        .where(ProjectMappingRow.correlation_key == correlation_key)
        .with_for_update()
    )
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"no project mapped to {correlation_key!r}", system=SYSTEM)
    return row


def _check_version(row: ProjectMappingRow, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise Contention(
            f"mapping {row.correlation_key!r} is at version {row.version}, "
            f"not {expected}; re-read it",
            system=SYSTEM,
        )


def _identified_by(
    salesforce_project_id: str | None, rocketlane_project_id: int | None
) -> sa.ColumnElement[bool]:
    if rocketlane_project_id is None:
        return ProjectMappingRow.salesforce_project_id == salesforce_project_id
    return sa.and_(
        ProjectMappingRow.rocketlane_project_id == rocketlane_project_id,
        ProjectMappingRow.rocketlane_phase_id.is_(None),
    )


def _refuse_taken_project(session: Session, rocketlane_project_id: int) -> None:
    query = sa.select(ProjectMappingRow.correlation_key).where(
        _identified_by(None, rocketlane_project_id)
    )
    owner = session.scalars(query).one_or_none()
    if owner is not None:
        raise Conflict(
            f"Rocketlane project {rocketlane_project_id} already maps to {owner!r}",
            system=SYSTEM,
        )


def _refuse_taken_phase(session: Session, rocketlane_phase_id: int) -> None:
    query = sa.select(ProjectMappingRow.correlation_key).where(
        ProjectMappingRow.rocketlane_phase_id == rocketlane_phase_id
    )
    owner = session.scalars(query).one_or_none()
    if owner is not None:
        raise Conflict(
            f"Rocketlane phase {rocketlane_phase_id} already maps to {owner!r}",
            system=SYSTEM,
        )


def _apply(row: ProjectMappingRow | MilestoneMappingRow, changes: Json) -> None:
    if not changes:
        return
    for name, value in changes.items():
        setattr(row, name, value)
    if isinstance(row, ProjectMappingRow):
        row.version += 1
    row.updated_at = utc_now()


def _given(**values: object) -> Json:
    return {name: value for name, value in values.items() if value is not UNSET}


def _milestone_row(
    session: Session, correlation_key: str, key: str, *, lock: bool = False
) -> MilestoneMappingRow | None:
    query = sa.select(MilestoneMappingRow).where(
        MilestoneMappingRow.correlation_key == correlation_key,
        MilestoneMappingRow.key == key,
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _dead_letter_row(
    session: Session, dead_letter_id: int, *, lock: bool = False
) -> DeadLetterRow:
    query = sa.select(DeadLetterRow).where(DeadLetterRow.id == dead_letter_id)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"no dead letter {dead_letter_id}", system=SYSTEM)
    return row


def _open_dead_letter_row(session: Session, dead_letter_id: int) -> DeadLetterRow:
    row = _dead_letter_row(session, dead_letter_id, lock=True)
    if row.status != "open":
        raise Conflict(
            f"dead letter {dead_letter_id} is {row.status}, not open", system=SYSTEM
        )
    return row


def _activity(tallies: list[tuple[str, str, int]], dead_letters: int) -> ActivityCounts:
    creations = updates = failures = 0
    for operation, outcome, count in tallies:
        if outcome != "ok":
            failures += count
        elif operation in CREATE_OPERATIONS:
            creations += count
        elif operation in UPDATE_OPERATIONS:
            updates += count
    return ActivityCounts(
        creations=creations,
        updates=updates,
        failures=failures,
        dead_letters=dead_letters,
    )


# Rows to records.


def _record(kind: type[R], row: Base) -> R:
    """A frozen record of ``kind`` copied from an ORM row, field by field.

    JSON columns are copied so that a caller cannot change the row.
    """
    values = {name: _detached(getattr(row, name)) for name in _field_names(kind)}
    return kind(**values)


def _field_names(kind: type[Any]) -> tuple[str, ...]:
    return tuple(item.name for item in dataclasses.fields(kind))


def _detached(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def _project_mapping(row: ProjectMappingRow) -> ProjectMapping:
    return _record(ProjectMapping, row)


def _milestone_mapping(row: MilestoneMappingRow) -> MilestoneMapping:
    return _record(MilestoneMapping, row)


def _audit_entry(row: AuditLogRow) -> AuditEntry:
    return _record(AuditEntry, row)


def _dead_letter(row: DeadLetterRow) -> DeadLetter:
    return _record(DeadLetter, row)


def _transition(row: TransitionRow) -> Transition:
    return _record(Transition, row)
