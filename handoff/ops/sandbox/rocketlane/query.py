"""List semantics shared by every "Get all" endpoint.

Filters are query keys ``<field>.<op>=<value>`` with the operators ``eq gt
lt ge le cn nc oneOf noneOf``, joined by ``match=all|any``; ``sortBy`` and
``sortOrder`` (default DESC) order the result; ``pageSize`` (default and
most 100) and ``pageToken`` page through it; ``includeFields`` and
``includeAllFields`` pick the properties each record shows.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .catalog import FieldSet
from .errors import bad_request

__all__ = [
    "Filter",
    "ListQuery",
    "PageTokens",
    "matches",
    "parse_bool",
    "select_fields",
    "sort_records",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
OPERATORS = ("eq", "gt", "lt", "ge", "le", "cn", "nc", "oneOf", "noneOf")
RESERVED_KEYS = frozenset(
    [
        "pageSize",
        "pageToken",
        "includeFields",
        "includeAllFields",
        "sortBy",
        "sortOrder",
        "match",
        "projectId",
        "startDate",
        "endDate",
        "sourceType",
    ]
)

Accessor = Callable[[Mapping[str, Any]], Any]


def parse_bool(value: str | None) -> bool:
    """A query boolean, compared case-insensitively ("TRUE" is true)."""
    return value is not None and value.strip().lower() == "true"


@dataclass(frozen=True)
class Filter:
    """One ``field.op=value`` condition."""

    field: str
    op: str
    value: str


@dataclass
class ListQuery:
    """A parsed list request: its filters, order, page and output options."""

    items: list[tuple[str, str]]
    filters: list[Filter] = field(default_factory=list)
    match_any: bool = False
    sort_by: str | None = None
    descending: bool = True
    page_size: int = DEFAULT_PAGE_SIZE
    page_token: str | None = None
    include_fields: list[str] = field(default_factory=list)
    include_all: bool = False

    @classmethod
    def parse(cls, items: Sequence[tuple[str, str]]) -> ListQuery:
        """Read a query string's (key, value) pairs, in order."""
        query = cls(items=[(k, v) for k, v in items if k != "pageToken"])
        for key, value in items:
            query._read(key, value)
        return query

    def first(self, key: str) -> str | None:
        """The first value sent for ``key``, if any."""
        return next((v for k, v in self.items if k == key), None)

    def filter_value(self, name: str, op: str = "eq") -> str | None:
        """The value of the filter ``name.op``, if it was sent."""
        found = [f.value for f in self.filters if (f.field, f.op) == (name, op)]
        return found[0] if found else None

    def _read(self, key: str, value: str) -> None:
        if key == "includeFields":
            self.include_fields += [p.strip() for p in value.split(",") if p.strip()]
        elif key == "includeAllFields":
            self.include_all = parse_bool(value)
        elif key == "match":
            self.match_any = value.strip().lower() == "any"
        elif key == "sortBy":
            self.sort_by = value
        elif key == "sortOrder":
            self.descending = value.strip().upper() != "ASC"
        elif key == "pageSize":
            self.page_size = _page_size(value)
        elif key == "pageToken":
            self.page_token = value or None
        elif "." in key and key not in RESERVED_KEYS:
            self._read_filter(key, value)

    def _read_filter(self, key: str, value: str) -> None:
        name, _, op = key.rpartition(".")
        if op in OPERATORS:
            self.filters.append(Filter(name, op, value))


def _page_size(value: str) -> int:
    try:
        size = int(value)
    except ValueError as exc:
        raise bad_request("Invalid page size", "pageSize") from exc
    if size < 1:
        raise bad_request("Invalid page size", "pageSize")
    return min(size, MAX_PAGE_SIZE)


def matches(
    record: Mapping[str, Any],
    query: ListQuery,
    accessors: Mapping[str, Accessor],
) -> bool:
    """Whether ``record`` passes the query's filters (unknown fields pass)."""
    known = [f for f in query.filters if f.field in accessors]
    if not known:
        return True
    results = (_test(accessors[f.field](record), f) for f in known)
    return any(results) if query.match_any else all(results)


