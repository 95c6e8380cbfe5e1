"""The validation-rule formula language: parsing, binding and evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from handoff.ops.sandbox.salesforce.formula import (
    FormulaError,
    Scope,
    compile_formula,
)
from handoff.ops.sandbox.salesforce.org import build_catalog
from handoff.ops.sandbox.salesforce.schema import Catalog

NOW = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.UTC)
ACCOUNT_ID = "001000000000001AAA"
ACCOUNT = {"Id": ACCOUNT_ID, "Name": "Acme", "Region__c": "EMEA"}
OPPORTUNITY = {
    "Name": "Acme rollout",
    "AccountId": ACCOUNT_ID,
    "StageName": "Closed Won",
    "CloseDate": "2026-05-01",
    "Amount": 1200.0,
    "Probability": None,
    "IsWon": True,
    "Description": None,
    "CreatedDate": "2026-05-19T08:00:00.000+0000",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


def evaluate(
    catalog: Catalog,
    text: str,
    record: dict[str, Any] | None = None,
    prior: dict[str, Any] | None = None,
    sobject: str = "Opportunity",
) -> Any:
    schema = catalog.get(sobject)
    assert schema is not None
    formula = compile_formula(text, schema, catalog)
    records = {ACCOUNT_ID: ACCOUNT}
    scope = Scope(
        record=OPPORTUNITY if record is None else record,
        prior=prior,
        lookup=records.get,
        now=NOW,
    )
    return formula.evaluate(scope)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("2 ^ 3 * 2", 16.0),
        ("-Amount + 200", -1000.0),
        ("10 / 4", 2.5),
        ("10 / 0", None),
        ("Amount / 2 > 500", True),
        ("Amount >= 1200 && Amount <= 1200", True),
        ("amount = 1200", True),
        ("Amount <> 1200 || Amount != 1200", False),
        ("Amount == 1200.0", True),
        ("Probability > 10", None),
        ("Probability + 1", None),
        ("Name & ' / ' & Account.Region__c", "Acme rollout / EMEA"),
        ("Name + '!'", "Acme rollout!"),
        ('"a\\"b" & \'c\'', 'a"bc'),
        ("Name = 'acme rollout'", False),
        ("NOT(IsWon)", False),
        ("!IsWon", False),
        ("NOT IsWon || TRUE", True),
        ("TRUE && FALSE || TRUE", True),
        ("AND(TRUE, IsWon, Amount > 1000)", True),
        ("OR(FALSE, Amount < 0)", False),
        ("IF(Amount > 1000, 'big', 'small')", "big"),
        ("IF(Probability > 10, 1, 2)", 2.0),
        ("ISBLANK(Probability)", True),
        ("ISBLANK(Description)", True),
        ("ISBLANK(Name)", False),
        ("ISNULL(Probability)", True),
        ("ISNULL(Description)", False),
        ("BLANKVALUE(Probability, 50)", 50.0),
        ("BLANKVALUE(Amount, 50)", 1200.0),
        ("BLANKVALUE(Description, 'none')", "none"),
        ("ISPICKVAL(StageName, 'Closed Won')", True),
        ("ISPICKVAL(StageName, 'closed won')", False),
        ("TEXT(StageName)", "Closed Won"),
        ("TEXT(Amount)", "1200"),
        ("TEXT(1.5)", "1.5"),
        ("TEXT(CloseDate)", "2026-05-01"),
        ("TEXT(CreatedDate)", "2026-05-19 08:00:00Z"),
        ("LEN(Name)", 12.0),
        ("LEN(Description)", 0.0),
        ("VALUE('42.5') + 1", 43.5),
        ("VALUE('forty')", None),
        ("TODAY()", dt.date(2026, 5, 20)),
        ("NOW() - CreatedDate", 28 / 24),
        ("CloseDate < TODAY()", True),
        ("TODAY() - CloseDate", 19.0),
        ("CloseDate + 30", dt.date(2026, 5, 31)),
        ("Account.Name = 'Acme'", True),
        ("ACCOUNT.REGION__C = 'EMEA'", True),
        ("Probability = NULL", True),
        ("Description = ''", True),
        ("Description = NULL", True),
        ("1 /* a comment */ + 1", 2.0),
        ("  AND (\n TRUE ,\n TRUE )  ", True),
    ],
    ids=str,
)
def test_a_formula_evaluates_like_the_platform(
    catalog: Catalog, text: str, expected: Any
) -> None:
    """Each formula gives the value Salesforce would."""
    value = evaluate(catalog, text)

    if isinstance(expected, float):
        assert value == pytest.approx(expected)
    else:
        assert value == expected


def test_dates_compare_as_dates_across_a_month_end(catalog: Catalog) -> None:
    """Due 2026-10-01 is one day after a start on 2026-09-30."""
    project = {"Start_Date__c": "2026-09-30", "Due_Date__c": "2026-10-01"}

    gap = evaluate(catalog, "Due_Date__c - Start_Date__c", project, None, "Project__c")
    before = evaluate(
        catalog, "Due_Date__c < Start_Date__c", project, None, "Project__c"
    )

    assert gap == 1.0
    assert before is False


def test_a_custom_parent_path_reads_the_parent_record(catalog: Catalog) -> None:
    """Account__r.Region__c on Project__c follows the Account__c lookup."""
    project = {"Account__c": ACCOUNT_ID}

    value = evaluate(
        catalog, "Account__r.Region__c = 'EMEA'", project, None, "Project__c"
    )

    assert value is True


def test_a_parent_path_through_a_blank_lookup_is_blank(catalog: Catalog) -> None:
    """No parent record: its fields read as blank, not as an error."""
    project = {"Account__c": None}

    value = evaluate(
        catalog, "ISBLANK(Account__r.Region__c)", project, None, "Project__c"
    )

    assert value is True


@pytest.mark.parametrize(
    ("text", "prior", "expected"),
    [
        ("ISNEW()", None, True),
        ("ISNEW()", OPPORTUNITY, False),
        ("ISCHANGED(Amount)", None, False),
        ("ISCHANGED(Amount)", dict(OPPORTUNITY, Amount=1000.0), True),
        ("ISCHANGED(Amount)", OPPORTUNITY, False),
        ("ISCHANGED(Description)", dict(OPPORTUNITY, Description="x"), True),
        ("ISCHANGED(StageName)", dict(OPPORTUNITY, StageName="Prospecting"), True),
        ("PRIORVALUE(Amount)", dict(OPPORTUNITY, Amount=1000.0), 1000.0),
        ("PRIORVALUE(Amount)", None, 1200.0),
        (
            "ISPICKVAL(PRIORVALUE(StageName), 'Prospecting')",
            dict(OPPORTUNITY, StageName="Prospecting"),
            True,
        ),
        ("Amount - PRIORVALUE(Amount)", dict(OPPORTUNITY, Amount=1000.0), 200.0),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_prior_values_come_from_the_record_before_the_write(
    catalog: Catalog, text: str, prior: dict[str, Any] | None, expected: Any
) -> None:
    """ISNEW, ISCHANGED and PRIORVALUE look at the record before the write."""
    value = evaluate(catalog, text, OPPORTUNITY, prior)

    assert value == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("AND(TRUE, FALSE", "Missing ')'"),
        ("(1 + 2", "Missing ')'"),
        ("1 +", "Unexpected ''"),
        ("1 2", "Extra '2'"),
        ("Amount > 1 )", "Extra ')'"),
        ("Amount # 2", "Unexpected '#'"),
        ("'unterminated", "Unexpected"),
        ("AND(,)", "Unexpected ','"),
        ("FOO(1)", "Unknown function FOO"),
        ("Amount > Bogus__c", "Field Bogus__c does not exist"),
        ("Nope__r.Name = 'x'", "Field Nope__r.Name does not exist"),
        ("Account.Missing__c = 'x'", "Field Account.Missing__c does not exist"),
        ("IF(TRUE, 1)", "Expected 3, received 2"),
        ("NOT(TRUE, FALSE)", "Expected 1, received 2"),
        ("TODAY(1)", "Expected 0, received 1"),
        ("AND()", "Expected 1 or more, received 0"),
        ("LEN(Amount)", "'LEN()'. Expected Text, received Number"),
        ("Amount > 'big'", "Expected Number, received Text"),
        ("CloseDate < CreatedDate", "Expected Date, received DateTime"),
        ("IsWon && 1", "operator '&&'"),
        ("Name * 2", "operator '*'"),
        ("Name - 'x'", "operator '-'"),
        ("IF(IsWon, 1, 'one')", "Expected Number, received Text"),
        ("StageName = 'Closed Won'", "StageName is a picklist field"),
        ("LEN(StageName)", "StageName is a picklist field"),
        ("ISPICKVAL(Name, 'x')", "Expected Picklist, received Text"),
        ("ISPICKVAL(StageName, Name)", "Expected Text Literal"),
        ("ISCHANGED(1)", "field of the object itself"),
        ("PRIORVALUE(Account.Name)", "field of the object itself"),
    ],
    ids=lambda value: value or "<blank>",
)
def test_a_malformed_or_unfitting_formula_is_refused_when_compiled(
    catalog: Catalog, text: str, message: str
) -> None:
    """Bad syntax, unknown names and type errors fail before any write."""
    schema = catalog.get("Opportunity")
    assert schema is not None

    with pytest.raises(FormulaError) as caught:
        compile_formula(text, schema, catalog)

    assert message in str(caught.value)


def test_function_and_field_names_are_case_insensitive(catalog: Catalog) -> None:
    """and(), IsBlank() and aMoUnT all resolve."""
    value = evaluate(catalog, "and(not(isblank(aMoUnT)), true)")

    assert value is True
