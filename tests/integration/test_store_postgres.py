"""The store under concurrency, its migrations, and its failures."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from handoff.adapters.errors import Conflict, ServiceUnavailable
from handoff.adapters.store import SqlAlchemyStore, make_sqlite_store, migrate
from handoff.adapters.store_models import Base

T = TypeVar("T")
THREADS = 8
KEY = "HO-0123456789ABCDEF0123"

pytestmark = pytest.mark.integration


def _all_at_once(action: Callable[[int], T]) -> list[T | Exception]:
    """Run ``action(i)`` in THREADS threads released together; keep failures."""
    barrier = Barrier(THREADS)

    def run(index: int) -> T | Exception:
        barrier.wait()
        try:
            return action(index)
        except Exception as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def _schema_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


# Migrations.


def test_the_migrations_build_exactly_the_models_on_postgres(postgres_url: str) -> None:
    migrate(postgres_url)

    engine = sa.create_engine(postgres_url)
    try:
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_models_on_sqlite(tmp_path: Path) -> None:
    store = make_sqlite_store(tmp_path)

    assert _schema_diff(store.engine) == []


def test_the_schema_comparison_notices_a_missing_table(tmp_path: Path) -> None:
    store = make_sqlite_store(tmp_path)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE transitions")

    assert _schema_diff(store.engine) != []


def test_migrating_twice_changes_nothing(postgres_store: SqlAlchemyStore) -> None:
    postgres_store.ensure_mapping(KEY)

    postgres_store.migrate()

    assert postgres_store.get_mapping(KEY) is not None


# Concurrency on PostgreSQL.


def test_concurrent_ensures_make_exactly_one_mapping(
    postgres_store: SqlAlchemyStore,
) -> None:
    results = _all_at_once(lambda _: postgres_store.ensure_mapping(KEY))

    assert not [r for r in results if isinstance(r, Exception)]
    assert len(postgres_store.list_mappings()) == 1


def test_concurrent_marks_let_exactly_one_caller_process_an_event(
    postgres_store: SqlAlchemyStore,
) -> None:
    results = _all_at_once(lambda _: postgres_store.mark_processed("rl", "evt-1"))

    assert sorted(results, key=str) == [False] * (THREADS - 1) + [True]


def test_concurrent_rocketlane_projects_for_one_key_let_one_win(
    postgres_store: SqlAlchemyStore,
) -> None:
    postgres_store.ensure_mapping(KEY)

    results = _all_at_once(
        lambda index: postgres_store.set_rocketlane_project(KEY, 900 + index)
    )

    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if r not in winners)
    mapping = postgres_store.get_mapping(KEY)
    assert mapping is not None
    assert mapping.rocketlane_project_id == winners[0].rocketlane_project_id


def test_one_rocketlane_project_for_many_keys_lets_one_win(
    postgres_store: SqlAlchemyStore,
) -> None:
    for index in range(THREADS):
        postgres_store.ensure_mapping(f"HO-{index}")

    results = _all_at_once(
        lambda index: postgres_store.set_rocketlane_project(f"HO-{index}", 901)
    )

    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == THREADS - 1


def test_concurrent_updates_lose_no_version(postgres_store: SqlAlchemyStore) -> None:
    postgres_store.ensure_mapping(KEY)

    results = _all_at_once(
        lambda index: postgres_store.update_mapping(KEY, last_error=str(index))
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert postgres_store.get_mapping(KEY).version == THREADS + 1  # type: ignore[union-attr]


# SQLite shared by threads.


def test_threads_sharing_a_sqlite_file_queue_instead_of_failing(
    sqlite_store: SqlAlchemyStore,
) -> None:
    sqlite_store.ensure_mapping(KEY)

    results = _all_at_once(
        lambda index: (
            sqlite_store.mark_processed("rl", "evt"),
            sqlite_store.update_mapping(KEY, last_error=str(index)),
        )
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(r[0] for r in results) == 1  # type: ignore[index]
    assert sqlite_store.get_mapping(KEY).version == THREADS + 1  # type: ignore[union-attr]


# Failures.


def test_an_unreachable_database_raises_service_unavailable() -> None:
    store = SqlAlchemyStore.from_url(
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )

    with pytest.raises(ServiceUnavailable) as caught:
        store.get_mapping(KEY)

    assert isinstance(caught.value.__cause__, sa.exc.OperationalError)


def test_an_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        SqlAlchemyStore.from_url("mysql://db/handoff")
