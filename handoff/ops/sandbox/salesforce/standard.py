"""Standard and managed-package objects the sandbox holds, as data.

Field lists follow the object reference for the fields a PSA sync touches;
system fields (Id, CreatedDate, ...) are added to every object by
``with_system_fields``. SBQQ objects belong to the Salesforce CPQ managed
package, so they live here rather than in Handoff's SFDX source.
"""

from __future__ import annotations

from handoff.ops.sandbox.salesforce.schema import FieldSchema, ObjectSchema

__all__ = ["OPPORTUNITY_STAGES", "standard_objects", "with_system_fields"]

# Stage -> (probability, forecast category, is closed, is won).
OPPORTUNITY_STAGES: dict[str, tuple[int, str, bool, bool]] = {
    "Prospecting": (10, "Pipeline", False, False),
    "Qualification": (10, "Pipeline", False, False),
    "Needs Analysis": (20, "Pipeline", False, False),
    "Value Proposition": (50, "Pipeline", False, False),
    "Id. Decision Makers": (60, "Pipeline", False, False),
    "Perception Analysis": (70, "Pipeline", False, False),
    "Proposal/Price Quote": (75, "Pipeline", False, False),
    "Negotiation/Review": (90, "Pipeline", False, False),
    "Closed Won": (100, "Closed", True, True),
    "Closed Lost": (0, "Omitted", True, False),
}
FORECAST_CATEGORIES = ("Omitted", "Pipeline", "Best Case", "Commit", "Closed")


def _f(name: str, kind: str = "string", **options: object) -> FieldSchema:
    length = options.pop("length", 255 if kind in ("string", "picklist") else 0)
    return FieldSchema(name=name, type=kind, length=length, **options)  # type: ignore[arg-type]


def _ro(name: str, kind: str = "string", **options: object) -> FieldSchema:
    return _f(name, kind, createable=False, updateable=False, **options)


def _ref(
    name: str,
    target: str,
    child: str | None,
    *,
    required: bool = False,
    **extra: object,
) -> FieldSchema:
    relationship = name[:-2] if name.endswith("Id") else name[:-3] + "__r"
    return _f(
        name,
        "reference",
        reference_to=(target,),
        relationship_name=relationship,
        child_relationship=child,
        required=required,
        length=18,
        **extra,
    )


def _pick(
    name: str, values: tuple[str, ...], *, restricted: bool = False, **extra: object
) -> FieldSchema:
    return _f(name, "picklist", picklist=values, restricted=restricted, **extra)


def with_system_fields(schema: ObjectSchema, *, owned: bool) -> ObjectSchema:
    """Put Id first and the audit fields last, as describe lists them."""
    fields = list(schema.fields.values())
    schema.fields.clear()
    schema.add(_ro("Id", "id", length=18))
    for spec in fields:
        schema.add(spec)
    if owned and schema.field("OwnerId") is None:
        schema.add(_ref("OwnerId", "User", None))
    schema.add(_ro("IsDeleted", "boolean"))
    for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        schema.add(_ro(name, "datetime"))
    for name in ("CreatedById", "LastModifiedById"):
        schema.add(
            _ro(
                name,
                "reference",
                reference_to=("User",),
                relationship_name=name[:-2],
                length=18,
            )
        )
    return schema


def _object(name: str, prefix: str, *fields: FieldSchema) -> ObjectSchema:
    schema = ObjectSchema(name=name, key_prefix=prefix, label=name)
    for spec in fields:
        schema.add(spec)
    return schema


def standard_objects() -> list[ObjectSchema]:
    """Fresh schemas of every standard and managed object, without system fields."""
    return [
        _user(),
        _account(),
        _product(),
        _pricebook(),
        _pricebook_entry(),
        _opportunity(),
        _opportunity_line(),
        _quote(),
        _quote_line(),
        _cpq_quote(),
        _cpq_quote_line(),
        _contract(),
        _order(),
        _order_item(),
    ]


def _user() -> ObjectSchema:
    return _object(
        "User",
        "005",
        _f("Username", length=80, required=True, unique=True),
        _f("Email", "email", length=128, required=True),
        _f("FirstName", length=40),
        _f("LastName", length=80, required=True),
        _ro("Name", length=121),
        _f("Alias", length=8),
        _f("IsActive", "boolean", default=True),
        _f("FederationIdentifier", length=512),
        _f("Title", length=80),
    )


