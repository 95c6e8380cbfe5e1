"""A minimal, realistic starting state: a user, a price book, products."""

from __future__ import annotations

from dataclasses import dataclass, field

from handoff.ops.sandbox.salesforce.config import INTEGRATION_USERNAME
from handoff.ops.sandbox.salesforce.org import SalesforceOrg

__all__ = ["SEED_PRODUCTS", "Seed", "seed_minimal"]

# (name, product code, family, standard list price)
SEED_PRODUCTS = (
    ("Implementation", "CORE-IMP", "Implementation", 25_000.0),
    ("Data Migration", "DATA-MIG", "Professional Services", 12_000.0),
    ("Advisory Retainer", "ADV-RET", "Retainer", 5_000.0),
    ("Platform License", "LIC-PLAT", "License", 30_000.0),
)


@dataclass
class Seed:
    """The IDs of what ``seed_minimal`` created."""

    user_id: str
    standard_pricebook_id: str
    products: dict[str, str] = field(default_factory=dict)
    entries: dict[str, str] = field(default_factory=dict)


def seed_minimal(org: SalesforceOrg) -> Seed:
    """Create the integration user, the standard price book and four products.

    Products are keyed by product code (CORE-IMP, DATA-MIG, ADV-RET,
    LIC-PLAT), each with an active standard price book entry. The seeding
    leaves no change events behind.
    """
    with org.transaction() as tx:
        user_id = tx.create(
            "User",
            {
                "Username": INTEGRATION_USERNAME,
                "Email": INTEGRATION_USERNAME,
                "FirstName": "Handoff",
                "LastName": "Integration",
            },
        )
    with org.transaction(user_id=user_id) as tx:
        book = tx.create(
            "Pricebook2", {"Name": "Standard Price Book", "IsActive": True}
        )
        tx.system_update(org.schema("Pricebook2"), book, IsStandard=True)
        seed = Seed(user_id=user_id, standard_pricebook_id=book)
        for name, code, family, price in SEED_PRODUCTS:
            product = tx.create(
                "Product2",
                {"Name": name, "ProductCode": code, "Family": family, "IsActive": True},
            )
            seed.products[code] = product
            seed.entries[code] = tx.create(
                "PricebookEntry",
                {
                    "Pricebook2Id": book,
                    "Product2Id": product,
                    "UnitPrice": price,
                    "IsActive": True,
                },
            )
    org.bus.clear()
    org.seed = seed
    return seed
