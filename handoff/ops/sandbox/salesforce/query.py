"""Running parsed SOQL against the org, with REST's paging.

A query's rows are computed once, then served in pages of ``batchSize``
(default 2000, at least 200) under a locator; ``nextRecordsUrl`` has the
form ``/services/data/vNN.N/query/<locator>-<offset>``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handoff.ops.sandbox.salesforce import soql
from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.schema import FieldSchema, ObjectSchema
from handoff.ops.sandbox.salesforce.values import parse_datetime, sortable

if TYPE_CHECKING:
    from handoff.ops.sandbox.salesforce.org import SalesforceOrg

__all__ = ["DEFAULT_BATCH_SIZE", "QueryEngine"]

Record = dict[str, Any]
DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200


@dataclass(frozen=True)
class Step:
    """One hop of a field path: the object it is on and the field."""

    schema: ObjectSchema
    spec: FieldSchema


class QueryEngine:
    """Parses, validates and evaluates SOQL for one org."""

    def __init__(self, org: SalesforceOrg) -> None:
        self.org = org

    def run(
        self,
        text: str,
        *,
        version: str,
        include_deleted: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Record:
        """The first page of a query's result."""
        try:
            query = soql.parse(text)
        except soql.SoqlSyntaxError as exc:
            raise SalesforceError(400, "MALFORMED_QUERY", str(exc)) from exc
        with self.org.lock:
            schema = self._object(query.sobject)
            self._check(schema, query)
            rows = self._rows(schema, query, include_deleted)
            if query.is_count:
                return {"totalSize": len(rows), "done": True, "records": []}
            rendered = self._render_rows(schema, query, rows, version)
            return self._page(rendered, 0, version, _clamp(batch_size), None)

    def more(
        self, locator: str, offset: int, *, version: str, batch_size: int
    ) -> Record:
        """A later page, by the locator and offset of ``nextRecordsUrl``."""
        cursor = self.org.cursors.get(locator)
        if cursor is None or offset > len(cursor[0]):
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        rows, size = cursor
        return self._page(rows, offset, version, size, locator)

    # paging

    def _page(
        self,
        rows: list[Record],
        offset: int,
        version: str,
        size: int,
        locator: str | None,
    ) -> Record:
        page: Record = {"totalSize": len(rows), "done": True, "records": []}
        page["records"] = rows[offset : offset + size]
        if offset + size < len(rows):
            locator = locator or self.org.minter.mint("01g")
            self.org.cursors[locator] = (rows, size)
            page["done"] = False
            page["nextRecordsUrl"] = (
                f"/services/data/v{version}/query/{locator}-{offset + size}"
            )
        return page

    # validation

    def _object(self, name: str) -> ObjectSchema:
        schema = self.org.catalog.get(name)
        if schema is None:
            raise SalesforceError(
                400,
                "INVALID_TYPE",
                f"sObject type '{name}' is not supported. If you are attempting to "
                "use a custom object, be sure to append the '__c' after the entity "
                "name.",
            )
        return schema

    def _check(self, schema: ObjectSchema, query: soql.Query) -> None:
        for item in query.items:
            if isinstance(item, soql.FieldPath):
                self.resolve(schema, item)
            elif isinstance(item, soql.Count) and item.field is not None:
                self.resolve(schema, item.field)
            elif isinstance(item, soql.SubQuery):
                child, _ = self._child(schema, item.query.sobject)
                self._check(child, item.query)
        for path in _paths(query.where):
            self.resolve(schema, path)
        for order in query.order_by:
            self.resolve(schema, order.path)

    def resolve(self, schema: ObjectSchema, path: soql.FieldPath) -> list[Step]:
        """The hops of a field path; raises INVALID_FIELD."""
        steps: list[Step] = []
        current = schema
        for part in path.parts[:-1]:
            spec = current.relationship(part)
            if spec is None:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD",
                    f"Didn't understand relationship '{part}' in field path. If you "
                    "are attempting to use a custom relationship, be sure to append "
                    "the '__r' after the custom relationship name.",
                )
            steps.append(Step(current, spec))
            current = self._object(spec.reference_to[0])
        spec = current.field(path.parts[-1])
        if spec is None:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"No such column '{path.parts[-1]}' on entity '{current.name}'. If "
                "you are attempting to use a custom field, be sure to append the "
                "'__c' after the custom field name.",
            )
        steps.append(Step(current, spec))
        return steps

    def _child(
        self, schema: ObjectSchema, name: str
    ) -> tuple[ObjectSchema, FieldSchema]:
        found = self.org.catalog.child_relationship(schema.name, name)
        if found is None:
            raise SalesforceError(
                400,
                "INVALID_TYPE",
                f"Didn't understand relationship '{name}' in FROM part of query "
                "call. If you are attempting to use a custom relationship, be sure "
                "to append the '__r' after the custom relationship name.",
            )
        return found

    # evaluation

    def _rows(
        self,
        schema: ObjectSchema,
        query: soql.Query,
        include_deleted: bool,
        parent: tuple[FieldSchema, str] | None = None,
    ) -> list[Record]:
        rows = [
            record
            for record in self.org.table(schema.name).values()
            if (include_deleted or not record["IsDeleted"])
            and (parent is None or record.get(parent[0].name) == parent[1])
            and self._matches(schema, record, query.where)
        ]
        rows = self._sorted(schema, rows, query.order_by)
        start = query.offset or 0
        end = None if query.limit is None else start + query.limit
        return rows[start:end]

    def value(self, schema: ObjectSchema, record: Record, path: soql.FieldPath) -> Any:
        """The value at a field path, following parents; None past a null."""
        steps = self.resolve(schema, path)
        current = record
        for step in steps[:-1]:
            reference = current.get(step.spec.name)
            found = self.org.lookup(reference) if reference else None
            if found is None:
                return None
            current = found[1]
        return current.get(steps[-1].spec.name)

    def _matches(self, schema: ObjectSchema, record: Record, condition: Any) -> bool:
        if condition is None:
            return True
        if isinstance(condition, soql.And):
            return all(self._matches(schema, record, c) for c in condition.items)
        if isinstance(condition, soql.Or):
            return any(self._matches(schema, record, c) for c in condition.items)
        if isinstance(condition, soql.Not):
            return not self._matches(schema, record, condition.item)
        return self._predicate(schema, record, condition)

    def _predicate(self, schema: ObjectSchema, record: Record, condition: Any) -> bool:
        spec = self.resolve(schema, condition.path)[-1].spec
        actual = sortable(spec, self.value(schema, record, condition.path))
        if isinstance(condition, soql.InList):
            hit = any(_equal(spec, actual, v, self.org) for v in condition.values)
            return hit != condition.negated
        if isinstance(condition, soql.Like):
            return _like(actual, condition.pattern) != condition.negated
        return _compare(spec, actual, condition.op, condition.value, self.org)

    def _sorted(
        self,
        schema: ObjectSchema,
        rows: list[Record],
        orders: tuple[soql.OrderItem, ...],
    ) -> list[Record]:
        for order in reversed(orders):
            spec = self.resolve(schema, order.path)[-1].spec
            keyed = [
                (sortable(spec, self.value(schema, r, order.path)), r) for r in rows
            ]
            present = [pair for pair in keyed if pair[0] is not None]
            nulls = [pair[1] for pair in keyed if pair[0] is None]
            present.sort(key=lambda pair: pair[0], reverse=order.descending)
            nulls_last = (
                order.descending if order.nulls_last is None else order.nulls_last
            )
            ordered = [pair[1] for pair in present]
            rows = ordered + nulls if nulls_last else nulls + ordered
        return rows

    # rendering

    def _render_rows(
        self, schema: ObjectSchema, query: soql.Query, rows: list[Record], version: str
    ) -> list[Record]:
        counts = [item for item in query.items if isinstance(item, soql.Count)]
        if counts:
            return [self._aggregate(schema, counts, rows)]
        return [self._render(schema, query, row, version) for row in rows]

    def _aggregate(
        self, schema: ObjectSchema, counts: list[soql.Count], rows: list[Record]
    ) -> Record:
        result: Record = {"attributes": {"type": "AggregateResult"}}
        for n, count in enumerate(counts):
            assert count.field is not None
            field = count.field
            values = [self.value(schema, row, field) for row in rows]
            result[count.alias or f"expr{n}"] = sum(v is not None for v in values)
        return result

    def _render(
        self, schema: ObjectSchema, query: soql.Query, record: Record, version: str
    ) -> Record:
        out: Record = {"attributes": _attributes(schema.name, record["Id"], version)}
        for item in query.items:
            if isinstance(item, soql.SubQuery):
                name = item.query.sobject
                out[self._child_name(schema, name)] = self._children(
                    schema, item.query, record, version
                )
            elif isinstance(item, soql.FieldPath):
                self._put(schema, out, record, item, version)
        return out

    def _child_name(self, schema: ObjectSchema, name: str) -> str:
        _, spec = self._child(schema, name)
        return spec.child_relationship or name

    def _children(
        self, schema: ObjectSchema, query: soql.Query, record: Record, version: str
    ) -> Record | None:
        child, spec = self._child(schema, query.sobject)
        rows = self._rows(child, query, False, (spec, record["Id"]))
        if not rows:
            return None
        records = [self._render(child, query, row, version) for row in rows]
        return {"totalSize": len(records), "done": True, "records": records}

    def _put(
        self,
        schema: ObjectSchema,
        out: Record,
        record: Record,
        path: soql.FieldPath,
        version: str,
    ) -> None:
        steps = self.resolve(schema, path)
        target: Record = out
        current: Record | None = record
        for step in steps[:-1]:
            key = step.spec.relationship_name or step.spec.name
            found = (
                self.org.lookup(current.get(step.spec.name) or "") if current else None
            )
            if found is None:
                target.setdefault(key, None)
                return
            parent_schema, current = found
            nested = target.get(key)
            if nested is None:
                nested = {
                    "attributes": _attributes(
                        parent_schema.name, current["Id"], version
                    )
                }
                target[key] = nested
            target = nested
        assert current is not None
        target[steps[-1].spec.name] = current.get(steps[-1].spec.name)


