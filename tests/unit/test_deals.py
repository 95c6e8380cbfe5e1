"""Reading every commercial parent into a Deal, against the served sandbox org."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from handoff.adapters.deals import chosen_quote, deals_to_derive, read_deal
from handoff.adapters.errors import InvalidRequest
from handoff.adapters.salesforce import HttpxSalesforceClient
from handoff.domain.policy import SourceFields
from handoff.ops.sandbox.salesforce import SalesforceOrg

FIELDS = SourceFields()


@dataclass
class Org:
    """A seeded org with one account and one opportunity at Proposal."""

    client: HttpxSalesforceClient
    seed: Any
    account: str
    opportunity: str

    def quote(self, **fields: Any) -> str:
        return self.client.create(
            "Quote",
            {
                "Name": "Q",
                "OpportunityId": self.opportunity,
                "Pricebook2Id": self.seed.standard_pricebook_id,
                **fields,
            },
        )

    def quote_line(self, quote: str, code: str, **fields: Any) -> str:
        return self.client.create(
            "QuoteLineItem",
            {
                "QuoteId": quote,
                "PricebookEntryId": self.seed.entries[code],
                "Quantity": 1,
                "UnitPrice": 1000,
                **fields,
            },
        )

    def order(self, **fields: Any) -> str:
        return self.client.create(
            "Order",
            {
                "AccountId": self.account,
                "EffectiveDate": "2026-09-01",
                "Status": "Draft",
                "Pricebook2Id": self.seed.standard_pricebook_id,
                **fields,
            },
        )

    def order_item(self, order: str, code: str, **fields: Any) -> str:
        return self.client.create(
            "OrderItem",
            {
                "OrderId": order,
                "PricebookEntryId": self.seed.entries[code],
                "Quantity": 1,
                "UnitPrice": 500,
                **fields,
            },
        )


@pytest.fixture
def org(salesforce_org: SalesforceOrg, salesforce_client: HttpxSalesforceClient) -> Org:
    client = salesforce_client
    account = client.create(
        "Account", {"Name": "Acme", "Region__c": "EMEA", "Segment__c": "Enterprise"}
    )
    opportunity = client.create(
        "Opportunity",
        {
            "Name": "Acme rollout",
            "AccountId": account,
            "StageName": "Proposal/Price Quote",
            "CloseDate": "2026-09-01",
            "Pricebook2Id": salesforce_org.seed.standard_pricebook_id,
        },
    )
    return Org(client, salesforce_org.seed, account, opportunity)


def test_a_quote_takes_its_opportunitys_stage_account_and_owner(org: Org) -> None:
    quote = org.quote()
    line = org.quote_line(quote, "DATA-MIG", ServiceDate="2026-10-01", Quantity=2)

    deal = read_deal(org.client, "Quote", quote, FIELDS)

    assert (deal.source_object, deal.opportunity_id) == ("Quote", org.opportunity)
    assert (deal.stage, deal.probability) == ("Proposal/Price Quote", Decimal(75))
    assert (deal.account_name, deal.region, deal.segment) == (
        "Acme",
        "EMEA",
        "Enterprise",
    )
    assert deal.owner_email and deal.close_date == date(2026, 9, 1)
    (read,) = deal.lines
    assert (read.id, read.source_object) == (line, "QuoteLineItem")
    assert (read.product_code, read.product_family) == (
        "DATA-MIG",
        "Professional Services",
    )
    assert (read.quantity, read.total_price) == (Decimal(2), Decimal(2000))
    assert read.service_date == date(2026, 10, 1)


def test_only_the_newest_usable_quote_sells_when_none_syncs(org: Org) -> None:
    old = org.quote()
    org.quote_line(old, "CORE-IMP")
    new = org.quote()
    org.quote_line(new, "DATA-MIG")
    rejected = org.quote(Status="Rejected")

    assert chosen_quote(org.client, "Quote", org.opportunity) == new
    assert read_deal(org.client, "Quote", old, FIELDS).lines == ()
    assert len(read_deal(org.client, "Quote", new, FIELDS).lines) == 1
    assert read_deal(org.client, "Quote", rejected, FIELDS).lines == ()


def test_the_quote_the_opportunity_syncs_sells_even_when_older(org: Org) -> None:
    synced = org.quote()
    org.quote_line(synced, "CORE-IMP")
    newer = org.quote()
    org.quote_line(newer, "DATA-MIG")

    org.client.update("Opportunity", org.opportunity, {"SyncedQuoteId": synced})

    assert chosen_quote(org.client, "Quote", org.opportunity) == synced
    assert org.client.get("Quote", synced)["IsSyncing"] is True
    assert read_deal(org.client, "Quote", newer, FIELDS).lines == ()


def test_syncing_another_quote_stops_the_first_one_syncing(org: Org) -> None:
    first, second = org.quote(), org.quote()
    org.client.update("Opportunity", org.opportunity, {"SyncedQuoteId": first})

    org.client.update("Opportunity", org.opportunity, {"SyncedQuoteId": second})

    assert org.client.get("Quote", first)["IsSyncing"] is False
    assert chosen_quote(org.client, "Quote", org.opportunity) == second


def test_an_opportunity_cannot_sync_another_opportunitys_quote(org: Org) -> None:
    other = org.client.create(
        "Opportunity",
        {"Name": "Other", "StageName": "Prospecting", "CloseDate": "2026-12-31"},
    )
    foreign = org.client.create("Quote", {"Name": "F", "OpportunityId": other})

    with pytest.raises(InvalidRequest, match="FIELD_INTEGRITY_EXCEPTION"):
        org.client.update("Opportunity", org.opportunity, {"SyncedQuoteId": foreign})


def test_the_primary_cpq_quote_sells_its_quote_lines(org: Org) -> None:
    draft = org.client.create(
        "SBQQ__Quote__c", {"SBQQ__Opportunity2__c": org.opportunity}
    )
    primary = org.client.create(
        "SBQQ__Quote__c",
        {"SBQQ__Opportunity2__c": org.opportunity, "SBQQ__Primary__c": True},
    )
    org.client.create(
        "SBQQ__QuoteLine__c",
        {
            "SBQQ__Quote__c": primary,
            "SBQQ__Product__c": org.seed.products["ADV-RET"],
            "SBQQ__Quantity__c": 100,
            "SBQQ__NetTotal__c": 5000,
            "SBQQ__StartDate__c": "2026-10-01",
            "SBQQ__EndDate__c": "2026-12-31",
            "Bundle_Key__c": "ADVISORY",
        },
    )

    deal = read_deal(org.client, "SBQQ__Quote__c", primary, FIELDS)

    (line,) = deal.lines
    assert (line.product_family, line.quantity) == ("Retainer", Decimal(100))
    assert (line.service_date, line.end_date) == (date(2026, 10, 1), date(2026, 12, 31))
    assert line.bundle_key == "ADVISORY"
    assert read_deal(org.client, "SBQQ__Quote__c", draft, FIELDS).lines == ()


def test_an_order_says_whether_it_is_activated_and_reads_its_items(org: Org) -> None:
    order = org.order(OpportunityId=org.opportunity)
    org.order_item(order, "CORE-IMP", ServiceDate="2026-09-15", EndDate="2026-12-01")
    empty = org.order()

    deal = read_deal(org.client, "Order", order, FIELDS)

    assert (deal.status, deal.is_activated) == ("Draft", False)
    assert (deal.region, deal.opportunity_id) == ("EMEA", org.opportunity)
    (line,) = deal.lines
    assert (line.source_object, line.end_date) == ("OrderItem", date(2026, 12, 1))
    assert read_deal(org.client, "Order", empty, FIELDS).lines == ()


def test_a_contract_sells_the_items_of_its_orders(org: Org) -> None:
    contract = org.client.create(
        "Contract",
        {
            "AccountId": org.account,
            "Status": "Draft",
            "StartDate": "2026-09-01",
            "ContractTerm": 12,
        },
    )
    order = org.order(ContractId=contract)
    item = org.order_item(order, "DATA-MIG")
    org.client.update("Contract", contract, {"Status": "Activated"})

    deal = read_deal(org.client, "Contract", contract, FIELDS)

    assert deal.is_activated and deal.close_date == date(2026, 9, 1)
    assert [line.id for line in deal.lines] == [item]
    assert deals_to_derive(org.client, "Contract", "OrderItem", item) == [contract]


def test_a_line_names_the_project_it_upsells_by_its_key(org: Org) -> None:
    original = org.client.create(
        "Project__c", {"Name": "Original", "Handoff_Key__c": "HO-0123456789ABCDEF0123"}
    )
    quote = org.quote()
    org.quote_line(quote, "ADV-RET", Upsell_Of__c=original)

    (line,) = read_deal(org.client, "Quote", quote, FIELDS).lines

    assert line.upsell_of_key == "HO-0123456789ABCDEF0123"


@pytest.mark.parametrize(
    ("source", "changed", "expected"),
    [
        ("Opportunity", "opportunity", "opportunity"),
        ("Opportunity", "account", "opportunity"),
        ("Quote", "opportunity", "quote"),
        ("Quote", "quote line", "quote"),
        ("Quote", "account", "quote"),
        ("Order", "opportunity", "order"),
        ("Order", "order item", "order"),
        ("Opportunity", "order item", None),
    ],
    ids=str,
)
def test_a_change_leads_to_the_master_deals_of_the_policy(
    org: Org, source: str, changed: str, expected: str | None
) -> None:
    quote = org.quote()
    order = org.order(OpportunityId=org.opportunity)
    records = {
        "opportunity": ("Opportunity", org.opportunity),
        "account": ("Account", org.account),
        "quote": ("Quote", quote),
        "quote line": ("QuoteLineItem", org.quote_line(quote, "CORE-IMP")),
        "order": ("Order", order),
        "order item": ("OrderItem", org.order_item(order, "CORE-IMP")),
    }

    found = deals_to_derive(org.client, source, *records[changed])

    assert found == ([records[expected][1]] if expected else [])


def test_a_closed_deal_is_derived_on_an_account_change_only_if_it_has_projects(
    org: Org,
) -> None:
    org.client.update("Opportunity", org.opportunity, {"StageName": "Closed Won"})
    assert deals_to_derive(org.client, "Opportunity", "Account", org.account) == []

    org.client.create(
        "Project__c",
        {
            "Name": "P",
            "Handoff_Key__c": "HO-0123456789ABCDEF0123",
            "Account__c": org.account,
            "Source_Object__c": "Opportunity",
            "Source_Record_Id__c": org.opportunity,
        },
    )

    assert deals_to_derive(org.client, "Opportunity", "Account", org.account) == [
        org.opportunity
    ]


def test_a_line_that_no_longer_exists_leads_nowhere(org: Org) -> None:
    assert (
        deals_to_derive(org.client, "Quote", "QuoteLineItem", "0QL000000000001") == []
    )
