"""Alembic migrations of Handoff's database, shipped inside the package.

Run them with ``handoff.adapters.store.migrate(url)``; no alembic.ini is
needed. New revisions go in ``versions/`` and must leave the schema equal to
the models in ``store_models.py`` (a test compares the two).
"""
