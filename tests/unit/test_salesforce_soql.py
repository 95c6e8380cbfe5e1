"""The SOQL tokenizer and parser of the Salesforce sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from handoff.ops.sandbox.salesforce import soql


def test_a_select_list_with_parent_fields_and_a_subquery_parses() -> None:
    query = soql.parse(
        "SELECT Id, Account.Name, (SELECT Id, Quantity FROM OpportunityLineItems) "
        "FROM Opportunity"
    )

    assert query.sobject == "Opportunity"
    assert query.items[1] == soql.FieldPath(("Account", "Name"))
    sub = query.items[2]
    assert isinstance(sub, soql.SubQuery)
    assert sub.query.sobject == "OpportunityLineItems"


def test_and_binds_tighter_than_or_and_parentheses_override() -> None:
    flat = soql.parse("SELECT Id FROM A WHERE X = 1 OR Y = 2 AND Z = 3")
    grouped = soql.parse("SELECT Id FROM A WHERE (X = 1 OR Y = 2) AND Z = 3")

    assert isinstance(flat.where, soql.Or)
    assert isinstance(flat.where.items[1], soql.And)
    assert isinstance(grouped.where, soql.And)
    assert isinstance(grouped.where.items[0], soql.Or)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("'O\\'Brien'", "O'Brien"),
        ("42", 42),
        ("-1.5", -1.5),
        ("true", True),
        ("FALSE", False),
        ("null", None),
        ("2026-05-20", dt.date(2026, 5, 20)),
        ("2026-05-20T10:00:00Z", dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC)),
        ("TODAY", soql.DateLiteral("TODAY")),
        ("LAST_N_DAYS:30", soql.DateLiteral("LAST_N_DAYS", 30)),
    ],
    ids=[
        "string",
        "int",
        "float",
        "true",
        "false",
        "null",
        "date",
        "datetime",
        "today",
        "last-n-days",
    ],
)
def test_literals_parse_to_python_values(literal: str, expected: object) -> None:
    query = soql.parse(f"SELECT Id FROM A WHERE X = {literal}")

    assert query.where == soql.Compare(soql.FieldPath(("X",)), "=", expected)


def test_in_not_in_like_and_not() -> None:
    query = soql.parse(
        "SELECT Id FROM A WHERE X IN ('a', 'b') AND Y NOT IN (1) "
        "AND Name LIKE 'Ac%' AND NOT Z != null"
    )

    assert query.where.items[0] == soql.InList(soql.FieldPath(("X",)), ("a", "b"))
    assert query.where.items[1].negated
    assert query.where.items[2] == soql.Like(soql.FieldPath(("Name",)), "Ac%")
    assert isinstance(query.where.items[3], soql.Not)


def test_order_by_limit_offset_and_count() -> None:
    query = soql.parse(
        "select id from A order by Name desc nulls last, CreatedDate limit 5 offset 10"
    )
    count = soql.parse("SELECT COUNT() FROM A")

    assert query.order_by[0] == soql.OrderItem(soql.FieldPath(("Name",)), True, True)
    assert query.order_by[1].descending is False
    assert (query.limit, query.offset) == (5, 10)
    assert count.is_count


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FRM Account",
        "SELECT FROM Account",
        "SELECT Id, FROM Account",
        "SELECT Id FROM",
        "SELECT Id FROM Account WHERE",
        "SELECT Id FROM Account WHERE Name = 'open",
        "SELECT Id FROM Account WHERE Name 'x'",
        "SELECT Id FROM Account WHERE (Name = 'x'",
        "SELECT Id FROM Account LIMIT ten",
        "SELECT Id FROM Account ORDER Name",
        "SELECT Id FROM Account WHERE X IN ()",
        "SELECT Id FROM Account WHERE X = LAST_N_DAYS",
        "SELECT Id FROM Account extra",
        "SELECT Id FROM Account WHERE Name = 'x' # comment",
        "UPDATE Account SET Name = 'x'",
    ],
)
def test_malformed_queries_are_rejected_with_a_position(text: str) -> None:
    with pytest.raises(soql.SoqlSyntaxError) as caught:
        soql.parse(text)

    assert "ERROR at Row:1:Column:" in str(caught.value)


def test_the_error_points_at_the_offending_token() -> None:
    with pytest.raises(soql.SoqlSyntaxError) as caught:
        soql.parse("SELECT Id FRM Account")

    assert str(caught.value) == "ERROR at Row:1:Column:11\nunexpected token: 'FRM'"


def test_order_is_an_object_name_after_from() -> None:
    """SOQL reserves ORDER, yet `FROM Order` names the Order object."""
    query = soql.parse(
        "SELECT Id, Status FROM Order WHERE Status = 'Activated' ORDER BY Id"
    )

    assert query.sobject == "Order"
    assert query.order_by
