"""Frugal write-backs: only values that really changed are written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.domain.values import changed_values, json_ready, same_value


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(10, 10.0, id="int-vs-float"),
        pytest.param(10, "10.00", id="int-vs-text"),
        pytest.param(Decimal("10.00"), 10.0, id="decimal-vs-float"),
        pytest.param(0.1, Decimal("0.1"), id="float-tenth-vs-decimal"),
        pytest.param(date(2025, 3, 1), "2025-03-01", id="date-vs-iso-text"),
        pytest.param(" On Track ", "On Track", id="text-trimmed"),
        pytest.param(None, None, id="both-blank"),
    ],
)
def test_equal_values_in_different_clothes(left: object, right: object) -> None:
    assert same_value(left, right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(10, 10.01, id="cents-differ"),
        pytest.param(None, 0, id="blank-is-not-zero"),
        pytest.param(True, 1, id="true-is-not-one"),
        pytest.param("On Track", "At Risk", id="text-differs"),
        pytest.param(date(2025, 3, 1), "2025-03-02", id="date-differs"),
    ],
)
def test_different_values_stay_different(left: object, right: object) -> None:
    assert not same_value(left, right)


def test_only_changed_values_are_written() -> None:
    last = {"Hours_Burned__c": 10, "Health__c": "On Track", "Cost__c": "100.00"}
    new = {"Hours_Burned__c": 10.0, "Health__c": "At Risk", "Cost__c": Decimal(100)}

    assert changed_values(new, last) == {"Health__c": "At Risk"}


def test_a_field_never_written_counts_as_changed() -> None:
    assert changed_values({"Margin__c": None}, {}) == {"Margin__c": None}


def test_json_ready_turns_decimals_and_dates_into_json_values() -> None:
    values = {"a": Decimal("12.50"), "b": Decimal(3), "c": date(2025, 1, 2), "d": "x"}

    assert json_ready(values) == {"a": 12.5, "b": 3, "c": "2025-01-02", "d": "x"}


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**8), 10**8).map(lambda cents: Decimal(cents) / 100),
    st.text(max_size=8),
    st.dates(),
)
_records = st.dictionaries(st.sampled_from(["A__c", "B__c", "C__c", "D__c"]), _values)


@given(_records, _records)
def test_writing_the_changes_leaves_nothing_to_write(
    new: dict[str, Any], last: dict[str, Any]
) -> None:
    """Property: after writing the delta, the same values give no delta."""
    written = {**last, **changed_values(new, last)}

    assert changed_values(new, written) == {}


@given(_records)
def test_a_record_never_differs_from_itself(record: dict[str, Any]) -> None:
    assert changed_values(record, dict(record)) == {}
