"""Template routing: which Rocketlane template a project is built from.

Routes come from the policy file, or from the Handoff_Template_Route__c
custom object when admins keep them in Salesforce (``routes_from_records``).
Routes with a priority are tried first, lowest number first; the rest keep
their order. The first route whose every condition matches wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .policy import Route, RoutingRules

__all__ = ["RouteTable", "by_priority", "route_template", "routes_from_records"]

ROUTE_FIELDS = {
    "sku": "SKU__c",
    "family": "Family__c",
    "region": "Region__c",
    "segment": "Segment__c",
}


@dataclass(frozen=True)
class RouteTable:
    """Routes read from Salesforce, in the order they are tried, and the rows
    that could not be read, each as a sentence an admin can act on."""

    routes: tuple[Route, ...]
    problems: tuple[str, ...] = ()


def route_template(
    rules: RoutingRules,
    *,
    sku: str | None,
    family: str | None,
    region: str | None,
    segment: str | None,
    routes: Iterable[Route] | None = None,
) -> int | None:
    """The template of the first route whose every condition matches.

    ``routes`` overrides the policy's own list (for routes read from a
    Salesforce custom object). Matching ignores case. Falls back to the
    default template, which may be None.
    """
    attributes = {"sku": sku, "family": family, "region": region, "segment": segment}
    for route in by_priority(rules.routes if routes is None else routes):
        if _matches(route, attributes):
            return route.template_id
    return rules.default_template_id


def by_priority(routes: Iterable[Route]) -> list[Route]:
    """Routes in the order they are tried: by priority, unprioritised last."""
    return sorted(
        routes, key=lambda route: (route.priority is None, route.priority or 0)
    )


def routes_from_records(records: Sequence[Mapping[str, Any]]) -> RouteTable:
    """Handoff_Template_Route__c rows as routes; inactive rows are skipped."""
    routes: list[Route] = []
    problems: list[str] = []
    for record in records:
        if record.get("Active__c") is False:
            continue
        route, problem = _route(record)
        if route is not None:
            routes.append(route)
        if problem:
            problems.append(problem)
    return RouteTable(tuple(by_priority(routes)), tuple(problems))


def _route(record: Mapping[str, Any]) -> tuple[Route | None, str | None]:
    name = record.get("Name") or record.get("Id") or "a route"
    template = _whole(record.get("Template_Id__c"))
    if template is None or template <= 0:
        return None, f"Template route {name} has no valid Template_Id__c: set it."
    priority = _whole(record.get("Priority__c"))
    if record.get("Priority__c") is not None and priority is None:
        return (
            None,
            f"Template route {name} has a Priority__c that is not a whole number.",
        )
    conditions = {
        attr: _text(record.get(field)) for attr, field in ROUTE_FIELDS.items()
    }
    return Route(template_id=template, priority=priority, **conditions), None


def _whole(value: object) -> int | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return int(number) if number.is_finite() and number == int(number) else None


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _matches(route: Route, attributes: dict[str, str | None]) -> bool:
    for name, actual in attributes.items():
        wanted = getattr(route, name)
        if wanted is not None and (actual or "").casefold() != wanted.casefold():
            return False
    return True
