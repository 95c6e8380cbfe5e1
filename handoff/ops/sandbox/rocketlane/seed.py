"""A workspace seeded like a real account: people, customers, templates."""

from __future__ import annotations

from typing import Any

from .workspace import RocketlaneWorkspace

__all__ = ["seed_default"]

ROLE_PM = {"roleId": 11, "roleName": "Project Manager"}
ROLE_SPECIALIST = {"roleId": 12, "roleName": "Specialist"}
ROLE_CONSULTANT = {"roleId": 13, "roleName": "Consultant"}

USERS: list[dict[str, Any]] = [
    {
        "email": "pm@handoff.example",
        "firstName": "Priya",
        "lastName": "Manager",
        "role": ROLE_PM,
        "hourlyCostRate": 80.0,
        "hourlyBillRate": 180.0,
    },
    {
        "email": "integration@handoff.example",
        "firstName": "Handoff",
        "lastName": "Integration",
        "role": ROLE_PM,
        "hourlyCostRate": 0.0,
        "hourlyBillRate": 0.0,
    },
    {
        "email": "specialist@handoff.example",
        "firstName": "Sam",
        "lastName": "Specialist",
        "role": ROLE_SPECIALIST,
        "hourlyCostRate": 60.0,
        "hourlyBillRate": 150.0,
    },
    {
        "email": "consultant@handoff.example",
        "firstName": "Chris",
        "lastName": "Consultant",
        "role": ROLE_CONSULTANT,
        "hourlyCostRate": 70.0,
        "hourlyBillRate": 200.0,
    },
]

COMPANIES = [
    {"companyName": "Acme Corporation"},
    {"companyName": "Globex"},
    {"companyName": "Handoff Services", "companyType": "VENDOR"},
]

ROLES = [
    {**ROLE_PM, "placeholderName": "Project Manager", "minutesPerDay": 120},
    {**ROLE_SPECIALIST, "placeholderName": "Specialist", "minutesPerDay": 360},
    {
        **ROLE_CONSULTANT,
        "placeholderName": "Consultant pool",
        "minutesPerDay": 240,
        "allocationType": "SOFT",
    },
]


def _task(name: str, offset: int, days: int, effort: int, role: str) -> dict[str, Any]:
    return {
        "taskName": name,
        "startOffsetDays": offset,
        "durationDays": days,
        "effortInMinutes": effort,
        "role": role,
    }


def _milestone(name: str, offset: int) -> dict[str, Any]:
    return {"taskName": name, "startOffsetDays": offset, "type": "MILESTONE"}


GENERAL_IMPLEMENTATION = {
    "templateId": 1001,
    "templateName": "General implementation",
    "placeholderRoles": ROLES,
    "phases": [
        {
            "phaseName": "Kickoff",
            "startOffsetDays": 0,
            "durationDays": 7,
            "tasks": [
                _task("Kickoff call", 0, 1, 60, "Project Manager"),
                _task("Confirm scope", 1, 3, 240, "Project Manager"),
                _milestone("Kickoff complete", 6),
            ],
        },
        {
            "phaseName": "Configuration",
            "startOffsetDays": 7,
            "durationDays": 21,
            "tasks": [
                _task("Configure workspace", 0, 10, 1200, "Specialist"),
                _task("Integrations", 5, 10, 960, "Consultant"),
            ],
        },
        {
            "phaseName": "Go-live",
            "startOffsetDays": 28,
            "durationDays": 7,
            "tasks": [
                _task("User training", 0, 3, 480, "Specialist"),
                _milestone("Go-live accepted", 6),
            ],
        },
    ],
}

DATA_MIGRATION = {
    "templateId": 1002,
    "templateName": "Data migration",
    "placeholderRoles": ROLES[1:],
    "phases": [
        {
            "phaseName": "Mapping",
            "startOffsetDays": 0,
            "durationDays": 10,
            "tasks": [_task("Field mapping", 0, 5, 600, "Specialist")],
        },
        {
            "phaseName": "Migration",
            "startOffsetDays": 10,
            "durationDays": 10,
            "tasks": [
                _task("Trial load", 0, 4, 480, "Consultant"),
                _task("Final load", 5, 3, 480, "Specialist"),
                _milestone("Data signed off", 9),
            ],
        },
    ],
}

ADVISORY_RETAINER = {
    "templateId": 1003,
    "templateName": "Advisory retainer",
    "placeholderRoles": [ROLES[2]],
    "phases": [
        {
            "phaseName": "Advisory",
            "startOffsetDays": 0,
            "durationDays": 90,
            "tasks": [
                _task("Monthly review", 0, 1, 120, "Consultant"),
                _milestone("Quarter closed", 89),
            ],
        }
    ],
}

RATE_CARDS = [
    {
        "rateCardId": 2001,
        "rateCardName": "Standard 2026",
        "currency": "USD",
        "rates": {
            "Project Manager": {"billRate": 180.0, "costRate": 80.0},
            "Specialist": {"billRate": 150.0, "costRate": 60.0},
            "Consultant": {"billRate": 200.0, "costRate": 70.0},
        },
    },
    {
        "rateCardId": 2002,
        "rateCardName": "Partner discount",
        "currency": "USD",
        "rates": {
            "Project Manager": {"billRate": 150.0, "costRate": 80.0},
            "Specialist": {"billRate": 120.0, "costRate": 60.0},
            "Consultant": {"billRate": 160.0, "costRate": 70.0},
        },
    },
]


def seed_default(workspace: RocketlaneWorkspace) -> RocketlaneWorkspace:
    """Seed team members, a customer or two, templates 1001-1003, rate cards."""
    for user in USERS:
        workspace.add_user(user)
    workspace.add_user(
        {
            "email": "buyer@acme.example",
            "firstName": "Ada",
            "lastName": "Buyer",
            "type": "CUSTOMER",
        }
    )
    for company in COMPANIES:
        workspace.add_company(company)
    for template in (GENERAL_IMPLEMENTATION, DATA_MIGRATION, ADVISORY_RETAINER):
        workspace.add_template(template)
    for card in RATE_CARDS:
        workspace.add_rate_card(card)
    return workspace
