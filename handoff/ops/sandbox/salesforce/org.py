"""The in-memory org: records, writes with Salesforce's rules, and commits.

Every write goes through a ``Transaction``: it validates like the platform
(unknown, read-only and required fields, picklists, IDs, validation rules,
unique external IDs), applies the derived fields (Opportunity stage, line totals, roll-ups),
keeps an undo log for allOrNone rollback, and on commit hands its changes to
the change-data-capture bus in commit order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from handoff.ops.sandbox.salesforce import derived
from handoff.ops.sandbox.salesforce.cdc import Change, ChangeBus
from handoff.ops.sandbox.salesforce.errors import SalesforceError
from handoff.ops.sandbox.salesforce.faults import FaultPlan
from handoff.ops.sandbox.salesforce.ids import IdMinter, is_valid_id, normalize_id
from handoff.ops.sandbox.salesforce.schema import Catalog, FieldSchema, ObjectSchema
from handoff.ops.sandbox.salesforce.sfdx import (
    DEFAULT_SOURCE_DIR,
    load_sfdx,
    load_validation_rules,
)
from handoff.ops.sandbox.salesforce.standard import (
    standard_objects,
    with_system_fields,
)
from handoff.ops.sandbox.salesforce.validation import (
    ValidationRule,
    ValidationRules,
)
from handoff.ops.sandbox.salesforce.values import coerce, format_datetime

__all__ = ["SalesforceOrg", "Transaction", "build_catalog"]

logger = logging.getLogger(__name__)

Record = dict[str, Any]
UNOWNED = frozenset(
    {"user", "opportunitylineitem", "quotelineitem", "orderitem", "pricebookentry"}
)
READ_ONLY_MESSAGE = (
    "Unable to create/update fields: {}. Please check the security settings of "
    "this field and verify that it is read/write for your profile or permission set."
)


def build_catalog(source_dir: Any = DEFAULT_SOURCE_DIR) -> Catalog:
    """Standard objects plus Handoff's SFDX objects and fields."""
    catalog = Catalog(standard_objects())
    sfdx = load_sfdx(source_dir)
    for schema in sfdx.objects:
        catalog.add(schema)
    for name, specs in sfdx.extra_fields.items():
        catalog.extend(name, specs)
    for schema in catalog:
        detail = any(
            spec.required and spec.is_reference and not spec.updateable
            for spec in schema.fields.values()
        )
        with_system_fields(
            schema, owned=not detail and schema.name.lower() not in UNOWNED
        )
    return catalog


@dataclass
class TokenInfo:
    """An issued access token and whom it acts as."""

    user_id: str
    client_id: str
    expires_at: float


@dataclass
class ApiUsage:
    """Calls counted against the rolling daily allocation."""

    used: int = 0
    limit: int = 15_000


