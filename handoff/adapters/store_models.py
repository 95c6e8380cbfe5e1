"""The tables of Handoff's own database, as SQLAlchemy 2 typed models.

These models are the schema's single source of truth: the Alembic migrations
under ``migrations/versions`` must produce exactly this metadata, which a test
checks on SQLite and PostgreSQL. Only ``store.py`` touches them; callers get
plain frozen records from there, never ORM objects.

Every timestamp is stored as UTC. SQLite keeps no time zone, so ``UtcDateTime``
hands back aware datetimes on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditLogRow",
    "Base",
    "DeadLetterRow",
    "MilestoneMappingRow",
    "ProcessedEventRow",
    "ProjectMappingRow",
    "TransitionRow",
    "UtcDateTime",
    "utc_now",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KEY_LENGTH = 64
SALESFORCE_ID_LENGTH = 18
SHORT_TEXT_LENGTH = 40
NAME_LENGTH = 120

UNPHASED = "rocketlane_phase_id IS NULL"
UNPHASED_PROJECT_INDEX = "ux_project_mapping_rocketlane_project_id"
PHASE_INDEX = "ux_project_mapping_rocketlane_phase_id"


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: sa.Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; use UTC")
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: sa.Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every Handoff table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it once
        datetime: UtcDateTime(),
        dict[str, Any]: sa.JSON(),
    }


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ProjectMappingRow(_Timestamps, Base):
    """One project: its correlation key and its IDs in both systems.

    A project is a whole Rocketlane project, or, for an upsell governed as
    ``new_phase``, a phase (``rocketlane_phase_id``) in the Rocketlane project
    of the deal it extends. A Rocketlane project belongs to one unphased
    mapping only (a partial unique index); a phase to one mapping.
    """

    __tablename__ = "project_mapping"
    __table_args__ = (
        sa.Index(
            UNPHASED_PROJECT_INDEX,
            "rocketlane_project_id",
            unique=True,
            sqlite_where=sa.text(UNPHASED),
            postgresql_where=sa.text(UNPHASED),
        ),
        sa.Index(PHASE_INDEX, "rocketlane_phase_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), unique=True)
    salesforce_project_id: Mapped[str | None] = mapped_column(
        sa.String(SALESFORCE_ID_LENGTH), unique=True
    )
    rocketlane_project_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    rocketlane_phase_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    deal_id: Mapped[str | None] = mapped_column(sa.String(SALESFORCE_ID_LENGTH))
    deal_object: Mapped[str | None] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    forecast_state: Mapped[str | None] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    last_pushed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_LENGTH), index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)


class MilestoneMappingRow(_Timestamps, Base):
    """One milestone of a project, named by ``key`` within it."""

    __tablename__ = "milestone_mapping"
    __table_args__ = (sa.UniqueConstraint("correlation_key", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_key: Mapped[str] = mapped_column(
        sa.String(KEY_LENGTH), sa.ForeignKey("project_mapping.correlation_key")
    )
    key: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    salesforce_milestone_id: Mapped[str | None] = mapped_column(
        sa.String(SALESFORCE_ID_LENGTH), unique=True
    )
    rocketlane_task_id: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    last_pushed: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditLogRow(Base):
    """One write to Salesforce or Rocketlane, successful or not."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    system: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    operation: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    record_type: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    record_id: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))
    correlation_key: Mapped[str | None] = mapped_column(
        sa.String(KEY_LENGTH), index=True
    )
    actor: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))
    trace_id: Mapped[str | None] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    error: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)


class ProcessedEventRow(Base):
    """An event already handled, kept to drop its duplicates."""

    __tablename__ = "processed_events"
    __table_args__ = (sa.UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class DeadLetterRow(Base):
    """A message that will not be retried any more, kept for replay."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), unique=True)
    actor: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    queue: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    correlation_key: Mapped[str | None] = mapped_column(
        sa.String(KEY_LENGTH), index=True
    )
    message: Mapped[dict[str, Any]] = mapped_column()
    error_type: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    error: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime] = mapped_column(default=utc_now)
    failed_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    trace_id: Mapped[str | None] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    status: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_LENGTH), index=True)
    replayed_at: Mapped[datetime | None] = mapped_column()
    replay_message_id: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))


class TransitionRow(Base):
    """A forecast transition the state machine accepted or refused."""

    __tablename__ = "transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), index=True)
    from_state: Mapped[str | None] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    to_state: Mapped[str | None] = mapped_column(sa.String(SHORT_TEXT_LENGTH))
    accepted: Mapped[bool] = mapped_column()
    reason: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(default=utc_now)
