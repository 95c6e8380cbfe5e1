"""Fixtures shared by every test layer.

Integration tests use the real services this machine runs (PostgreSQL on
127.0.0.1:5432, Redis on 127.0.0.1:6379), each test in its own namespace so
that nothing is flushed from under another test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# CI shares two cores with whatever else runs: judge properties by their
# examples, never by how fast this machine produced them.
settings.register_profile(
    "handoff", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("handoff")

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.salesforce",
    "tests.fixtures.rocketlane",
    "tests.fixtures.store",
    "tests.fixtures.stack",
    "tests.fixtures.distributed",
]

POSTGRES_ADMIN_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HANDOFF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def unique_name() -> str:
    """A short name no other test uses, for namespaces and databases."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never pick up HANDOFF_* or OTEL_* from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(("HANDOFF_", "OTEL_")) and not name.startswith(
            "HANDOFF_TEST_"
        ):
            monkeypatch.delenv(name)
    yield
