"""Reading every commercial parent into a ``Deal``, and finding which to read.

Speaks the Salesforce REST API (SOQL over ``/services/data/vXX.X/query``)
with the objects of reference §7 and Handoff's SFDX package. The policy's
master source decides which parent becomes projects:

=============  ====================  ============================================
source         parent                lines
=============  ====================  ============================================
opportunity    Opportunity           OpportunityLineItem
quote          the syncing Quote     QuoteLineItem
cpq_quote      the primary           SBQQ__QuoteLine__c
               SBQQ__Quote__c
order          Order (activated)     OrderItem
contract       Contract (activated)  the OrderItems of the contract's orders
=============  ====================  ============================================

Quotes take the stage, probability, close date and owner of their
Opportunity. A quote that is not its opportunity's chosen one (the syncing
quote; the primary CPQ quote) is read with no lines, so projects it once
made are cancelled rather than duplicated by the quote that replaced it.

A line says it extends an earlier deliverable with ``Upsell_Of__c``, a
lookup to that deliverable's Project__c; the line carries its key.

``deals_to_derive`` answers the other question: a change to this record
(any of the parents, their lines, or an Account) calls for deriving which
master deals?
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from handoff.domain.models import CommercialLine, Deal
from handoff.domain.policy import SourceFields

from .errors import NotFound
from .ports import SalesforceClient
from .salesforce_records import field_path, soql_id

__all__ = [
    "ACCOUNT_OBJECT",
    "FOLLOWED_OBJECTS",
    "SOURCES",
    "Source",
    "chosen_quote",
    "deals_to_derive",
    "read_deal",
]

ACCOUNT_OBJECT = "Account"
UPSELL_FIELD = "Upsell_Of__c"
UPSELL_KEY = "Upsell_Of__r.Handoff_Key__c"
REJECTED_QUOTES = ("Rejected", "Denied")


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where one kind of commercial parent keeps what a ``Deal`` needs.

    Paths are SOQL paths relative to the parent; ``opportunity`` and
    ``account`` are the relationship prefixes that reach them ("" for the
    parent itself, None when the parent has none).
    """

    object: str
    line_object: str
    lines: str | None
    name: str
    opportunity: str | None
    account: str
    owner: str
    close_date: str
    product: str
    quantity: str
    total: str
    service_date: str
    opportunity_id: str | None = None
    end_date: str | None = None
    status: str | None = None

    def owner_path(self, field: str) -> str:
        """The owner's field (``Id`` or ``Email``) as a path from the parent."""
        if field == "Id":
            return f"{self.owner}Id"
        return f"{self.owner}.{field}"


SOURCES: dict[str, Source] = {
    "Opportunity": Source(
        object="Opportunity",
        opportunity_id="Id",
        line_object="OpportunityLineItem",
        lines="OpportunityLineItems",
        name="Name",
        opportunity="",
        account="Account.",
        owner="Owner",
        close_date="CloseDate",
        product="Product2.",
        quantity="Quantity",
        total="TotalPrice",
        service_date="ServiceDate",
    ),
    "Quote": Source(
        object="Quote",
        opportunity_id="OpportunityId",
        line_object="QuoteLineItem",
        lines="QuoteLineItems",
        name="Name",
        opportunity="Opportunity.",
        account="Opportunity.Account.",
        owner="Opportunity.Owner",
        close_date="Opportunity.CloseDate",
        product="Product2.",
        quantity="Quantity",
        total="TotalPrice",
        service_date="ServiceDate",
    ),
    "SBQQ__Quote__c": Source(
        object="SBQQ__Quote__c",
        opportunity_id="SBQQ__Opportunity2__c",
        line_object="SBQQ__QuoteLine__c",
        lines="SBQQ__LineItems__r",
        name="Name",
        opportunity="SBQQ__Opportunity2__r.",
        account="SBQQ__Opportunity2__r.Account.",
        owner="SBQQ__Opportunity2__r.Owner",
        close_date="SBQQ__Opportunity2__r.CloseDate",
        product="SBQQ__Product__r.",
        quantity="SBQQ__Quantity__c",
        total="SBQQ__NetTotal__c",
        service_date="SBQQ__StartDate__c",
        end_date="SBQQ__EndDate__c",
    ),
    "Order": Source(
        object="Order",
        opportunity_id="OpportunityId",
        line_object="OrderItem",
        lines="OrderItems",
        name="OrderNumber",
        opportunity=None,
        account="Account.",
        owner="Owner",
        close_date="EffectiveDate",
        product="Product2.",
        quantity="Quantity",
        total="TotalPrice",
        service_date="ServiceDate",
        end_date="EndDate",
        status="Status",
    ),
    "Contract": Source(
        object="Contract",
        line_object="OrderItem",
        lines=None,
        name="ContractNumber",
        opportunity=None,
        account="Account.",
        owner="Owner",
        close_date="StartDate",
        product="Product2.",
        quantity="Quantity",
        total="TotalPrice",
        service_date="ServiceDate",
        end_date="EndDate",
        status="Status",
    ),
}
_OPPORTUNITY_FIELDS = ("StageName", "Probability", "IsClosed", "IsWon")
_PARENT_OF_LINE = {
    "OpportunityLineItem": ("Opportunity", "OpportunityId"),
    "QuoteLineItem": ("Quote", "QuoteId"),
    "SBQQ__QuoteLine__c": ("SBQQ__Quote__c", "SBQQ__Quote__c"),
    "OrderItem": ("Order", "OrderId"),
}
FOLLOWED_OBJECTS = frozenset(SOURCES) | frozenset(_PARENT_OF_LINE) | {ACCOUNT_OBJECT}


