"""Project names: a configurable pattern over the plan's attributes."""

from __future__ import annotations

import string
from collections.abc import Mapping

from .errors import PolicyInvalid
from .policy import NamingRules

__all__ = ["PLACEHOLDERS", "project_name"]

PLACEHOLDERS = frozenset({"account", "sku", "region", "product", "deal", "segment"})


def project_name(rules: NamingRules, values: Mapping[str, str | None]) -> str:
    """Fill the naming pattern; blanks become ``rules.missing``.

    The result is cut to ``rules.max_length`` (Project__c.Name holds 80).
    """
    _check_pattern(rules.pattern)
    filled = {key: (values.get(key) or rules.missing) for key in PLACEHOLDERS}
    name = rules.pattern.format_map(filled).strip()
    if len(name) > rules.max_length:
        name = name[: rules.max_length - 1].rstrip() + "…"
    return name


def _check_pattern(pattern: str) -> None:
    for _, field_name, _, _ in string.Formatter().parse(pattern):
        if field_name is not None and field_name not in PLACEHOLDERS:
            known = ", ".join(sorted(PLACEHOLDERS))
            raise PolicyInvalid(
                f"naming.pattern uses {{{field_name}}}; known placeholders: {known}"
            )
