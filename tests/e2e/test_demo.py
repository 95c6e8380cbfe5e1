"""`handoff demo` does what the README promises, from a clean directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HANDOFF = str(Path(sys.executable).with_name("handoff"))


@pytest.mark.parametrize(
    "configured",
    [
        pytest.param({}, id="nothing-configured"),
        pytest.param(
            {"HANDOFF_BROKER_URL": "redis://127.0.0.1:6379/0"}, id="a-broker-configured"
        ),
    ],
)
def test_the_demo_creates_one_project_on_each_side_and_says_so(
    tmp_path: Path, configured: dict[str, str]
) -> None:
    """The demo always runs embedded, whatever the shell has configured."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "OTEL_"))
    } | configured

    done = subprocess.run(
        [HANDOFF, "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Project__c records so far: 0" in out
    assert "Forecast       Booked" in out
    assert "Sync status    Synced" in out
    assert "status         In progress" in out
    assert "still 1 Project__c and 1 Rocketlane project" in out
    assert "Correlation ID  HO-" in out
    assert "Dead letters: 0" in out
    assert (tmp_path / ".handoff" / "demo.db").exists()