def read_deal(
    client: SalesforceClient, source_object: str, deal_id: str, fields: SourceFields
) -> Deal:
    """The commercial parent with its lines, as Salesforce holds it now.

    Raises NotFound when the record does not exist, InvalidRequest for an ID
    that is not one.
    """
    source = SOURCES[source_object]
    if source.object == "Order":
        return _read_order(client, source, deal_id, fields)
    rows = client.query(_deal_soql(source, deal_id, fields))
    if not rows:
        raise NotFound(f"{source_object} {deal_id} does not exist", system="salesforce")
    row = rows[0]
    deal = _deal(source, row, fields)
    line_rows = _line_rows(client, source, row, fields)
    lines = tuple(_line(source, line, fields) for line in line_rows)
    return _with_lines(deal, lines)


def chosen_quote(
    client: SalesforceClient, source_object: str, opportunity_id: str
) -> str | None:
    """The opportunity's quote that counts: the syncing one, or the primary.

    A standard quote counts when ``IsSyncing``; when none syncs, the newest
    quote not rejected or denied. A CPQ quote counts when it is primary
    (the newest primary, should there be several).
    """
    if source_object == "SBQQ__Quote__c":
        rows = _select(
            client,
            "Id",
            "SBQQ__Quote__c",
            f"SBQQ__Opportunity2__c = {soql_id(opportunity_id)} "
            "AND SBQQ__Primary__c = true ORDER BY CreatedDate DESC LIMIT 1",
        )
        return str(rows[0]["Id"]) if rows else None
    rows = _select(
        client,
        "Id, IsSyncing, Status",
        "Quote",
        f"OpportunityId = {soql_id(opportunity_id)} ORDER BY CreatedDate DESC",
    )
    syncing = [row for row in rows if row.get("IsSyncing")]
    usable = syncing or [
        row for row in rows if row.get("Status") not in REJECTED_QUOTES
    ]
    return str(usable[0]["Id"]) if usable else None


def deals_to_derive(
    client: SalesforceClient, source_object: str, record_object: str, record_id: str
) -> list[str]:
    """The IDs of the master deals a change to this record calls for deriving.

    ``source_object`` is the policy's master object. A record of a kind
    that cannot lead to it gives an empty list; so does a line or parent
    that no longer exists.
    """
    finder = _FINDERS.get(record_object)
    if finder is None:
        return []
    found = finder(client, source_object, record_id)
    return sorted(dict.fromkeys(found))


# -- what to derive --------------------------------------------------------


Finder = Callable[[SalesforceClient, str, str], list[str]]


def _from_line(line_object: str) -> Finder:
    parent_object, parent_field = _PARENT_OF_LINE[line_object]

    def find(client: SalesforceClient, source: str, record_id: str) -> list[str]:
        rows = _select(client, parent_field, line_object, _by_id(record_id))
        if not rows or not rows[0].get(parent_field):
            return []
        return _FINDERS[parent_object](client, source, str(rows[0][parent_field]))

    return find


def _from_opportunity(client: SalesforceClient, source: str, opp: str) -> list[str]:
    if source == "Opportunity":
        return [opp]
    if source in ("Quote", "SBQQ__Quote__c"):
        quote = chosen_quote(client, source, opp)
        return [quote] if quote else []
    if source == "Order":
        rows = _select(
            client, "Id, (SELECT Id FROM Orders)", "Opportunity", _by_id(opp)
        )
        return [str(order["Id"]) for order in _children(rows, "Orders")]
    return _ids(client, "Opportunity", _by_id(opp), "ContractId")


