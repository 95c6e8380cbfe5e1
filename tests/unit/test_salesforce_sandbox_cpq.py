"""The sandbox's CPQ quotes follow their lines as Salesforce CPQ keeps them."""

from __future__ import annotations

from typing import Any

from handoff.ops.sandbox.salesforce import SalesforceOrg
from handoff.ops.sandbox.salesforce.cdc import channel_for

QUOTE = "SBQQ__Quote__c"
LINE = "SBQQ__QuoteLine__c"


def quote_with_lines(org: SalesforceOrg, *totals: float) -> tuple[str, list[str]]:
    with org.transaction() as tx:
        quote = tx.create(QUOTE, {"SBQQ__Primary__c": True})
        lines = [
            tx.create(LINE, {"SBQQ__Quote__c": quote, "SBQQ__NetTotal__c": total})
            for total in totals
        ]
    org.bus.clear()
    return quote, lines


def quote_events(org: SalesforceOrg) -> list[dict[str, Any]]:
    return [
        event["data"]["payload"]
        for event in list(org.bus.events)
        if event["channel"] == channel_for(QUOTE)
    ]


def net_amount(org: SalesforceOrg, quote: str) -> Any:
    return org.table(QUOTE)[quote]["SBQQ__NetAmount__c"]


def test_a_quote_nets_the_totals_of_its_lines(salesforce_org: SalesforceOrg) -> None:
    quote, _ = quote_with_lines(salesforce_org, 1000, 250.5)

    assert net_amount(salesforce_org, quote) == 1250.5


def test_changing_a_line_changes_its_quote_with_an_event(
    salesforce_org: SalesforceOrg,
) -> None:
    quote, (first, _) = quote_with_lines(salesforce_org, 1000, 250)

    with salesforce_org.transaction() as tx:
        tx.update(LINE, first, {"SBQQ__NetTotal__c": 1500})

    assert net_amount(salesforce_org, quote) == 1750
    (event,) = quote_events(salesforce_org)
    assert event["ChangeEventHeader"]["recordIds"] == [quote]
    assert event["SBQQ__NetAmount__c"] == 1750


def test_deleting_a_line_changes_its_quote_with_an_event(
    salesforce_org: SalesforceOrg,
) -> None:
    quote, (_, second) = quote_with_lines(salesforce_org, 1000, 250)

    with salesforce_org.transaction() as tx:
        tx.delete(LINE, second)

    assert net_amount(salesforce_org, quote) == 1000
    (event,) = quote_events(salesforce_org)
    assert event["SBQQ__NetAmount__c"] == 1000