def _attributes(sobject: str, record_id: str, version: str) -> Record:
    return {
        "type": sobject,
        "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}",
    }


def _clamp(batch_size: int) -> int:
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, batch_size))


def _paths(condition: Any) -> list[soql.FieldPath]:
    if condition is None:
        return []
    if isinstance(condition, soql.And | soql.Or):
        return [p for item in condition.items for p in _paths(item)]
    if isinstance(condition, soql.Not):
        return _paths(condition.item)
    return [condition.path]


def _literal(spec: FieldSchema, value: Any) -> Any:
    if isinstance(value, dt.datetime) and spec.type == "date":
        return value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if spec.type == "datetime":
            return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        return value
    if isinstance(value, str) and spec.type == "datetime":
        return parse_datetime(value)
    if isinstance(value, str) and spec.type in ("id", "reference"):
        return value[:15]
    return sortable(spec, value)


def _equal(spec: FieldSchema, actual: Any, expected: Any, org: SalesforceOrg) -> bool:
    return _compare(spec, actual, "=", expected, org)


def _compare(
    spec: FieldSchema, actual: Any, op: str, expected: Any, org: SalesforceOrg
) -> bool:
    if isinstance(expected, soql.DateLiteral):
        return _in_range(actual, op, _date_range(expected, org.clock().date()))
    if expected is None or actual is None:
        if op not in ("=", "!="):
            return False
        return (actual is expected) == (op == "=")
    if spec.type in ("id", "reference"):
        actual = str(actual)[:15]
    try:
        return bool(_OPERATORS[op](actual, _literal(spec, expected)))
    except TypeError:
        return False


