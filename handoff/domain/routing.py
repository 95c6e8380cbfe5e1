"""Template routing: which Rocketlane template a project is built from."""

from __future__ import annotations

from collections.abc import Iterable

from .policy import Route, RoutingRules

__all__ = ["route_template"]


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
    for route in rules.routes if routes is None else routes:
        if _matches(route, attributes):
            return route.template_id
    return rules.default_template_id


def _matches(route: Route, attributes: dict[str, str | None]) -> bool:
    for name, actual in attributes.items():
        wanted = getattr(route, name)
        if wanted is not None and (actual or "").casefold() != wanted.casefold():
            return False
    return True
