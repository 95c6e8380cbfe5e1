"""Revision 0002 upgrades a database that already holds mappings."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from handoff.adapters.store import SqlAlchemyStore, _alembic_config

KEY = "HO-00000000000000000001"
NOW = "2026-12-01 00:00:00+00:00"


def upgrade(store: SqlAlchemyStore, revision: str) -> None:
    with store.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def test_mappings_and_their_milestones_survive_the_phase_migration(
    tmp_path: Path,
) -> None:
    """On SQLite the table is rebuilt under a milestone's foreign key."""
    store = SqlAlchemyStore.from_url(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(store, "0001")
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO project_mapping (correlation_key, rocketlane_project_id,"
                " last_pushed, status, version, created_at, updated_at)"
                " VALUES (:key, 901, '{}', 'active', 3, :now, :now)"
            ),
            {"key": KEY, "now": NOW},
        )
        connection.execute(
            sa.text(
                "INSERT INTO milestone_mapping (correlation_key, key, last_pushed,"
                " created_at, updated_at) VALUES (:key, 'Kick-off', '{}', :now, :now)"
            ),
            {"key": KEY, "now": NOW},
        )

    store.migrate()

    mapping = store.find_mapping(rocketlane_project_id=901)
    assert mapping is not None
    assert (mapping.correlation_key, mapping.version) == (KEY, 3)
    assert mapping.rocketlane_phase_id is None
    assert store.get_milestone(KEY, "Kick-off") is not None
    store.close()
