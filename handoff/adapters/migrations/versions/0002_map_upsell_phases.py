"""Map an upsell to a phase of the Rocketlane project it extends.

Adds ``project_mapping.rocketlane_phase_id`` and lets mappings of phases
share their Rocketlane project: the unique constraint on
``rocketlane_project_id`` becomes a unique index over the rows without a
phase (a partial index, on PostgreSQL and SQLite alike), and every phase
maps to one row only.

On SQLite the constraint is dropped by rebuilding the table (Alembic's batch
mode). Dropping the old table would orphan the milestone mappings that
reference it, and SQLite counts such a violation even once the rebuilt table
takes the name again, so the milestone rows are set aside in a temporary
table for the rebuild and put back after it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "project_mapping"
OLD_UNIQUE = "uq_project_mapping_rocketlane_project_id"
UNPHASED_PROJECT_INDEX = "ux_project_mapping_rocketlane_project_id"
PHASE_INDEX = "ux_project_mapping_rocketlane_phase_id"
UNPHASED = sa.text("rocketlane_phase_id IS NULL")


def upgrade() -> None:
    with _milestones_set_aside(), op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("rocketlane_phase_id", sa.BigInteger()))
        batch.drop_constraint(OLD_UNIQUE, type_="unique")
    op.create_index(
        UNPHASED_PROJECT_INDEX,
        TABLE,
        ["rocketlane_project_id"],
        unique=True,
        sqlite_where=UNPHASED,
        postgresql_where=UNPHASED,
    )
    op.create_index(PHASE_INDEX, TABLE, ["rocketlane_phase_id"], unique=True)


def downgrade() -> None:
    """Back to one mapping per Rocketlane project; fails while phases exist."""
    op.drop_index(PHASE_INDEX, table_name=TABLE)
    op.drop_index(UNPHASED_PROJECT_INDEX, table_name=TABLE)
    with _milestones_set_aside(), op.batch_alter_table(TABLE) as batch:
        batch.create_unique_constraint(OLD_UNIQUE, ["rocketlane_project_id"])
        batch.drop_column("rocketlane_phase_id")


@contextmanager
def _milestones_set_aside() -> Iterator[None]:
    """On SQLite, keep the milestone mappings out of the table's rebuild."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute(
        "CREATE TEMP TABLE milestone_mapping_aside AS SELECT * FROM milestone_mapping"
    )
    op.execute("DELETE FROM milestone_mapping")
    yield
    op.execute("INSERT INTO milestone_mapping SELECT * FROM milestone_mapping_aside")
    op.execute("DROP TABLE milestone_mapping_aside")
