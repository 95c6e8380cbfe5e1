"""Template routing, from the policy or from Handoff_Template_Route__c rows."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.domain.policy import Route, RoutingRules
from handoff.domain.routing import route_template, routes_from_records

RULES = RoutingRules(
    routes=(
        Route(template_id=10, sku="IMPL-ENT"),
        Route(template_id=20, family="Implementation", region="EMEA"),
        Route(template_id=30, family="Implementation"),
        Route(template_id=40, segment="SMB"),
    ),
    default_template_id=99,
)


def _route(**attributes: str | None) -> int | None:
    values: dict[str, Any] = {
        "sku": None,
        "family": None,
        "region": None,
        "segment": None,
    }
    return route_template(RULES, **{**values, **attributes})


@pytest.mark.parametrize(
    ("attributes", "template"),
    [
        pytest.param({"sku": "IMPL-ENT", "region": "EMEA"}, 10, id="sku-first"),
        pytest.param(
            {"family": "Implementation", "region": "emea"}, 20, id="case-ignored"
        ),
        pytest.param({"family": "Implementation", "region": "APAC"}, 30, id="family"),
        pytest.param({"family": "Consulting", "segment": "SMB"}, 40, id="segment"),
        pytest.param({"family": "Consulting"}, 99, id="default"),
    ],
)
def test_the_first_matching_route_wins(
    attributes: dict[str, str], template: int
) -> None:
    assert _route(**attributes) == template


def test_no_route_and_no_default_gives_no_template() -> None:
    rules = RoutingRules(default_template_id=None)

    assert (
        route_template(rules, sku="X", family=None, region=None, segment=None) is None
    )


def test_a_prioritised_route_is_tried_before_the_listed_order() -> None:
    routes = [
        Route(template_id=1, family="Implementation"),
        Route(template_id=2, priority=1),
    ]

    template = route_template(
        RULES,
        sku=None,
        family="Implementation",
        region=None,
        segment=None,
        routes=routes,
    )

    assert template == 2


def _row(**fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Id": "a0R000000000001",
        "Name": "R-1",
        "SKU__c": None,
        "Family__c": "Implementation",
        "Region__c": None,
        "Segment__c": None,
        "Template_Id__c": 1001.0,
        "Priority__c": 10.0,
        "Active__c": True,
    }
    return {**row, **fields}


def test_salesforce_rows_become_routes_in_priority_order() -> None:
    rows = [
        _row(Name="late", Template_Id__c=3, Priority__c=30),
        _row(Name="none", Template_Id__c=4, Priority__c=None),
        _row(Name="first", Template_Id__c=1, Priority__c=1, Region__c=" EMEA "),
        _row(Name="second", Template_Id__c="2", Priority__c="20"),
    ]

    table = routes_from_records(rows)

    assert [route.template_id for route in table.routes] == [1, 2, 3, 4]
    assert table.routes[0].region == "EMEA"
    assert table.routes[0].sku is None
    assert table.problems == ()


def test_inactive_rows_are_skipped() -> None:
    table = routes_from_records([_row(Active__c=False), _row(Template_Id__c=7)])

    assert [route.template_id for route in table.routes] == [7]


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        pytest.param(
            _row(Template_Id__c=None), "no valid Template_Id__c", id="no-template"
        ),
        pytest.param(
            _row(Template_Id__c="abc"), "no valid Template_Id__c", id="text-template"
        ),
        pytest.param(
            _row(Template_Id__c=12.5), "no valid Template_Id__c", id="fractional"
        ),
        pytest.param(
            _row(Template_Id__c=0), "no valid Template_Id__c", id="zero-template"
        ),
        pytest.param(_row(Priority__c="high"), "not a whole number", id="bad-priority"),
    ],
)
def test_malformed_rows_are_reported_not_used(
    row: dict[str, Any], complaint: str
) -> None:
    table = routes_from_records([row, _row(Name="good", Template_Id__c=5)])

    assert [route.template_id for route in table.routes] == [5]
    [problem] = table.problems
    assert complaint in problem
    assert "R-1" in problem


def test_routes_read_from_salesforce_drive_routing() -> None:
    table = routes_from_records([_row(Template_Id__c=555, Region__c="APAC")])

    assert (
        route_template(
            RULES,
            sku=None,
            family="Implementation",
            region="APAC",
            segment=None,
            routes=table.routes,
        )
        == 555
    )
