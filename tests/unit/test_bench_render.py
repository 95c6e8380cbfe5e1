"""The benchmark's table says what it compares, and reads the sandbox's counts."""

from __future__ import annotations

from ops.bench.run import Figures, Reading, Row, render


def test_a_row_divides_both_paths_by_the_projects() -> None:
    handoff = Reading(
        salesforce=10, rocketlane=6, rocketlane_writes=2, rocketlane_429s=0
    )
    naive = Reading(salesforce=8, rocketlane=4, rocketlane_writes=2, rocketlane_429s=0)

    row = Row.of("create", handoff, naive, projects=2, seconds=1.5)

    assert (row.salesforce, row.rocketlane, row.rocketlane_writes) == (5, 3, 1)
    assert (row.baseline_salesforce, row.baseline_rocketlane) == (4, 2)
    assert row.baseline_rocketlane_writes == 1


def test_readings_subtract_counter_by_counter() -> None:
    later = Reading(salesforce=9, rocketlane=7, rocketlane_writes=3, rocketlane_429s=1)
    earlier = Reading(
        salesforce=4, rocketlane=2, rocketlane_writes=1, rocketlane_429s=0
    )

    assert later - earlier == Reading(5, 5, 2, 1)


def test_the_table_says_the_comparison_is_like_for_like() -> None:
    row = Row("create", 5.5, 3.0, 1.0, 3.5, 2.0, 1.0, 13.7)
    figures = Figures(
        deals=1, projects=2, create_seconds=2.0, rows=[row], rate_limited=0
    )

    table = render(figures)

    assert "like for like: both paths count reads and writes" in table
    assert "the naive path makes Handoff's reads" in table
    assert "RL wr = Rocketlane writes alone" in table
    assert "create                5.50    3.00    1.00    3.50    2.00    1.00" in table