def _test(actual: Any, condition: Filter) -> bool:
    values = list(actual) if isinstance(actual, list | tuple | set) else [actual]
    values = [v for v in values if v is not None]
    wanted = condition.value
    if condition.op in ("nc", "noneOf"):
        positive = Filter(condition.field, _POSITIVE[condition.op], wanted)
        return not _test(values, positive)
    if condition.op == "oneOf":
        options = [part.strip() for part in wanted.split(",")]
        return any(_equal(v, option) for v in values for option in options)
    if condition.op == "cn":
        return any(wanted.lower() in str(v).lower() for v in values)
    if condition.op == "eq":
        return any(_equal(v, wanted) for v in values)
    return any(_compare(v, wanted, condition.op) for v in values)


_POSITIVE = {"nc": "cn", "noneOf": "oneOf"}


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return actual == parse_bool(wanted)
    if isinstance(actual, int | float):
        return _number(wanted) == actual
    return str(actual) == wanted


def _compare(actual: Any, wanted: str, op: str) -> bool:
    left: Any = actual
    right: Any = wanted
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        right = _number(wanted)
        if right is None:
            return False
    else:
        left = str(actual)
    ordering = {
        "gt": left > right,
        "lt": left < right,
        "ge": left >= right,
        "le": left <= right,
    }
    return bool(ordering[op])


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def sort_records(
    records: list[dict[str, Any]],
    query: ListQuery,
    accessors: Mapping[str, Accessor],
    *,
    id_key: str,
) -> list[dict[str, Any]]:
    """Records in ID order, or by ``sortBy`` (DESC unless ASC was asked)."""
    ordered = sorted(records, key=lambda r: r[id_key])
    if query.sort_by is None or query.sort_by not in accessors:
        return ordered
    accessor = accessors[query.sort_by]
    present = [r for r in ordered if accessor(r) is not None]
    absent = [r for r in ordered if accessor(r) is None]
    present.sort(key=accessor, reverse=query.descending)
    return present + absent


def select_fields(
    full: Mapping[str, Any], field_set: FieldSet, query: ListQuery
) -> dict[str, Any]:
    """The properties of ``full`` that the output options ask for.

    ``includeFields=fields.<id>`` narrows ``fields`` to the custom fields
    asked for, in the order asked; one the record has no value for shows
    as ``{fieldId, fieldLabel: null, fieldValue: null}``.
    """
    if query.include_all or not field_set.default:
        return dict(full)
    wanted = set(field_set.default)
    for name in query.include_fields:
        wanted.update(field_set.optional.get(name, ()))
    selected = {key: value for key, value in full.items() if key in wanted}

    asked = _custom_field_ids(query.include_fields)
    if asked and "fields" in full:
        selected["fields"] = _custom_fields(full["fields"], asked)
    return selected


def _custom_field_ids(names: Iterable[str]) -> list[int]:
    found: list[int] = []
    for name in names:
        prefix, _, number = name.partition(".")
        if prefix == "fields" and number.isdigit() and int(number) not in found:
            found.append(int(number))
    return found


def _custom_fields(values: Iterable[Mapping[str, Any]], asked: list[int]) -> list[Any]:
    by_id = {value["fieldId"]: value for value in values}
    unset = {"fieldLabel": None, "fieldValue": None}
    return [by_id.get(field_id, {"fieldId": field_id, **unset}) for field_id in asked]


@dataclass
class _Cursor:
    path: str
    items: list[tuple[str, str]]
    offset: int
    expires_at: float


class PageTokens:
    """Opaque UUID page tokens, each valid for a limited time."""

    def __init__(self, *, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._cursors: dict[str, _Cursor] = {}
        self._lock = threading.Lock()

    def issue(self, path: str, items: list[tuple[str, str]], offset: int) -> str:
        """A new token pointing at ``offset`` of the search ``items``."""
        token = str(uuid.uuid4())
        expires_at = self._clock() + self._ttl_s
        with self._lock:
            self._cursors[token] = _Cursor(path, items, offset, expires_at)
        return token

    def redeem(self, path: str, token: str) -> tuple[list[tuple[str, str]], int]:
        """The original query and offset of ``token``; 400 when unknown."""
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None or cursor.path != path or cursor.expires_at < self._clock():
            raise bad_request("Invalid page token", "pageToken")
        return cursor.items, cursor.offset

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._cursors.clear()


def next_page_url(
    url: str, items: Iterable[tuple[str, str]], token: str, *, force_http: bool
) -> str:
    """The absolute ``nextPage``: the original query plus ``pageToken``."""
    parts = urlsplit(url)
    scheme = "http" if force_http else parts.scheme
    query = urlencode([*items, ("pageToken", token)])
    return urlunsplit((scheme, parts.netloc, parts.path, query, ""))