class SalesforceOrg:
    """One org's state; thread-safe; shared by the app and by tests.

    ``validation_rules`` default to those of Handoff's SFDX source; they
    are metadata, so ``reset`` keeps them.
    """

    def __init__(
        self,
        *,
        catalog: Catalog | None = None,
        daily_api_limit: int = 15_000,
        event_history: int = 1000,
        clock: Callable[[], dt.datetime] | None = None,
        validation_rules: Iterable[ValidationRule] | None = None,
    ) -> None:
        self.catalog = catalog or build_catalog()
        self.validation = ValidationRules(self.catalog)
        self.validation.extend(
            load_validation_rules() if validation_rules is None else validation_rules
        )
        self.lock = threading.RLock()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.org_id = "00D8d000000HndfEAC"
        self.usage = ApiUsage(limit=daily_api_limit)
        self.tokens: dict[str, TokenInfo] = {}
        self.bus = ChangeBus(history=event_history)
        self.cursors: dict[str, tuple[list[Record], int]] = {}
        self.faults = FaultPlan()
        self.seed: Any = None
        self._init_state()

    def _init_state(self) -> None:
        self.records: dict[str, dict[str, Record]] = {
            schema.name.lower(): {} for schema in self.catalog
        }
        self.minter = IdMinter()
        self.autonumbers: dict[str, Iterator[int]] = {}
        self.cursors.clear()

    # --- state --------------------------------------------------------------

    def reset(self) -> None:
        """Forget every record, token, cursor, event and counted call."""
        with self.lock:
            self._init_state()
            self.tokens.clear()
            self.usage.used = 0
            self.bus.clear()
            self.seed = None

    def close(self) -> None:
        """Stop the change-event delivery thread."""
        self.bus.close()

    def now(self) -> str:
        """The current time in the REST datetime format."""
        return format_datetime(self.clock())

    def schema(self, sobject: str) -> ObjectSchema:
        """The object, or 404 NOT_FOUND as REST answers for unknown types."""
        schema = self.catalog.get(sobject)
        if schema is None:
            raise SalesforceError(
                404, "NOT_FOUND", "The requested resource does not exist"
            )
        return schema

    def table(self, sobject: str) -> dict[str, Record]:
        """All records of one type (deleted ones included), by 18-char ID."""
        return self.records[sobject.lower()]

    def lookup(self, record_id: str) -> tuple[ObjectSchema, Record] | None:
        """Any live or deleted record by 15- or 18-char ID."""
        if not is_valid_id(record_id):
            return None
        schema = self.catalog.by_prefix(record_id[:3])
        if schema is None:
            return None
        record = self.table(schema.name).get(normalize_id(record_id))
        return (schema, record) if record is not None else None

    def find(self, sobject: str, field_name: str, value: Any) -> list[Record]:
        """Live records whose field equals value (text compared case-blind)."""
        spec = self.schema(sobject).field(field_name)
        if spec is None:
            return []
        wanted = _match_key(spec, value)
        return [
            record
            for record in self.table(sobject).values()
            if not record["IsDeleted"]
            and _match_key(spec, record.get(spec.name)) == wanted
        ]

    def user_by_username(self, username: str) -> Record | None:
        """The active user with this username, if any."""
        users = self.find("User", "Username", username)
        return users[0] if users and users[0].get("IsActive") else None

    def next_autonumber(self, key: str) -> int:
        """The next number of an auto-number series (1, 2, ...)."""
        series = self.autonumbers.setdefault(key, itertools.count(1))
        return next(series)

    # --- writes ---------------------------------------------------------------

    @contextmanager
    def transaction(
        self, *, origin: str = "", user_id: str | None = None
    ) -> Iterator[Transaction]:
        """Run writes atomically; changes are published only on success."""
        with self.lock:
            tx = Transaction(
                self, origin=origin, user_id=user_id or self.default_user()
            )
            try:
                yield tx
            except BaseException:
                tx.rollback_to((0, 0))
                raise
            self.bus.publish(tx.changes, origin=origin, user_id=tx.user_id, org=self)

    def default_user(self) -> str:
        """The integration user if there is one, else a fixed system user ID."""
        users = self.find("User", "Username", "integration@handoff.example")
        return str(users[0]["Id"]) if users else "0058d000000SyStAAE"


