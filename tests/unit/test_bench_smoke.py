"""The benchmark runs end to end on a tiny load, so that it cannot rot."""

from __future__ import annotations

import pytest

from ops.bench.run import main


def test_the_benchmark_prints_its_table_for_one_deal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = main(["--deals", "1", "--lines", "2"])

    printed = capsys.readouterr().out
    assert figures.projects == 2
    assert figures.throughput > 0
    assert [row.scenario for row in figures.rows] == [
        "create",
        "no-op re-derive",
        "update",
    ]
    assert all(row.baseline_salesforce > 0 for row in figures.rows)
    assert figures.rows[1].rocketlane == 0  # a no-op pushes nothing
    assert "provisioning throughput" in printed
