"""Alembic's entry point: runs the revisions on the connection it is given.

``handoff.adapters.store.migrate`` passes an open connection in
``config.attributes["connection"]``; with none, the URL of the
``sqlalchemy.url`` option is used, so ``alembic -x`` style use still works.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from handoff.adapters.store_models import Base


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as own:
            _run(own)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Handoff's migrations run online only, on a connection.")
_run_online()