def _account() -> ObjectSchema:
    return _object(
        "Account",
        "001",
        _f("Name", required=True),
        _pick("Type", ("Prospect", "Customer - Direct", "Customer - Channel", "Other")),
        _pick("Industry", ("Technology", "Finance", "Healthcare", "Retail", "Other")),
        _ref("ParentId", "Account", "ChildAccounts"),
        _f("BillingCity", length=40),
        _f("BillingCountry", length=80),
        _f("Website", "url"),
        _f("Description", "textarea", length=32000),
    )


def _product() -> ObjectSchema:
    return _object(
        "Product2",
        "01t",
        _f("Name", required=True),
        _f("ProductCode"),
        _pick("Family", ("None",)),
        _f("IsActive", "boolean", default=False),
        _f("Description", "textarea", length=4000),
        _f("QuantityUnitOfMeasure"),
        _f("ExternalId", external_id=True),
    )


def _pricebook() -> ObjectSchema:
    return _object(
        "Pricebook2",
        "01s",
        _f("Name", required=True),
        _f("IsActive", "boolean", default=False),
        _ro("IsStandard", "boolean", default=False),
        _f("Description"),
    )


def _pricebook_entry() -> ObjectSchema:
    return _object(
        "PricebookEntry",
        "01u",
        _ref("Pricebook2Id", "Pricebook2", "PricebookEntries", required=True),
        _ref("Product2Id", "Product2", "PricebookEntries", required=True),
        _f("UnitPrice", "currency", required=True, precision=18, scale=2),
        _f("IsActive", "boolean", default=False),
        _f("UseStandardPrice", "boolean", default=False),
        _ro("Name"),
        _ro("ProductCode"),
    )


def _opportunity() -> ObjectSchema:
    return _object(
        "Opportunity",
        "006",
        _f("Name", length=120, required=True),
        _ref("AccountId", "Account", "Opportunities"),
        _pick("StageName", tuple(OPPORTUNITY_STAGES), required=True, restricted=True),
        _f("CloseDate", "date", required=True),
        _f("Amount", "currency", precision=18, scale=2),
        _f("Probability", "percent", precision=3),
        _ro("ExpectedRevenue", "currency"),
        _ro("IsClosed", "boolean", default=False),
        _ro("IsWon", "boolean", default=False),
        _pick("ForecastCategoryName", FORECAST_CATEGORIES, restricted=True),
        _pick(
            "Type",
            (
                "Existing Customer - Upgrade",
                "Existing Customer - Replacement",
                "Existing Customer - Downgrade",
                "New Customer",
            ),
        ),
        _pick(
            "LeadSource",
            ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
        ),
        _ref("Pricebook2Id", "Pricebook2", "Opportunities"),
        _ref("ContractId", "Contract", None),
        _ref("SyncedQuoteId", "Quote", None),
        _ro("HasOpportunityLineItem", "boolean", default=False),
        _f("Description", "textarea", length=32000),
    )


def _opportunity_line() -> ObjectSchema:
    return _object(
        "OpportunityLineItem",
        "00k",
        _ref(
            "OpportunityId",
            "Opportunity",
            "OpportunityLineItems",
            required=True,
            updateable=False,
        ),
        _ref("PricebookEntryId", "PricebookEntry", None, updateable=False),
        _ref("Product2Id", "Product2", None, updateable=False),
        _ro("ProductCode"),
        _ro("Name", length=376),
        _f("Quantity", "double", required=True, precision=12, scale=2),
        _f("UnitPrice", "currency", precision=18, scale=2),
        _ro("ListPrice", "currency"),
        _f("TotalPrice", "currency", precision=18, scale=2),
        _ro("Subtotal", "currency"),
        _f("Discount", "percent", precision=18, scale=2),
        _f("ServiceDate", "date"),
        _f("Description"),
        _f("SortOrder", "int"),
    )


def _quote() -> ObjectSchema:
    statuses = (
        "Draft",
        "Needs Review",
        "In Review",
        "Approved",
        "Rejected",
        "Presented",
        "Accepted",
        "Denied",
    )
    return _object(
        "Quote",
        "0Q0",
        _f("Name", required=True),
        _ref("OpportunityId", "Opportunity", "Quotes", required=True),
        _ro("AccountId", "reference", reference_to=("Account",), length=18),
        _pick("Status", statuses),
        _ro("IsSyncing", "boolean", default=False),
        _f("ExpirationDate", "date"),
        _ref("Pricebook2Id", "Pricebook2", None),
        _ro("Subtotal", "currency"),
        _ro("TotalPrice", "currency"),
        _ro("GrandTotal", "currency"),
    )