@dataclass
class Transaction:
    """The writes of one API call; see ``SalesforceOrg.transaction``."""

    org: SalesforceOrg
    origin: str
    user_id: str
    undo: list[tuple[str, str, Record | None]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    key: str = field(default_factory=lambda: str(uuid.uuid4()))

    # savepoints

    def savepoint(self) -> tuple[int, int]:
        """A position to roll back to (one collection row)."""
        return len(self.undo), len(self.changes)

    def rollback_to(self, point: tuple[int, int]) -> None:
        """Undo every write made since the savepoint."""
        undo_at, changes_at = point
        while len(self.undo) > undo_at:
            table, record_id, previous = self.undo.pop()
            if previous is None:
                self.org.records[table].pop(record_id, None)
            else:
                self.org.records[table][record_id] = previous
        del self.changes[changes_at:]

    # public operations

    def create(self, sobject: str, body: dict[str, Any]) -> str:
        """Insert one record; returns its 18-char ID."""
        schema = self.org.schema(sobject)
        values = self._incoming(schema, body, creating=True)
        record = self._new_record(schema)
        record.update(values)

        derived.on_write(self, schema, record, None, set(values))
        self._validate(schema, record, None)
        self._store(schema, record, None)
        derived.after_write(self, schema, record, None)
        return str(record["Id"])

    def update(self, sobject: str, record_id: str, body: dict[str, Any]) -> None:
        """Change some fields of one record."""
        schema = self.org.schema(sobject)
        before = self.live_record(schema, record_id)
        values = self._incoming(schema, body, creating=False, before=before)
        record = dict(before)
        record.update(values)
        record["LastModifiedDate"] = record["SystemModstamp"] = self.org.now()
        record["LastModifiedById"] = self.user_id

        derived.on_write(self, schema, record, before, set(values))
        self._validate(schema, record, before)
        self._store(schema, record, before)
        derived.after_write(self, schema, record, before)

    def delete(self, sobject: str, record_id: str) -> None:
        """Move one record (and its master-detail children) to the recycle bin."""
        schema = self.org.schema(sobject)
        before = self.live_record(schema, record_id)
        for child, spec in self.org.catalog.children(schema.name):
            if spec.required and not spec.updateable:
                for row in self.org.find(child.name, spec.name, before["Id"]):
                    self.delete(child.name, row["Id"])
        record = dict(before, IsDeleted=True, SystemModstamp=self.org.now())
        self._write(schema, record, before, "DELETE")
        derived.after_write(self, schema, record, before)

    def upsert(
        self, sobject: str, field_name: str, value: Any, body: dict[str, Any]
    ) -> tuple[str, bool]:
        """Create or update by external ID; returns (ID, created)."""
        schema = self.org.schema(sobject)
        spec = external_field(schema, field_name)
        if spec.name == "Id":
            return self._upsert_by_id(schema, value, body)
        body = _without_key(body, spec, value)
        matches = self.org.find(schema.name, spec.name, value)
        if len(matches) > 1:
            raise MultipleMatches([m["Id"] for m in matches])
        if matches:
            self.update(schema.name, matches[0]["Id"], body)
            return str(matches[0]["Id"]), False
        return self.create(schema.name, {**body, spec.name: value}), True

    def system_update(
        self, schema: ObjectSchema, record_id: str, **values: Any
    ) -> None:
        """A platform-made change (roll-ups): no field-level checks."""
        before = self.org.table(schema.name)[record_id]
        if all(before.get(k) == v for k, v in values.items()):
            return
        record = dict(before, **values)
        record["LastModifiedDate"] = record["SystemModstamp"] = self.org.now()
        self._store(schema, record, before)

    def live_record(self, schema: ObjectSchema, record_id: str) -> Record:
        """The live record or the REST error for a bad, missing or deleted ID."""
        if not is_valid_id(record_id):
            raise SalesforceError(
                400,
                "MALFORMED_ID",
                f"{schema.label} ID: id value of incorrect type: {record_id}",
                ["Id"],
            )
        record = self.org.table(schema.name).get(normalize_id(record_id))
        if record is None:
            raise SalesforceError(
                404, "NOT_FOUND", "The requested resource does not exist"
            )
        if record["IsDeleted"]:
            raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return record

    # steps

    def _upsert_by_id(
        self, schema: ObjectSchema, value: Any, body: dict[str, Any]
    ) -> tuple[str, bool]:
        body = {k: v for k, v in body.items() if k.lower() != "id"}
        if value in (None, "", "null"):
            return self.create(schema.name, body), True
        self.update(schema.name, str(value), body)
        return normalize_id(str(value)), False

    def _new_record(self, schema: ObjectSchema) -> Record:
        now = self.org.now()
        record: Record = {spec.name: spec.default for spec in schema.fields.values()}
        record.update(
            Id=self.org.minter.mint(schema.key_prefix),
            IsDeleted=False,
            CreatedDate=now,
            LastModifiedDate=now,
            SystemModstamp=now,
            CreatedById=self.user_id,
            LastModifiedById=self.user_id,
        )
        if "OwnerId".lower() in schema.fields:
            record["OwnerId"] = self.user_id
        return record

    def _incoming(
        self,
        schema: ObjectSchema,
        body: dict[str, Any],
        *,
        creating: bool,
        before: Record | None = None,
    ) -> Record:
        if not isinstance(body, dict):
            raise SalesforceError(
                400, "JSON_PARSER_ERROR", "The request body must be a JSON object"
            )
        values: Record = {}
        read_only: list[str] = []
        for key, raw in body.items():
            if key == "attributes":
                continue
            spec, value = self._resolve_key(schema, key, raw)
            if spec.name == "Id":
                if creating:
                    raise SalesforceError(
                        400,
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        "cannot specify Id in an insert call",
                        ["Id"],
                    )
                continue
            coerced = coerce(spec, value, schema.name)
            if not _writable(spec, creating, coerced, before):
                read_only.append(spec.name)
            values[spec.name] = coerced
        if read_only:
            raise SalesforceError(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                READ_ONLY_MESSAGE.format(", ".join(read_only)),
                read_only,
            )
        return values

    def _resolve_key(
        self, schema: ObjectSchema, key: str, raw: Any
    ) -> tuple[FieldSchema, Any]:
        spec = schema.field(key)
        if spec is not None:
            return spec, raw
        relation = schema.relationship(key)
        if relation is not None and isinstance(raw, dict):
            return relation, self._reference_by_external_id(relation, raw)
        raise SalesforceError(
            400,
            "INVALID_FIELD",
            f"No such column '{key}' on sobject of type {schema.name}",
        )

    def _reference_by_external_id(
        self, relation: FieldSchema, raw: dict[str, Any]
    ) -> str:
        target = self.org.schema(relation.reference_to[0])
        keys = [k for k in raw if k != "attributes"]
        if len(keys) != 1:
            raise SalesforceError(
                400, "INVALID_FIELD", "A foreign key reference needs exactly one field"
            )
        spec = external_field(target, keys[0])
        matches = self.org.find(target.name, spec.name, raw[keys[0]])
        if len(matches) != 1:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {raw[keys[0]]} not found for field "
                f"{spec.name} in entity {target.name}",
            )
        return str(matches[0]["Id"])

    def _validate(
        self, schema: ObjectSchema, record: Record, before: Record | None
    ) -> None:
        missing = [
            spec.name
            for spec in schema.fields.values()
            if spec.required and record.get(spec.name) in (None, "")
        ]
        if missing:
            raise SalesforceError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        self._check_references(schema, record, before)
        self._check_rules(schema, record, before)
        self._check_unique(schema, record)

    def _check_rules(
        self, schema: ObjectSchema, record: Record, before: Record | None
    ) -> None:
        self.org.validation.check(
            schema, record, before, lookup=self._record_by_id, now=self.org.clock()
        )

    def _record_by_id(self, record_id: str) -> Record | None:
        found = self.org.lookup(record_id)
        return found[1] if found is not None else None

    def _check_references(
        self, schema: ObjectSchema, record: Record, before: Record | None
    ) -> None:
        for spec in schema.fields.values():
            value = record.get(spec.name)
            if not spec.is_reference or value is None or spec.name.endswith("ById"):
                continue
            if before is not None and before.get(spec.name) == value:
                continue
            found = self.org.lookup(value)
            targets = {name.lower() for name in spec.reference_to}
            if found is None or found[1]["IsDeleted"]:
                raise SalesforceError(
                    400,
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    [spec.name],
                )
            if found[0].name.lower() not in targets:
                raise SalesforceError(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"field integrity exception: {spec.name} (id value of incorrect "
                    f"type: {value})",
                    [spec.name],
                )
            record[spec.name] = found[1]["Id"]

    def _check_unique(self, schema: ObjectSchema, record: Record) -> None:
        for spec in schema.fields.values():
            value = record.get(spec.name)
            if not spec.unique or value in (None, ""):
                continue
            for other in self.org.find(schema.name, spec.name, value):
                if other["Id"] != record["Id"]:
                    raise SalesforceError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {spec.name} duplicates value on "
                        f"record with id: {other['Id']}",
                        [],
                    )

    def _store(
        self, schema: ObjectSchema, record: Record, before: Record | None
    ) -> None:
        self._write(schema, record, before, "CREATE" if before is None else "UPDATE")

    def _write(
        self, schema: ObjectSchema, record: Record, before: Record | None, kind: str
    ) -> None:
        table = schema.name.lower()
        self.undo.append((table, record["Id"], before))
        self.org.records[table][record["Id"]] = record
        change = Change.between(schema.name, kind, before, record)
        for existing in self.changes:
            if existing.merge(change):
                return
        self.changes.append(change)


