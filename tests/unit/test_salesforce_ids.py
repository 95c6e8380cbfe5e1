"""Salesforce record IDs: the 15 → 18 checksum and the minter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.ops.sandbox.salesforce.ids import (
    BASE62,
    IdMinter,
    is_valid_id,
    normalize_id,
    to18,
)


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001A0000006Vm9u", "001A0000006Vm9uIAC"),
        ("00190000001pPvH", "00190000001pPvHAAU"),
        ("000000000000000", "000000000000000AAA"),
        ("AAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAA555"),
    ],
    ids=["doc-account", "lower-and-upper", "all-digits", "all-upper"],
)
def test_the_checksum_matches_known_ids(id15: str, id18: str) -> None:
    assert to18(id15) == id18


def test_an_18_char_id_with_a_wrong_suffix_is_malformed() -> None:
    assert is_valid_id("001A0000006Vm9uIAC")
    assert not is_valid_id("001A0000006Vm9uAAA")


@pytest.mark.parametrize(
    "value", ["", "001", "001A0000006Vm9u!", "001A0000006Vm9uIA", 12345, None]
)
def test_bad_values_are_not_ids(value: object) -> None:
    assert not is_valid_id(value)


def test_a_15_char_id_normalizes_to_its_18_char_form() -> None:
    assert normalize_id("001A0000006Vm9u") == "001A0000006Vm9uIAC"


@given(st.text(alphabet=BASE62, min_size=15, max_size=15))
def test_every_15_char_id_round_trips(id15: str) -> None:
    id18 = to18(id15)

    assert is_valid_id(id18)
    assert id18[:15] == id15


def test_minted_ids_carry_the_prefix_and_are_unique() -> None:
    minter = IdMinter()

    ids = [minter.mint("006") for _ in range(500)]

    assert all(i.startswith("006") and is_valid_id(i) and len(i) == 18 for i in ids)
    assert len(set(ids)) == 500