def _in_range(actual: Any, op: str, bounds: tuple[dt.date, dt.date]) -> bool:
    if actual is None:
        return op == "!="
    day = actual.date() if isinstance(actual, dt.datetime) else actual
    start, end = bounds
    inside = start <= day <= end
    checks = {
        "=": inside,
        "!=": not inside,
        "<": day < start,
        "<=": day <= end,
        ">": day > end,
        ">=": day >= start,
    }
    return checks[op]


def _date_range(literal: soql.DateLiteral, today: dt.date) -> tuple[dt.date, dt.date]:
    day = dt.timedelta(days=1)
    week_start = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    month_start = today.replace(day=1)
    name = literal.name
    simple = {
        "TODAY": (today, today),
        "YESTERDAY": (today - day, today - day),
        "TOMORROW": (today + day, today + day),
        "THIS_WEEK": (week_start, week_start + 6 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start - day),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 13 * day),
        "THIS_MONTH": (month_start, _month_end(month_start)),
        "LAST_MONTH": (_add_months(month_start, -1), month_start - day),
        "NEXT_MONTH": (
            _add_months(month_start, 1),
            _month_end(_add_months(month_start, 1)),
        ),
        "THIS_YEAR": (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)),
        "LAST_YEAR": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
        "NEXT_YEAR": (dt.date(today.year + 1, 1, 1), dt.date(today.year + 1, 12, 31)),
        "LAST_90_DAYS": (today - 90 * day, today),
        "NEXT_90_DAYS": (today + day, today + 90 * day),
        "LAST_N_DAYS": (today - literal.n * day, today),
        "NEXT_N_DAYS": (today + day, today + literal.n * day),
    }
    return simple[name]


def _add_months(first: dt.date, months: int) -> dt.date:
    index = first.month - 1 + months
    return dt.date(first.year + index // 12, index % 12 + 1, 1)


def _month_end(first: dt.date) -> dt.date:
    return _add_months(first, 1) - dt.timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _like_pattern(pattern: str) -> re.Pattern[str]:
    parts = [
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern
    ]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _like(actual: Any, pattern: str) -> bool:
    return actual is not None and bool(_like_pattern(pattern).fullmatch(str(actual)))


_OPERATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
