"""Upsells mapped to phases: the store's contract on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from handoff.adapters.errors import Conflict
from handoff.adapters.store import SqlAlchemyStore
from handoff.adapters.store_models import ProjectMappingRow

ORIGINAL = "HO-00000000000000000001"
UPSELL = "HO-00000000000000000002"
SECOND_UPSELL = "HO-00000000000000000003"
PROJECT = 901
PHASE = 7001


@pytest.fixture
def mapped(store: SqlAlchemyStore) -> SqlAlchemyStore:
    """The original maps to project 901; two upsells are not mapped yet."""
    for key in (ORIGINAL, UPSELL, SECOND_UPSELL):
        store.ensure_mapping(key)
    store.set_rocketlane_project(ORIGINAL, PROJECT)
    return store


def force_ids(
    store: SqlAlchemyStore, key: str, project: int, phase: int | None
) -> None:
    """Write the IDs past the store's checks, so only the indexes judge."""
    change = (
        sa.update(ProjectMappingRow)
        .where(ProjectMappingRow.correlation_key == key)
        .values(rocketlane_project_id=project, rocketlane_phase_id=phase)
    )
    with store.engine.begin() as connection:
        connection.execute(change)


def test_upsells_map_to_phases_of_the_original_project(
    mapped: SqlAlchemyStore,
) -> None:
    first = mapped.set_rocketlane_phase(UPSELL, PROJECT, PHASE)
    second = mapped.set_rocketlane_phase(SECOND_UPSELL, PROJECT, PHASE + 1)

    assert (first.rocketlane_project_id, first.rocketlane_phase_id) == (PROJECT, PHASE)
    assert second.rocketlane_project_id == PROJECT
    assert mapped.find_mapping(rocketlane_project_id=PROJECT).correlation_key == (  # type: ignore[union-attr]
        ORIGINAL
    )
    assert mapped.find_mapping(rocketlane_phase_id=PHASE) == first
    assert mapped.get_mapping(ORIGINAL).rocketlane_phase_id is None  # type: ignore[union-attr]


def test_setting_the_same_phase_twice_is_harmless(mapped: SqlAlchemyStore) -> None:
    first = mapped.set_rocketlane_phase(UPSELL, PROJECT, PHASE)

    again = mapped.set_rocketlane_phase(UPSELL, PROJECT, PHASE)

    assert again == first


def test_a_phase_cannot_map_to_a_second_key(mapped: SqlAlchemyStore) -> None:
    mapped.set_rocketlane_phase(UPSELL, PROJECT, PHASE)

    with pytest.raises(Conflict, match="already maps"):
        mapped.set_rocketlane_phase(SECOND_UPSELL, PROJECT, PHASE)

    assert mapped.get_mapping(SECOND_UPSELL).rocketlane_phase_id is None  # type: ignore[union-attr]


def test_a_key_mapped_to_a_whole_project_cannot_become_a_phase(
    mapped: SqlAlchemyStore,
) -> None:
    with pytest.raises(Conflict, match="already maps"):
        mapped.set_rocketlane_phase(ORIGINAL, PROJECT, PHASE)


def test_a_key_mapped_to_a_phase_cannot_take_the_whole_project(
    mapped: SqlAlchemyStore,
) -> None:
    mapped.set_rocketlane_phase(UPSELL, PROJECT, PHASE)

    with pytest.raises(Conflict, match="phase"):
        mapped.set_rocketlane_project(UPSELL, PROJECT)


def test_the_database_keeps_one_unphased_mapping_per_project(
    mapped: SqlAlchemyStore,
) -> None:
    force_ids(mapped, UPSELL, PROJECT, PHASE)

    with pytest.raises(sa.exc.IntegrityError):
        force_ids(mapped, SECOND_UPSELL, PROJECT, None)


def test_the_database_keeps_one_mapping_per_phase(mapped: SqlAlchemyStore) -> None:
    force_ids(mapped, UPSELL, PROJECT, PHASE)

    with pytest.raises(sa.exc.IntegrityError):
        force_ids(mapped, SECOND_UPSELL, PROJECT, PHASE)
