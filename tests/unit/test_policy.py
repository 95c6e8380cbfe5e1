"""The policy file: defaults for everything, and typos refused by name."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from handoff.domain.policy import DEFAULT_POLICY, Policy, ProductRules


@pytest.mark.parametrize(
    "section",
    [
        "products",
        "naming",
        "routing",
        "forecast",
        "rocketlane",
        "validation",
        "fields",
        "mapping",
        "milestones",
        "revenue",
        "rollups",
    ],
)
def test_an_unknown_key_in_any_section_is_refused_by_name(section: str) -> None:
    with pytest.raises(ValidationError, match="tyop"):
        Policy.model_validate({section: {"tyop": 1}})


@pytest.mark.parametrize(
    ("source", "sobject"),
    [
        pytest.param("opportunity", "Opportunity", id="opportunity"),
        pytest.param("quote", "Quote", id="quote"),
        pytest.param("cpq_quote", "SBQQ__Quote__c", id="cpq"),
        pytest.param("order", "Order", id="order"),
        pytest.param("contract", "Contract", id="contract"),
    ],
)
def test_the_source_names_its_salesforce_object(source: Any, sobject: str) -> None:
    assert Policy(source=source).source_object == sobject


def test_the_defaults_match_the_documented_behaviour() -> None:
    policy = DEFAULT_POLICY

    assert [field.rocketlane for field in policy.mapping.fields] == [
        "projectName",
        "startDate",
        "dueDate",
        "owner",
        "status",
        "budgetedHours",
    ]
    assert {field.owner for field in policy.mapping.fields} == {"salesforce"}
    assert policy.milestones.accepted_status_labels == ("Completed",)
    assert policy.revenue.method == "milestone"
    assert policy.rollups.targets == {
        "Opportunity": "Opportunity__c",
        "Account": "Account__c",
    }


def test_a_policy_file_shape_loads() -> None:
    policy = Policy.model_validate(
        {
            "source": "order",
            "products": {"skus": {"TRAIN-1": "project"}},
            "mapping": {
                "fields": [
                    {"salesforce": "Name", "rocketlane": "projectName"},
                    {
                        "salesforce": "Due_Date__c",
                        "rocketlane": "dueDate",
                        "owner": "rocketlane",
                    },
                ]
            },
            "milestones": {"accepted_field_id": 42, "accepted_field_values": ["Yes"]},
            "revenue": {"method": "eac"},
        }
    )

    assert policy.products.treatment("Training", "TRAIN-1") == "project"
    assert policy.mapping.fields[1].owner == "rocketlane"


@pytest.mark.parametrize(
    ("family", "sku", "treatment"),
    [
        pytest.param("Software", "TRAIN-1", "retainer", id="sku-overrides-family"),
        pytest.param(
            "Implementation", "TRAIN-1", "retainer", id="sku-wins-over-project"
        ),
        pytest.param(
            "Implementation", "OTHER", "project", id="family-when-sku-unknown"
        ),
        pytest.param(None, None, "ignore", id="nothing-known-is-ignored"),
    ],
)
def test_product_treatment(family: str | None, sku: str | None, treatment: str) -> None:
    rules = ProductRules(skus={"TRAIN-1": "retainer"})

    assert rules.treatment(family, sku) == treatment