class MultipleMatches(SalesforceError):
    """An external ID matched several records: 300 with their URLs."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", "more than one record matched")
        self.ids = ids


def external_field(schema: ObjectSchema, name: str) -> FieldSchema:
    """The ID or external-ID field named in an upsert URL, or 404."""
    spec = schema.field(name)
    if spec is None or not (spec.external_id or spec.name == "Id"):
        raise SalesforceError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return spec


def _writable(
    spec: FieldSchema, creating: bool, value: Any, before: Record | None
) -> bool:
    if creating:
        return spec.createable
    if spec.updateable:
        return True
    # A non-reparentable master-detail field may repeat its current value.
    return spec.is_reference and before is not None and before.get(spec.name) == value


def _without_key(body: dict[str, Any], spec: FieldSchema, value: Any) -> dict[str, Any]:
    field_name = spec.name
    rest = {k: v for k, v in body.items() if k.lower() != field_name.lower()}
    repeated = [v for k, v in body.items() if k.lower() == field_name.lower()]
    if repeated and _match_key(spec, repeated[0]) != _match_key(spec, value):
        raise SalesforceError(
            400,
            "INVALID_FIELD",
            f"The external ID {field_name} in the body does not match the URL",
            [field_name],
        )
    return rest


def _match_key(spec: FieldSchema, value: Any) -> Any:
    if isinstance(value, str) and spec.type in ("id", "reference"):
        return normalize_id(value) if is_valid_id(value) else value
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