def _from_quote(quote_object: str, opportunity_field: str) -> Finder:
    def find(client: SalesforceClient, source: str, quote: str) -> list[str]:
        rows = _select(client, opportunity_field, quote_object, _by_id(quote))
        opportunity = rows[0].get(opportunity_field) if rows else None
        if source != quote_object:
            return _from_opportunity(client, source, opportunity) if opportunity else []
        chosen = chosen_quote(client, source, opportunity) if opportunity else None
        return [quote] + ([chosen] if chosen else [])

    return find


def _from_order(client: SalesforceClient, source: str, order: str) -> list[str]:
    if source == "Order":
        return [order]
    if source != "Contract":
        return []
    try:
        row = client.get("Order", order, fields=("ContractId",))
    except NotFound:
        return []
    return [str(row["ContractId"])] if row.get("ContractId") else []


def _from_contract(client: SalesforceClient, source: str, contract: str) -> list[str]:
    return [contract] if source == "Contract" else []


def _from_account(client: SalesforceClient, source: str, account: str) -> list[str]:
    """The account's open opportunities' deals, and every deal it has projects of.

    A region or segment set on the account may unblock projects of a deal
    that is already won, so those deals are derived too.
    """
    open_deals = [
        deal
        for opportunity in _ids(
            client,
            "Opportunity",
            f"AccountId = {soql_id(account)} AND IsClosed = false",
        )
        for deal in _from_opportunity(client, source, opportunity)
    ]
    with_projects = _ids(
        client,
        "Project__c",
        f"Account__c = {soql_id(account)} AND Source_Object__c = '{source}'",
        "Source_Record_Id__c",
    )
    return open_deals + with_projects


def _ids(
    client: SalesforceClient, origin: str, where: str, field: str = "Id"
) -> list[str]:
    rows = _select(client, field, origin, where)
    return [str(row[field]) for row in rows if row.get(field)]


