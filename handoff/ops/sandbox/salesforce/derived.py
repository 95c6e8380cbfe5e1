"""Fields the platform computes: stages, line totals, roll-ups, numbers.

``on_write`` fills the derived fields of the record being written, before
validation; ``after_write`` updates its parents (Opportunity Amount from its
lines, Quote and Order totals, a CPQ quote's net amount) inside the same transaction, so their change
events share its transaction key.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.standard import OPPORTUNITY_STAGES

if TYPE_CHECKING:
    from handoff.ops.sandbox.salesforce.org import Transaction
    from handoff.ops.sandbox.salesforce.schema import ObjectSchema

__all__ = ["after_write", "on_write"]

Record = dict[str, Any]

# child object -> (parent object, parent field on child, {parent field: child field})
ROLL_UPS: dict[str, tuple[str, str, dict[str, str]]] = {
    "OpportunityLineItem": ("Opportunity", "OpportunityId", {"Amount": "TotalPrice"}),
    "QuoteLineItem": (
        "Quote",
        "QuoteId",
        {
            "Subtotal": "TotalPrice",
            "TotalPrice": "TotalPrice",
            "GrandTotal": "TotalPrice",
        },
    ),
    "OrderItem": ("Order", "OrderId", {"TotalAmount": "TotalPrice"}),
    # CPQ's calculator keeps the quote's net amount at the sum of its lines'
    # net totals; a line added, changed or deleted so changes its quote.
    "SBQQ__QuoteLine__c": (
        "SBQQ__Quote__c",
        "SBQQ__Quote__c",
        {"SBQQ__NetAmount__c": "SBQQ__NetTotal__c"},
    ),
}
AUTONUMBERS = {
    "Contract": ("ContractNumber", "{:08d}"),
    "Order": ("OrderNumber", "{:08d}"),
    "SBQQ__Quote__c": ("Name", "Q-{:05d}"),
    "SBQQ__QuoteLine__c": ("Name", "QL-{:07d}"),
}


def on_write(
    tx: Transaction,
    schema: ObjectSchema,
    record: Record,
    before: Record | None,
    explicit: set[str],
) -> None:
    """Fill the fields the platform derives for this record."""
    if before is None:
        _defaults_on_create(tx, schema, record)
    handler = _HANDLERS.get(schema.name)
    if handler is not None:
        handler(tx, record, before, explicit)


def after_write(
    tx: Transaction, schema: ObjectSchema, record: Record, before: Record | None
) -> None:
    """Recompute the parents this record rolls up into."""
    rule = ROLL_UPS.get(schema.name)
    if rule is None:
        return
    parent_name, parent_field, _ = rule
    parent_ids = {record.get(parent_field), (before or {}).get(parent_field)}
    for parent_id in parent_ids - {None}:
        _roll_up(tx, schema.name, parent_name, str(parent_id))


def _defaults_on_create(tx: Transaction, schema: ObjectSchema, record: Record) -> None:
    numbering = AUTONUMBERS.get(schema.name)
    if numbering is not None:
        name, pattern = numbering
        record[name] = pattern.format(tx.org.next_autonumber(schema.name))
    elif schema.custom and record.get("Name") in (None, ""):
        record["Name"] = record["Id"]


def _roll_up(tx: Transaction, child: str, parent_name: str, parent_id: str) -> None:
    _, parent_field, sums = ROLL_UPS[child]
    lines = tx.org.find(child, parent_field, parent_id)
    parent_schema = tx.org.schema(parent_name)
    parent = tx.org.table(parent_name).get(parent_id)
    if parent is None or parent["IsDeleted"]:
        return
    values: Record = {}
    if lines or parent_name != "Opportunity":
        for target, source in sums.items():
            values[target] = float(sum(line.get(source) or 0 for line in lines))
    if parent_name == "Opportunity":
        values["HasOpportunityLineItem"] = bool(lines)
        amount = values.get("Amount", parent.get("Amount"))
        values["ExpectedRevenue"] = _expected(amount, parent.get("Probability"))
    tx.system_update(parent_schema, parent_id, **values)


def _expected(amount: Any, probability: Any) -> float | None:
    if amount is None or probability is None:
        return None
    return round(float(amount) * float(probability) / 100, 2)


def _opportunity(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    stage = record.get("StageName")
    stage_changed = before is None or before.get("StageName") != stage
    if stage_changed and stage in OPPORTUNITY_STAGES:
        probability, category, closed, won = OPPORTUNITY_STAGES[stage]
        record["IsClosed"], record["IsWon"] = closed, won
        if "Probability" not in explicit:
            record["Probability"] = float(probability)
        if "ForecastCategoryName" not in explicit:
            record["ForecastCategoryName"] = category
    if before is not None:
        lines = tx.org.find("OpportunityLineItem", "OpportunityId", record["Id"])
        if lines:
            record["Amount"] = float(sum(line.get("TotalPrice") or 0 for line in lines))
    record["ExpectedRevenue"] = _expected(
        record.get("Amount"), record.get("Probability")
    )
    _sync_quote(tx, record, before)


def _sync_quote(tx: Transaction, record: Record, before: Record | None) -> None:
    """Mark the synced quote as syncing and the previous one as not.

    Salesforce also copies a synced quote's lines onto the opportunity; the
    sandbox does not, so tests create the lines they need on both.
    """
    synced, previous = record.get("SyncedQuoteId"), (before or {}).get("SyncedQuoteId")
    if synced == previous:
        return
    quotes = tx.org.schema("Quote")
    if synced is not None:
        quote = tx.org.table("Quote").get(synced)
        if quote is None or quote.get("OpportunityId") != record["Id"]:
            raise SalesforceError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "Synced quote must belong to this opportunity",
                ["SyncedQuoteId"],
            )
        tx.system_update(quotes, synced, IsSyncing=True)
    if previous is not None and previous in tx.org.table("Quote"):
        tx.system_update(quotes, previous, IsSyncing=False)


def _opportunity_line(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    if before is None:
        entry = _entry(tx, record)
        opportunity = tx.org.table("Opportunity").get(record.get("OpportunityId") or "")
        _check_pricebook(tx, entry, opportunity)
        product = tx.org.table("Product2").get(entry["Product2Id"], {})
        record["Product2Id"] = entry["Product2Id"]
        record["ProductCode"] = product.get("ProductCode")
        record["ListPrice"] = entry["UnitPrice"]
        opportunity_name = (opportunity or {}).get("Name") or ""
        record["Name"] = f"{opportunity_name} {product.get('Name') or ''}".strip()
    _line_prices(record, explicit, creating=before is None)


def _entry(tx: Transaction, record: Record) -> Record:
    entry_id = record.get("PricebookEntryId")
    if entry_id is None:
        raise SalesforceError(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [PricebookEntryId]",
            ["PricebookEntryId"],
        )
    found = tx.org.lookup(entry_id)
    if found is None or found[0].name != "PricebookEntry" or found[1]["IsDeleted"]:
        raise SalesforceError(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            ["PricebookEntryId"],
        )
    return found[1]


def _check_pricebook(
    tx: Transaction, entry: Record, opportunity: Record | None
) -> None:
    if not entry.get("IsActive"):
        raise SalesforceError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: PricebookEntryId (pricebook entry is inactive)",
            ["PricebookEntryId"],
        )
    if opportunity is None:
        return
    book = opportunity.get("Pricebook2Id")
    if book is None:
        schema = tx.org.schema("Opportunity")
        tx.system_update(schema, opportunity["Id"], Pricebook2Id=entry["Pricebook2Id"])
    elif book != entry["Pricebook2Id"]:
        raise SalesforceError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: PricebookEntryId (pricebook entry is in a "
            "different pricebook than the one assigned to the opportunity)",
            ["PricebookEntryId"],
        )


def _line_prices(record: Record, explicit: set[str], *, creating: bool) -> None:
    quantity = float(record.get("Quantity") or 0)
    discount = float(record.get("Discount") or 0)
    factor = quantity * (1 - discount / 100)
    if creating and {"UnitPrice", "TotalPrice"} <= explicit:
        raise SalesforceError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: TotalPrice (cannot specify both UnitPrice "
            "and TotalPrice)",
            ["TotalPrice"],
        )
    if "TotalPrice" in explicit and record.get("TotalPrice") is not None:
        record["UnitPrice"] = round(record["TotalPrice"] / factor, 2) if factor else 0.0
    elif record.get("UnitPrice") is None:
        raise SalesforceError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: unknown (must specify either UnitPrice or "
            "TotalPrice)",
            ["UnitPrice"],
        )
    record["Subtotal"] = round(quantity * float(record["UnitPrice"]), 2)
    record["TotalPrice"] = round(factor * float(record["UnitPrice"]), 2)


def _priced_line(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    if before is None:
        record["Product2Id"] = _entry(tx, record)["Product2Id"]
    quantity = float(record.get("Quantity") or 0)
    discount = float(record.get("Discount") or 0) if "Discount" in record else 0.0
    record["TotalPrice"] = round(
        quantity * float(record.get("UnitPrice") or 0) * (1 - discount / 100), 2
    )


def _pricebook_entry(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    product = tx.org.table("Product2").get(record.get("Product2Id") or "", {})
    record["Name"] = product.get("Name")
    record["ProductCode"] = product.get("ProductCode")
    if before is not None:
        return
    book = tx.org.table("Pricebook2").get(record.get("Pricebook2Id") or "", {})
    if book.get("IsStandard"):
        return
    standard = [
        entry
        for entry in tx.org.find("PricebookEntry", "Product2Id", record["Product2Id"])
        if tx.org.table("Pricebook2").get(entry["Pricebook2Id"], {}).get("IsStandard")
    ]
    if not standard:
        raise SalesforceError(
            400,
            "STANDARD_PRICE_NOT_DEFINED",
            "No standard price defined for this product",
            [],
        )


def _user(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    record["Name"] = " ".join(
        part for part in (record.get("FirstName"), record.get("LastName")) if part
    )
    if not record.get("Alias"):
        record["Alias"] = (record.get("LastName") or "user")[:8]


def _quote(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    opportunity = tx.org.table("Opportunity").get(record.get("OpportunityId") or "")
    record["AccountId"] = (opportunity or {}).get("AccountId")
    if record.get("Status") is None:
        record["Status"] = "Draft"


def _contract(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    start, term = record.get("StartDate"), record.get("ContractTerm")
    if start is None or term is None:
        record["EndDate"] = None
        return
    first = dt.date.fromisoformat(start)
    months = first.month - 1 + int(term)
    shifted = first.replace(
        year=first.year + months // 12, month=months % 12 + 1, day=1
    )
    record["EndDate"] = (
        shifted + dt.timedelta(days=first.day - 1) - dt.timedelta(days=1)
    ).isoformat()


def _order(
    tx: Transaction, record: Record, before: Record | None, explicit: set[str]
) -> None:
    activated = record.get("Status") == "Activated"
    if activated and (before is None or before.get("Status") != "Activated"):
        record["ActivatedDate"] = tx.org.now()


_HANDLERS = {
    "Opportunity": _opportunity,
    "OpportunityLineItem": _opportunity_line,
    "QuoteLineItem": _priced_line,
    "OrderItem": _priced_line,
    "PricebookEntry": _pricebook_entry,
    "User": _user,
    "Quote": _quote,
    "Contract": _contract,
    "Order": _order,
}
