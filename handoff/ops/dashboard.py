"""``handoff dashboard``: what Handoff did lately, on one page for operators.

Shows creations, updates and failures over the last hour and day, projects by
status, the open dead letters, and the hours allocated in Rocketlane by month
(soft and hard). ``GET /dashboard`` is the page, refreshing itself every
30 seconds; ``GET /dashboard.json`` the same figures for scripts. Figures come
from the store; capacity costs one Rocketlane call per project, so it is
cached for ``capacity_ttl_s`` (five minutes by default).

Serve it on an internal port: it lists correlation keys and error texts.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from handoff.adapters.store import DeadLetter, SqlAlchemyStore

__all__ = [
    "Dashboard",
    "MonthCapacity",
    "build_dashboard",
    "capacity_from_rocketlane",
    "render",
]

DEFAULT_CAPACITY_TTL_S = 300.0
DEFAULT_REFRESH_S = 30
RECENT_DEAD_LETTERS = 10
ERROR_PREVIEW_CHARS = 120


@dataclass(frozen=True)
class MonthCapacity:
    """Hours allocated across all projects in one month."""

    month: str
    soft: float
    hard: float


CapacitySource = Callable[[], Sequence[MonthCapacity]]


@dataclass
class Dashboard:
    """Gathers the figures; ``capacity`` is optional (no Rocketlane, no section)."""

    store: SqlAlchemyStore
    capacity: CapacitySource | None = None
    capacity_ttl_s: float = DEFAULT_CAPACITY_TTL_S
    clock: Callable[[], float] = time.monotonic
    _cached: tuple[float, list[MonthCapacity]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, Any]:
        """Every figure the page shows, JSON-able."""
        now = datetime.now(UTC)
        letters = self.store.list_dead_letters(status="open", limit=RECENT_DEAD_LETTERS)
        return {
            "at": now.strftime("%Y-%m-%d %H:%M:%S"),
            "last_hour": asdict(self.store.activity(since=now - timedelta(hours=1))),
            "last_day": asdict(self.store.activity(since=now - timedelta(days=1))),
            "projects": self.store.mappings_by_status(),
            "dead_letters": [_letter(letter) for letter in letters],
            "capacity": [asdict(month) for month in self._capacity()],
        }

    def _capacity(self) -> list[MonthCapacity]:
        if self.capacity is None:
            return []
        with self._lock:
            if (
                self._cached is None
                or self.clock() - self._cached[0] > self.capacity_ttl_s
            ):
                self._cached = (self.clock(), list(self.capacity()))
            return self._cached[1]


def _letter(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "failed_at": letter.failed_at.isoformat(timespec="seconds"),
        "actor": letter.actor,
        "correlation_key": letter.correlation_key,
        "attempts": letter.attempts,
        "error": letter.error[:ERROR_PREVIEW_CHARS],
    }


def capacity_from_rocketlane(rocketlane: Any, store: SqlAlchemyStore) -> CapacitySource:
    """Soft and hard hours by month over every live project, from Rocketlane."""
    from handoff.ops.capacity_command import capacity_report, month_window  # noqa: PLC0415

    def months() -> list[MonthCapacity]:
        rows = capacity_report(rocketlane, _mappings(store), month_window(None, None))
        totals: dict[str, tuple[float, float]] = {}
        for row in rows:
            soft, hard = totals.get(row.hours.month, (0.0, 0.0))
            totals[row.hours.month] = (
                soft + float(row.hours.soft),
                hard + float(row.hours.hard),
            )
        return [MonthCapacity(month, *hours) for month, hours in sorted(totals.items())]

    return months


def _mappings(store: SqlAlchemyStore, page: int = 500) -> list[Any]:
    found: list[Any] = []
    while batch := store.list_mappings(limit=page, offset=len(found)):
        found += batch
    return found


def build_dashboard(dashboard: Dashboard) -> Starlette:
    """The dashboard web app."""

    async def page(request: Request) -> Response:
        return HTMLResponse(render(dashboard.snapshot()))

    async def figures(request: Request) -> Response:
        return JSONResponse(dashboard.snapshot())

    async def home(request: Request) -> Response:
        return RedirectResponse("/dashboard")

    return Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/dashboard", page, methods=["GET"]),
            Route("/dashboard.json", figures, methods=["GET"]),
        ]
    )


def render(figures: dict[str, Any]) -> str:
    """The page for a snapshot; every value is escaped."""
    sections = [
        _activity(figures),
        _projects(figures["projects"]),
        _dead_letters(figures["dead_letters"]),
        _capacity_table(figures["capacity"]),
    ]
    return _PAGE.format(
        refresh=DEFAULT_REFRESH_S, at=_e(figures["at"]), body="\n".join(sections)
    )


def _activity(figures: dict[str, Any]) -> str:
    rows = [
        (label, figures["last_hour"][name], figures["last_day"][name])
        for label, name in (
            ("Projects created", "creations"),
            ("Updates written", "updates"),
            ("Failed writes", "failures"),
            ("Dead letters", "dead_letters"),
        )
    ]
    body = "".join(
        f'<tr><th>{_e(label)}</th><td id="{_e(_slug(label))}-hour">{hour}</td>'
        f'<td id="{_e(_slug(label))}-day">{day}</td></tr>'
        for label, hour, day in rows
    )
    return _table(
        "Activity", "<tr><th></th><th>last hour</th><th>last day</th></tr>", body
    )


def _projects(by_status: dict[str, int]) -> str:
    if not by_status:
        return _section("Projects", "<p>No projects mapped yet.</p>")
    body = "".join(
        f'<tr><th>{_e(status)}</th><td id="status-{_e(status)}">{count}</td></tr>'
        for status, count in sorted(by_status.items())
    )
    return _table("Projects by status", "", body)


def _dead_letters(letters: list[dict[str, Any]]) -> str:
    if not letters:
        return _section("Open dead letters", '<p id="no-dead-letters">None.</p>')
    head = "<tr><th>#</th><th>failed</th><th>actor</th><th>project</th><th>tries</th><th>error</th></tr>"
    body = "".join(
        f"<tr><td>{letter['id']}</td><td>{_e(letter['failed_at'])}</td>"
        f"<td>{_e(letter['actor'])}</td><td>{_e(letter['correlation_key'] or '-')}</td>"
        f"<td>{letter['attempts']}</td><td class=error>{_e(letter['error'])}</td></tr>"
        for letter in letters
    )
    hint = "<p>Replay with <code>handoff dead-letters replay ID</code>.</p>"
    return _table("Open dead letters", head, body) + hint


def _capacity_table(months: list[dict[str, Any]]) -> str:
    if not months:
        return _section(
            "Capacity", "<p>No allocations, or Rocketlane is not configured.</p>"
        )
    head = "<tr><th>month</th><th>soft hours</th><th>hard hours</th></tr>"
    body = "".join(
        f"<tr><th>{_e(m['month'])}</th><td>{m['soft']:g}</td><td>{m['hard']:g}</td></tr>"
        for m in months
    )
    return _table("Capacity (allocated in Rocketlane)", head, body)


def _table(title: str, head: str, body: str) -> str:
    return _section(title, f"<table>{head}{body}</table>")


def _section(title: str, content: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{content}</section>"


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def _e(value: object) -> str:
    return html.escape(str(value))


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{refresh}">
<title>Handoff</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; }}
h1 {{ font-size: 1.4rem; margin: 0 0 .2rem; }}
h2 {{ font-size: 1.05rem; margin: 1.6rem 0 .5rem; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: .25rem .8rem; border-bottom: 1px solid #e3e6ee; text-align: right; }}
th:first-child {{ text-align: left; }}
td.error {{ text-align: left; color: #9b1c1c; }}
.at {{ color: #667; }}
</style></head>
<body><h1>Handoff</h1><p class="at">as of {at} UTC, refreshed every {refresh} s</p>
{body}
</body></html>
"""
