"""Create every table of Handoff's database.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

KEY = sa.String(length=64)
SALESFORCE_ID = sa.String(length=18)
SHORT = sa.String(length=40)
NAME = sa.String(length=120)
TIMESTAMP = sa.DateTime(timezone=True)


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    _create_project_mapping()
    _create_milestone_mapping()
    _create_audit_log()
    _create_processed_events()
    _create_dead_letters()
    _create_transitions()


def _create_project_mapping() -> None:
    op.create_table(
        "project_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correlation_key", KEY, nullable=False),
        sa.Column("salesforce_project_id", SALESFORCE_ID, nullable=True),
        sa.Column("rocketlane_project_id", sa.BigInteger(), nullable=True),
        sa.Column("deal_id", SALESFORCE_ID, nullable=True),
        sa.Column("deal_object", SHORT, nullable=True),
        sa.Column("forecast_state", SHORT, nullable=True),
        sa.Column("last_pushed", sa.JSON(), nullable=False),
        sa.Column("status", SHORT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_mapping")),
        sa.UniqueConstraint(
            "correlation_key", name=op.f("uq_project_mapping_correlation_key")
        ),
        sa.UniqueConstraint(
            "salesforce_project_id",
            name=op.f("uq_project_mapping_salesforce_project_id"),
        ),
        sa.UniqueConstraint(
            "rocketlane_project_id",
            name=op.f("uq_project_mapping_rocketlane_project_id"),
        ),
    )
    _index("project_mapping", "status")


def _create_milestone_mapping() -> None:
    op.create_table(
        "milestone_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correlation_key", KEY, nullable=False),
        sa.Column("key", NAME, nullable=False),
        sa.Column("salesforce_milestone_id", SALESFORCE_ID, nullable=True),
        sa.Column("rocketlane_task_id", sa.BigInteger(), nullable=True),
        sa.Column("last_pushed", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_mapping")),
        sa.ForeignKeyConstraint(
            ["correlation_key"],
            ["project_mapping.correlation_key"],
            name=op.f("fk_milestone_mapping_correlation_key_project_mapping"),
        ),
        sa.UniqueConstraint(
            "correlation_key",
            "key",
            name=op.f("uq_milestone_mapping_correlation_key_key"),
        ),
        sa.UniqueConstraint(
            "salesforce_milestone_id",
            name=op.f("uq_milestone_mapping_salesforce_milestone_id"),
        ),
        sa.UniqueConstraint(
            "rocketlane_task_id", name=op.f("uq_milestone_mapping_rocketlane_task_id")
        ),
    )


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("system", SHORT, nullable=False),
        sa.Column("operation", SHORT, nullable=False),
        sa.Column("record_type", NAME, nullable=False),
        sa.Column("record_id", NAME, nullable=True),
        sa.Column("correlation_key", KEY, nullable=True),
        sa.Column("actor", NAME, nullable=True),
        sa.Column("trace_id", SHORT, nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("outcome", SHORT, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    _index("audit_log", "at")
    _index("audit_log", "correlation_key")


def _create_processed_events() -> None:
    op.create_table(
        "processed_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", SHORT, nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_events")),
        sa.UniqueConstraint(
            "source", "event_id", name=op.f("uq_processed_events_source_event_id")
        ),
    )
    _index("processed_events", "received_at")


def _create_dead_letters() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", NAME, nullable=False),
        sa.Column("actor", NAME, nullable=False),
        sa.Column("queue", NAME, nullable=False),
        sa.Column("correlation_key", KEY, nullable=True),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("error_type", NAME, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", TIMESTAMP, nullable=False),
        sa.Column("failed_at", TIMESTAMP, nullable=False),
        sa.Column("trace_id", SHORT, nullable=True),
        sa.Column("status", SHORT, nullable=False),
        sa.Column("replayed_at", TIMESTAMP, nullable=True),
        sa.Column("replay_message_id", NAME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dead_letters_message_id")),
    )
    _index("dead_letters", "correlation_key")
    _index("dead_letters", "failed_at")
    _index("dead_letters", "status")


def _create_transitions() -> None:
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correlation_key", KEY, nullable=False),
        sa.Column("from_state", SHORT, nullable=True),
        sa.Column("to_state", SHORT, nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transitions")),
    )
    _index("transitions", "correlation_key")


def downgrade() -> None:
    for table in (
        "transitions",
        "dead_letters",
        "processed_events",
        "audit_log",
        "milestone_mapping",
        "project_mapping",
    ):
        op.drop_table(table)
