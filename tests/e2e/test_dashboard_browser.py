"""The dashboard in a real browser (headless Chromium), after a won deal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from handoff.actors.bootstrap import build_rocketlane
from handoff.ops.dashboard import Dashboard, build_dashboard, capacity_from_rocketlane
from handoff.ops.serving import ServerThread
from handoff.ops.stack import Stack
from tests import sales

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    assert CHROMIUM, "Chromium is missing: `make test` installs it (ops/ensure-browser)"
    return subprocess.run(
        [CHROMIUM, *flags, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.e2e
def test_an_operator_sees_the_won_deals_project_on_the_dashboard(
    embedded_stack: Stack, tmp_path: Path
) -> None:
    seller, opportunity = sales.sell(embedded_stack.sandboxes)
    seller.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    embedded_stack.settle()
    store = embedded_stack.store
    capacity = capacity_from_rocketlane(
        build_rocketlane(embedded_stack.settings), store
    )

    with ServerThread(build_dashboard(Dashboard(store, capacity=capacity))) as server:
        dom = chromium("--dump-dom", f"{server.url}/dashboard", profile=tmp_path / "a")
        shot = chromium(
            f"--screenshot={tmp_path / 'dashboard.png'}",
            "--window-size=1100,900",
            f"{server.url}/",
            profile=tmp_path / "b",
        )

    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<td id="projects-created-day">1</td>' in dom.stdout
    assert '<td id="status-active">1</td>' in dom.stdout
    assert 'id="no-dead-letters"' in dom.stdout
    assert shot.returncode == 0 and (tmp_path / "dashboard.png").stat().st_size > 10_000