def _quote_line() -> ObjectSchema:
    return _object(
        "QuoteLineItem",
        "0QL",
        _ref("QuoteId", "Quote", "QuoteLineItems", required=True, updateable=False),
        _ref(
            "PricebookEntryId", "PricebookEntry", None, required=True, updateable=False
        ),
        _ref("Product2Id", "Product2", None, updateable=False),
        _f("Quantity", "double", required=True, precision=12, scale=2),
        _f("UnitPrice", "currency", required=True, precision=18, scale=2),
        _f("Discount", "percent"),
        _ro("TotalPrice", "currency"),
        _f("ServiceDate", "date"),
    )


def _cpq_quote() -> ObjectSchema:
    return _object(
        "SBQQ__Quote__c",
        "a0q",
        _ro("Name", length=80),
        _ref("SBQQ__Opportunity2__c", "Opportunity", "SBQQ__Quotes2__r"),
        _ref("SBQQ__Account__c", "Account", "SBQQ__Quotes__r"),
        _f("SBQQ__Primary__c", "boolean", default=False),
        _pick(
            "SBQQ__Status__c",
            ("Draft", "In Review", "Approved", "Denied", "Presented", "Accepted"),
        ),
        _pick("SBQQ__Type__c", ("Quote", "Renewal", "Amendment")),
        _f("SBQQ__NetAmount__c", "currency", precision=18, scale=2),
        _f("SBQQ__SubscriptionTerm__c", "double", precision=5),
        _f("SBQQ__StartDate__c", "date"),
        _f("SBQQ__EndDate__c", "date"),
        _ref("SBQQ__PriceBook__c", "Pricebook2", None),
    )


def _cpq_quote_line() -> ObjectSchema:
    return _object(
        "SBQQ__QuoteLine__c",
        "a0r",
        _ro("Name", length=80),
        _ref("SBQQ__Quote__c", "SBQQ__Quote__c", "SBQQ__LineItems__r", required=True),
        _ref("SBQQ__Product__c", "Product2", None),
        _f("SBQQ__ProductCode__c"),
        _f("SBQQ__Quantity__c", "double", precision=14, scale=2),
        _f("SBQQ__PriorQuantity__c", "double", precision=14, scale=2),
        _f("SBQQ__ListPrice__c", "currency"),
        _f("SBQQ__NetPrice__c", "currency"),
        _f("SBQQ__NetTotal__c", "currency"),
        _f("SBQQ__StartDate__c", "date"),
        _f("SBQQ__EndDate__c", "date"),
    )


def _contract() -> ObjectSchema:
    return _object(
        "Contract",
        "800",
        _ref("AccountId", "Account", "Contracts", required=True),
        _f("StartDate", "date"),
        _f("ContractTerm", "int"),
        _ro("EndDate", "date"),
        _pick(
            "Status",
            ("Draft", "In Approval Process", "Activated"),
            required=True,
            restricted=True,
        ),
        _ro("ContractNumber", length=30),
    )


def _order() -> ObjectSchema:
    return _object(
        "Order",
        "801",
        _ref("AccountId", "Account", "Orders", required=True),
        _f("EffectiveDate", "date", required=True),
        _pick("Status", ("Draft", "Activated"), required=True, restricted=True),
        _ref("Pricebook2Id", "Pricebook2", "Orders"),
        _ref("ContractId", "Contract", "Orders"),
        _ref("OpportunityId", "Opportunity", "Orders"),
        _ro("TotalAmount", "currency"),
        _ro("ActivatedDate", "datetime"),
        _ro("OrderNumber", length=30),
        _f("Name", length=80),
    )


def _order_item() -> ObjectSchema:
    return _object(
        "OrderItem",
        "802",
        _ref("OrderId", "Order", "OrderItems", required=True, updateable=False),
        _ref(
            "PricebookEntryId", "PricebookEntry", None, required=True, updateable=False
        ),
        _ref("Product2Id", "Product2", None, updateable=False),
        _f("Quantity", "double", required=True, precision=12, scale=2),
        _f("UnitPrice", "currency", required=True, precision=18, scale=2),
        _ro("TotalPrice", "currency"),
        _f("ServiceDate", "date"),
        _f("EndDate", "date"),
    )
