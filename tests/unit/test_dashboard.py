"""The operators' dashboard: the figures it shows, and how it shows them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from handoff.adapters.store import SqlAlchemyStore, make_sqlite_store
from handoff.ops.dashboard import Dashboard, MonthCapacity, build_dashboard, render
from handoff.ops.serving import ServerThread


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlAlchemyStore]:
    store = make_sqlite_store(tmp_path)
    store.ensure_mapping("HO-AAAAAAAAAAAAAAAAAAAA", status="active")
    store.ensure_mapping("HO-BBBBBBBBBBBBBBBBBBBB", status="pending")
    store.record_audit(
        system="rocketlane",
        operation="create",
        record_type="project",
        correlation_key="HO-AAAAAAAAAAAAAAAAAAAA",
    )
    store.record_audit(
        system="salesforce", operation="update", record_type="Project__c"
    )
    store.record_audit(
        system="rocketlane",
        operation="update",
        record_type="project",
        outcome="error",
        error="503",
    )
    store.record_dead_letter(
        message_id="m-1",
        actor="provision",
        queue="provision",
        message={"args": [{}]},
        error_type="InvalidRequest",
        error="rocketlane 400: <owner> is not a team member",
        attempts=1,
        correlation_key="HO-BBBBBBBBBBBBBBBBBBBB",
    )
    yield store
    store.close()


def test_the_snapshot_counts_what_the_store_holds(store: SqlAlchemyStore) -> None:
    figures = Dashboard(store).snapshot()

    assert figures["last_day"] == {
        "creations": 1,
        "updates": 1,
        "failures": 1,
        "dead_letters": 1,
    }
    assert figures["projects"] == {"active": 1, "pending": 1}
    (letter,) = figures["dead_letters"]
    assert letter["actor"] == "provision"
    assert figures["capacity"] == []


def test_capacity_is_cached_so_rocketlane_is_not_asked_on_every_view(
    store: SqlAlchemyStore,
) -> None:
    calls = []
    now = [0.0]

    def capacity() -> list[MonthCapacity]:
        calls.append(now[0])
        return [MonthCapacity("2026-12", 40.0, 8.0)]

    dashboard = Dashboard(
        store, capacity=capacity, capacity_ttl_s=60, clock=lambda: now[0]
    )
    dashboard.snapshot()
    now[0] = 59
    figures = dashboard.snapshot()
    now[0] = 61
    dashboard.snapshot()

    assert figures["capacity"] == [{"month": "2026-12", "soft": 40.0, "hard": 8.0}]
    assert calls == [0.0, 61]


def test_the_page_escapes_what_it_shows(store: SqlAlchemyStore) -> None:
    page = render(Dashboard(store).snapshot())

    assert "&lt;owner&gt; is not a team member" in page
    assert "<owner>" not in page
    assert '<td id="projects-created-day">1</td>' in page


def test_the_page_and_its_figures_are_served_over_http(store: SqlAlchemyStore) -> None:
    with ServerThread(build_dashboard(Dashboard(store))) as server:
        page = httpx.get(f"{server.url}/dashboard")
        figures = httpx.get(f"{server.url}/dashboard.json").json()
        home = httpx.get(server.url, follow_redirects=False)

    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Open dead letters" in page.text
    assert figures["projects"]["active"] == 1
    assert home.status_code in (302, 307) and home.headers["location"] == "/dashboard"
