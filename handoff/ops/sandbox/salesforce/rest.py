"""The REST resources under ``/services/data/vNN.N/``, transport-free.

``RestApi.handle`` takes a ``Call`` (method, path after the version, query
parameters, JSON body) and returns a ``Reply``; the Starlette layer and the
Composite resource both go through it, so a subrequest behaves exactly like
the same call made on its own.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from handoff.ops.sandbox.salesforce.calls import Call, Reply
from handoff.ops.sandbox.salesforce.composite import run_composite
from handoff.ops.sandbox.salesforce.describe import describe_global, describe_object
from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.ids import is_valid_id
from handoff.ops.sandbox.salesforce.org import (
    MultipleMatches,
    SalesforceOrg,
    Transaction,
    external_field,
)
from handoff.ops.sandbox.salesforce.query import QueryEngine
from handoff.ops.sandbox.salesforce.schema import ObjectSchema
from handoff.ops.sandbox.salesforce.validation import RulesViolated

__all__ = ["RestApi", "operation_of", "parse_body"]

Record = dict[str, Any]
MAX_COLLECTION = 200
MAX_COMPOSITE = 25
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the "
    "request was using AllOrNone header",
    "fields": [],
}


SINGLE_RECORD_OPERATIONS = {"GET": "get", "PATCH": "update", "DELETE": "delete"}
TOP_LEVEL_OPERATIONS = {"query": "query", "queryAll": "query", "limits": "limits"}


def operation_of(method: str, segments: list[str]) -> str:
    """The fault-model name of a call: create, get, update, upsert, ..."""
    head = segments[0] if segments else ""
    if head in TOP_LEVEL_OPERATIONS:
        return TOP_LEVEL_OPERATIONS[head]
    if head == "composite":
        return "collections" if segments[1:2] == ["sobjects"] else "composite"
    if head != "sobjects" or len(segments) < 2 or segments[2:3] == ["describe"]:
        return "describe"
    if len(segments) == 2:
        return "create" if method == "POST" else "describe"
    if len(segments) == 4 and method in ("PATCH", "POST"):
        return "upsert"
    return SINGLE_RECORD_OPERATIONS.get(method, "get")


class RestApi:
    """Routes calls to the org; raises nothing, every error becomes a Reply."""

    def __init__(self, org: SalesforceOrg) -> None:
        self.org = org
        self.queries = QueryEngine(org)

    def handle(self, call: Call, tx: Transaction | None = None) -> Reply:
        """Answer one call; ``tx`` joins an enclosing composite transaction."""
        try:
            return self._route(call, tx)
        except MultipleMatches as exc:
            urls = [self._url(call, _type_of(self.org, i), i) for i in exc.ids]
            return Reply(300, urls)
        except SalesforceError as exc:
            return Reply(exc.status, exc.rest_body())

    # routing

    def _route(self, call: Call, tx: Transaction | None) -> Reply:
        head, rest = (call.segments[0] if call.segments else ""), call.segments[1:]
        if head == "":
            return Reply(200, self._resources(call.version))
        if head in ("query", "queryAll"):
            return self._query(call, head == "queryAll", rest)
        if head == "limits" and call.method == "GET":
            return Reply(200, self._limits())
        if head == "sobjects":
            return self._sobjects(call, rest, tx)
        if head == "composite" and rest[:1] == ["sobjects"]:
            return self._collections(call, rest[1:], tx)
        if head == "composite" and not rest and call.method == "POST":
            return self._composite(call)
        raise _not_found()

    def _sobjects(self, call: Call, rest: list[str], tx: Transaction | None) -> Reply:
        if not rest:
            return Reply(200, describe_global(self.org.catalog, call.version))
        schema = self.org.schema(rest[0])
        if len(rest) == 1:
            if call.method == "POST":
                return self._create(call, schema, tx)
            return Reply(
                200, describe_object(self.org.catalog, schema, call.version, brief=True)
            )
        if rest[1] == "describe" and len(rest) == 2:
            return Reply(200, describe_object(self.org.catalog, schema, call.version))
        if len(rest) == 2:
            return self._record(call, schema, rest[1], tx)
        if len(rest) == 3:
            return self._by_external_id(call, schema, rest[1], rest[2], tx)
        raise _not_found()

    # single records

    def _create(
        self, call: Call, schema: ObjectSchema, tx: Transaction | None
    ) -> Reply:
        with self._tx(call, tx) as t:
            record_id = t.create(schema.name, _object_body(call.body))
        url = self._url(call, schema.name, record_id)
        return Reply(
            201, {"id": record_id, "success": True, "errors": []}, {"Location": url}
        )

    def _record(
        self, call: Call, schema: ObjectSchema, record_id: str, tx: Transaction | None
    ) -> Reply:
        if call.method == "GET":
            with self.org.lock:
                probe = Transaction(self.org, origin="", user_id="")
                record = probe.live_record(schema, record_id)
                return Reply(200, self._render(call, schema, record))
        with self._tx(call, tx) as t:
            if call.method == "PATCH":
                t.update(schema.name, record_id, _object_body(call.body))
            elif call.method == "DELETE":
                t.delete(schema.name, record_id)
            else:
                raise _method_not_allowed(call.method)
        return Reply(204)

    def _by_external_id(
        self,
        call: Call,
        schema: ObjectSchema,
        field_name: str,
        value: str,
        tx: Transaction | None,
    ) -> Reply:
        spec = external_field(schema, field_name)
        if call.method == "GET":
            with self.org.lock:
                matches = self.org.find(schema.name, spec.name, value)
                if len(matches) > 1:
                    raise MultipleMatches([m["Id"] for m in matches])
                if not matches:
                    raise _not_found()
                return Reply(200, self._render(call, schema, matches[0]))
        if call.method not in ("PATCH", "POST"):
            raise _method_not_allowed(call.method)
        with self._tx(call, tx) as t:
            record_id, created = t.upsert(
                schema.name, spec.name, value, _object_body(call.body)
            )
        return self._upsert_reply(call, record_id, created)

    def _upsert_reply(self, call: Call, record_id: str, created: bool) -> Reply:
        modern = _version(call.version) >= 46.0
        body: Record = {"id": record_id, "success": True, "errors": []}
        if modern:
            body["created"] = created
        if created:
            return Reply(201, body)
        return Reply(200, body) if modern else Reply(204)

    def _render(self, call: Call, schema: ObjectSchema, record: Record) -> Record:
        wanted = [f for f in call.params.get("fields", "").split(",") if f.strip()]
        names = []
        for name in wanted or list(schema.names()):
            spec = schema.field(name.strip())
            if spec is None:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name.strip()}' on sobject of type {schema.name}",
                )
            names.append(spec.name)
        out: Record = {
            "attributes": _attributes(call.version, schema.name, record["Id"])
        }
        out.update({name: record.get(name) for name in names})
        return out

    # query

    def _query(self, call: Call, include_deleted: bool, rest: list[str]) -> Reply:
        if call.method != "GET":
            raise _method_not_allowed(call.method)
        if rest and rest[0]:
            locator, _, offset = rest[0].rpartition("-")
            if not offset.isdigit():
                raise SalesforceError(
                    400, "INVALID_QUERY_LOCATOR", "invalid query locator"
                )
            return Reply(
                200,
                self.queries.more(
                    locator,
                    int(offset),
                    version=call.version,
                    batch_size=call.batch_size,
                ),
            )
        text = call.params.get("q")
        if not text:
            raise SalesforceError(400, "MALFORMED_QUERY", "A query string is required")
        result = self.queries.run(
            text,
            version=call.version,
            include_deleted=include_deleted,
            batch_size=call.batch_size,
        )
        return Reply(200, result)

    # sObject Collections

    def _collections(
        self, call: Call, rest: list[str], tx: Transaction | None
    ) -> Reply:
        if call.method == "GET" and len(rest) == 1:
            return self._retrieve(call, self.org.schema(rest[0]))
        if call.method == "DELETE" and not rest:
            ids = [i for i in call.params.get("ids", "").split(",") if i]
            all_or_none = call.params.get("allOrNone", "false").lower() == "true"
            doomed = [
                {"attributes": {"type": _type_of(self.org, i)}, "id": i} for i in ids
            ]
            return Reply(
                200,
                self._rows(
                    call, doomed, all_or_none, action="delete", target=None, tx=tx
                ),
            )
        body = _object_body(call.body)
        rows: Any = body.get("records")
        all_or_none = bool(body.get("allOrNone", False))
        if not isinstance(rows, list):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "records is required")
        if len(rows) > MAX_COLLECTION:
            raise SalesforceError(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into "
                "this call",
            )
        if call.method == "POST" and not rest:
            return Reply(
                200,
                self._rows(
                    call, rows, all_or_none, action="create", target=None, tx=tx
                ),
            )
        if call.method == "PATCH" and not rest:
            return Reply(
                200,
                self._rows(
                    call, rows, all_or_none, action="update", target=None, tx=tx
                ),
            )
        if call.method == "PATCH" and len(rest) == 2:
            schema = self.org.schema(rest[0])
            spec = external_field(schema, rest[1])
            target = (schema.name, spec.name)
            return Reply(
                200,
                self._rows(
                    call, rows, all_or_none, action="upsert", target=target, tx=tx
                ),
            )
        raise _method_not_allowed(call.method)

    def _retrieve(self, call: Call, schema: ObjectSchema) -> Reply:
        ids = [i for i in call.params.get("ids", "").split(",") if i]
        out: list[Record | None] = []
        with self.org.lock:
            for record_id in ids:
                found = self.org.lookup(record_id)
                live = (
                    found is not None
                    and found[0] is schema
                    and not found[1]["IsDeleted"]
                )
                out.append(
                    self._render(call, schema, found[1]) if live and found else None
                )
        return Reply(200, out)

    def _rows(
        self,
        call: Call,
        rows: list[Any],
        all_or_none: bool,
        *,
        action: str,
        target: tuple[str, str] | None,
        tx: Transaction | None,
    ) -> list[Record]:
        duplicates = _duplicate_keys(rows, target)
        with self._tx(call, tx) as t:
            results = [self._row(t, row, action, target, duplicates) for row in rows]
            if all_or_none and not all(r["success"] for r in results):
                t.rollback_to((0, 0))
                results = [_rolled_back(r) for r in results]
        return results

    def _row(
        self,
        tx: Transaction,
        row: Any,
        action: str,
        target: tuple[str, str] | None,
        duplicates: set[Any],
    ) -> Record:
        point = tx.savepoint()
        try:
            return _apply_row(tx, row, action, target, duplicates)
        except MultipleMatches as exc:
            tx.rollback_to(point)
            error = SalesforceError(
                400,
                "DUPLICATE_EXTERNAL_ID",
                f"more than one record found for external id field: {exc.ids}",
                [target[1] if target else "Id"],
            )
            return {"id": None, "success": False, "errors": [error.row_error()]}
        except RulesViolated as exc:
            tx.rollback_to(point)
            return {"id": None, "success": False, "errors": exc.row_errors()}
        except SalesforceError as exc:
            tx.rollback_to(point)
            return {"id": None, "success": False, "errors": [exc.row_error()]}

    # Composite

    def _composite(self, call: Call) -> Reply:
        body = _object_body(call.body)
        subrequests = body.get("compositeRequest")
        if not isinstance(subrequests, list) or not subrequests:
            raise SalesforceError(
                400, "JSON_PARSER_ERROR", "compositeRequest is required"
            )
        if len(subrequests) > MAX_COMPOSITE:
            raise SalesforceError(
                400,
                "LIMIT_EXCEEDED",
                f"Composite requests can have at most {MAX_COMPOSITE} subrequests",
            )
        return Reply(
            200, run_composite(self, call, subrequests, bool(body.get("allOrNone")))
        )

    # helpers

    def _tx(
        self, call: Call, tx: Transaction | None
    ) -> AbstractContextManager[Transaction]:
        if tx is not None:
            return nullcontext(tx)
        return self.org.transaction(origin=call.origin, user_id=call.user_id)

    def _url(self, call: Call, sobject: str, record_id: str) -> str:
        return str(_attributes(call.version, sobject, record_id)["url"])

    def _resources(self, version: str) -> Record:
        names = ("sobjects", "query", "queryAll", "composite", "limits")
        return {name: f"/services/data/v{version}/{name}" for name in names}

    def _limits(self) -> Record:
        usage = self.org.usage
        remaining = max(0, usage.limit - usage.used)
        return {
            "DailyApiRequests": {"Max": usage.limit, "Remaining": remaining},
            "DailyBulkApiRequests": {"Max": 15_000, "Remaining": 15_000},
            "DailyAsyncApexExecutions": {"Max": 250_000, "Remaining": 250_000},
            "DailyStreamingApiEvents": {"Max": 1_000_000, "Remaining": 1_000_000},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
        }


def _apply_row(
    tx: Transaction,
    row: Any,
    action: str,
    target: tuple[str, str] | None,
    duplicates: set[Any],
) -> Record:
    if not isinstance(row, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "each record must be an object")
    sobject = str((row.get("attributes") or {}).get("type") or "")
    if not sobject:
        raise SalesforceError(400, "INVALID_TYPE", "Must send a concrete entity type.")
    body = {k: v for k, v in row.items() if k != "attributes"}
    if action == "create":
        return {"id": tx.create(sobject, body), "success": True, "errors": []}
    if action == "upsert":
        assert target is not None
        return _upsert_row(tx, sobject, body, target, duplicates)
    record_id = next((str(v) for k, v in body.items() if k.lower() == "id"), "")
    if not record_id:
        raise SalesforceError(
            400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"]
        )
    if action == "delete":
        tx.delete(sobject, record_id)
    else:
        tx.update(
            sobject, record_id, {k: v for k, v in body.items() if k.lower() != "id"}
        )
    found = tx.org.lookup(record_id)
    return {"id": found[1]["Id"] if found else record_id, "success": True, "errors": []}


def _upsert_row(
    tx: Transaction,
    sobject: str,
    body: Record,
    target: tuple[str, str],
    duplicates: set[Any],
) -> Record:
    name, field_name = target
    if sobject.lower() != name.lower():
        raise SalesforceError(
            400, "INVALID_TYPE", f"The record type {sobject} does not match {name}"
        )
    value = next((v for k, v in body.items() if k.lower() == field_name.lower()), None)
    if value is None:
        raise SalesforceError(
            400,
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{field_name}]",
            [field_name],
        )
    if _dup_key(value) in duplicates:
        raise SalesforceError(
            400,
            "DUPLICATE_EXTERNAL_ID",
            f"Duplicate external id specified: {value}",
            [field_name],
        )
    record_id, created = tx.upsert(name, field_name, value, body)
    return {"id": record_id, "success": True, "errors": [], "created": created}


def _duplicate_keys(rows: list[Any], target: tuple[str, str] | None) -> set[Any]:
    if target is None:
        return set()
    seen: set[Any] = set()
    repeated: set[Any] = set()
    for row in rows:
        if not isinstance(row, dict):
            continue
        value = next(
            (v for k, v in row.items() if k.lower() == target[1].lower()), None
        )
        key = _dup_key(value)
        if value is not None:
            (repeated if key in seen else seen).add(key)
    return repeated


def _dup_key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _rolled_back(result: Record) -> Record:
    if not result["success"]:
        return result
    kept = None if result.get("created") else result.get("id")
    out = {"id": kept, "success": False, "errors": [dict(ROLLED_BACK)]}
    if "created" in result:
        out["created"] = False
    return out


def _object_body(body: Any) -> Record:
    if isinstance(body, dict):
        return body
    raise SalesforceError(
        400, "JSON_PARSER_ERROR", "The request body is not a JSON object"
    )


def _attributes(version: str, sobject: str, record_id: str) -> Record:
    return {
        "type": sobject,
        "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}",
    }


def _type_of(org: SalesforceOrg, record_id: str) -> str:
    schema = org.catalog.by_prefix(record_id[:3]) if is_valid_id(record_id) else None
    return schema.name if schema else ""


def _version(text: str) -> float:
    return float(text)


def _not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def _method_not_allowed(method: str) -> SalesforceError:
    return SalesforceError(
        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed."
    )


def parse_body(raw: bytes) -> Any:
    """The JSON body of a request, or the 400 Salesforce sends for bad JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}"
        ) from exc