def _children(rows: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [
        child for row in rows for child in ((row.get(name) or {}).get("records") or [])
    ]


def _by_id(record_id: str) -> str:
    return f"Id = {soql_id(record_id)}"


def _select(
    client: SalesforceClient, columns: str, origin: str, where: str
) -> list[dict[str, Any]]:
    """Run one SOQL query; IDs in ``where`` went through ``soql_id``."""
    return client.query(_soql(columns, origin, where))


def _soql(columns: str, origin: str, where: str = "") -> str:
    clause = f" WHERE {where}" if where else ""
    return f"SELECT {columns} FROM {origin}{clause}"  # noqa: S608 - checked IDs


_FINDERS: dict[str, Finder] = {
    "Opportunity": _from_opportunity,
    "Quote": _from_quote("Quote", "OpportunityId"),
    "SBQQ__Quote__c": _from_quote("SBQQ__Quote__c", "SBQQ__Opportunity2__c"),
    "Order": _from_order,
    "Contract": _from_contract,
    ACCOUNT_OBJECT: _from_account,
    **{line: _from_line(line) for line in _PARENT_OF_LINE},
}


# -- reading ---------------------------------------------------------------


def _deal_soql(source: Source, deal_id: str, fields: SourceFields) -> str:
    columns = _deal_columns(source, fields)
    if source.lines:
        columns.append(f"({_lines_soql(source, fields)})")
    return _soql(", ".join(dict.fromkeys(columns)), source.object, _by_id(deal_id))


def _deal_columns(source: Source, fields: SourceFields) -> list[str]:
    columns = ["Id", source.name, source.close_date, *_account_paths(source, fields)]
    columns += [source.owner_path("Id"), source.owner_path("Email")]
    if source.opportunity is not None:
        columns += [f"{source.opportunity}{name}" for name in _OPPORTUNITY_FIELDS]
    if source.opportunity_id:
        columns.append(source.opportunity_id)
    if source.status:
        columns.append(source.status)
    if source.object == "Quote":
        columns += ["IsSyncing", "Status"]
    if source.object == "SBQQ__Quote__c":
        columns.append("SBQQ__Primary__c")
    return columns


def _read_order(
    client: SalesforceClient, source: Source, order_id: str, fields: SourceFields
) -> Deal:
    """An Order, read through its items with the order's fields alongside.

    Reading the items with ``Order.…`` paths takes one call; an order with
    no items is read by ID instead, which needs no account or owner.
    """
    parent = [f"Order.{column}" for column in _deal_columns(source, fields)]
    columns = ", ".join(dict.fromkeys([*_line_columns(source, fields), *parent]))
    rows = _select(client, columns, "OrderItem", f"OrderId = {soql_id(order_id)}")
    if rows:
        deal = _deal(source, rows[0]["Order"], fields)
        return _with_lines(deal, [_line(source, row, fields) for row in rows])
    own = ("OrderNumber", "EffectiveDate", "Status", "AccountId", "OwnerId")
    order = client.get("Order", order_id, fields=own)
    row = {**order, "Id": order_id, "Account": {"Id": order.get("AccountId")}}
    return _deal(source, row, fields)


def _lines_soql(source: Source, fields: SourceFields, *, where: str = "") -> str:
    origin = source.lines if not where else source.line_object
    columns = _line_columns(source, fields)
    return _soql(", ".join(columns), origin or source.line_object, where)


def _line_columns(source: Source, fields: SourceFields) -> list[str]:
    columns = ["Id", source.quantity, source.total, source.service_date]
    columns += [f"{source.product}{name}" for name in ("Name", "ProductCode", "Family")]
    columns += [fields.bundle_key, UPSELL_FIELD, UPSELL_KEY]
    if source.end_date:
        columns.append(source.end_date)
    return columns


def _account_paths(source: Source, fields: SourceFields) -> list[str]:
    return [
        f"{source.account}Id",
        f"{source.account}Name",
        _relative(source, fields.region),
        _relative(source, fields.segment),
    ]


def _relative(source: Source, path: str) -> str:
    """A policy path written relative to an opportunity or order, for ``source``."""
    if path.startswith("Account."):
        return source.account + path.removeprefix("Account.")
    return f"{source.opportunity or ''}{path}"


def _line_rows(
    client: SalesforceClient,
    source: Source,
    row: Mapping[str, Any],
    fields: SourceFields,
) -> list[Mapping[str, Any]]:
    if source.object == "Contract":
        where = f"Order.ContractId = {soql_id(str(row['Id']))}"
        return list(client.query(_lines_soql(source, fields, where=where)))
    if not _is_chosen(client, source, row):
        return []
    assert source.lines is not None
    return _children([row], source.lines)


def _is_chosen(
    client: SalesforceClient, source: Source, row: Mapping[str, Any]
) -> bool:
    if source.object not in ("Quote", "SBQQ__Quote__c"):
        return True
    assert source.opportunity_id is not None
    opportunity = field_path(row, source.opportunity_id)
    if not opportunity:
        return False
    return bool(chosen_quote(client, source.object, str(opportunity)) == row["Id"])


def _deal(source: Source, row: Mapping[str, Any], fields: SourceFields) -> Deal:
    opportunity = source.opportunity

    def opp(name: str) -> Any:
        return None if opportunity is None else field_path(row, opportunity + name)

    status = field_path(row, source.status) if source.status else None
    return Deal(
        id=str(row["Id"]),
        source_object=source.object,
        name=str(field_path(row, source.name) or row["Id"]),
        account_id=field_path(row, f"{source.account}Id"),
        account_name=field_path(row, f"{source.account}Name"),
        region=field_path(row, _relative(source, fields.region)),
        segment=field_path(row, _relative(source, fields.segment)),
        owner_id=field_path(row, source.owner_path("Id")),
        owner_email=field_path(row, source.owner_path("Email")),
        stage=opp("StageName"),
        probability=_decimal(opp("Probability")),
        is_closed=bool(opp("IsClosed")),
        is_won=bool(opp("IsWon")),
        close_date=_date(field_path(row, source.close_date)),
        opportunity_id=field_path(row, source.opportunity_id)
        if source.opportunity_id
        else None,
        status=status,
        is_activated=status == "Activated",
    )


def _with_lines(deal: Deal, lines: Sequence[CommercialLine]) -> Deal:
    return replace(deal, lines=tuple(lines))


def _line(
    source: Source, row: Mapping[str, Any], fields: SourceFields
) -> CommercialLine:
    product = source.product
    return CommercialLine(
        id=str(row["Id"]),
        source_object=source.line_object,
        product_name=field_path(row, f"{product}Name") or "",
        product_code=field_path(row, f"{product}ProductCode"),
        product_family=field_path(row, f"{product}Family"),
        quantity=_decimal(row.get(source.quantity)) or Decimal(1),
        total_price=_decimal(row.get(source.total)),
        service_date=_date(row.get(source.service_date)),
        end_date=_date(row.get(source.end_date)) if source.end_date else None,
        bundle_key=field_path(row, fields.bundle_key),
        upsell_of_key=field_path(row, UPSELL_KEY),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None
