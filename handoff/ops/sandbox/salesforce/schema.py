"""The shape of the sandbox's objects: fields, types, relationships.

Standard objects come from ``standard.py``; Handoff's own objects and fields
are read from the SFDX source under ``handoff/ops/salesforce/force-app``, the
same files an admin deploys, so the sandbox cannot drift from the package.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

__all__ = ["Catalog", "FieldSchema", "ObjectSchema"]

NUMERIC_TYPES = frozenset({"double", "currency", "percent", "int"})
TEXT_TYPES = frozenset(
    {"string", "textarea", "picklist", "email", "phone", "url", "id", "reference"}
)


@dataclass(frozen=True)
class FieldSchema:
    """One field as describe reports it, plus what the sandbox enforces."""

    name: str
    type: str = "string"
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    required: bool = False
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    child_relationship: str | None = None
    default: object = None
    custom: bool = False

    @property
    def is_reference(self) -> bool:
        """Whether the field holds the ID of another record."""
        return self.type == "reference"

    @property
    def nillable(self) -> bool:
        """Whether describe would report the field as nillable."""
        return not self.required and self.type not in ("boolean", "id")


@dataclass
class ObjectSchema:
    """One sObject: its name, key prefix and fields (case-insensitive)."""

    name: str
    key_prefix: str
    label: str = ""
    custom: bool = False
    fields: dict[str, FieldSchema] = field(default_factory=dict)

    def add(self, spec: FieldSchema) -> None:
        """Add or replace a field."""
        self.fields[spec.name.lower()] = spec

    def field(self, name: str) -> FieldSchema | None:
        """The field with this API name, in any letter case."""
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> FieldSchema | None:
        """The reference field whose relationship name this is."""
        wanted = name.lower()
        for spec in self.fields.values():
            if spec.relationship_name and spec.relationship_name.lower() == wanted:
                return spec
        return None

    def names(self) -> Iterator[str]:
        """Field API names in definition order."""
        return (spec.name for spec in self.fields.values())


class Catalog:
    """Every object the sandbox holds, by name, case-insensitive."""

    def __init__(self, objects: Iterable[ObjectSchema] = ()) -> None:
        self._objects: dict[str, ObjectSchema] = {}
        for schema in objects:
            self.add(schema)

    def add(self, schema: ObjectSchema) -> None:
        """Add an object; a custom one without a prefix gets one."""
        if not schema.key_prefix:
            schema.key_prefix = self._free_prefix(schema.name)
        self._objects[schema.name.lower()] = schema

    def get(self, name: str) -> ObjectSchema | None:
        """The object with this name, or None."""
        return self._objects.get(name.lower())

    def __iter__(self) -> Iterator[ObjectSchema]:
        return iter(self._objects.values())

    def by_prefix(self, key_prefix: str) -> ObjectSchema | None:
        """The object whose IDs start with this prefix."""
        for schema in self._objects.values():
            if schema.key_prefix == key_prefix:
                return schema
        return None

    def extend(self, object_name: str, specs: Iterable[FieldSchema]) -> None:
        """Add fields to an object that exists already."""
        schema = self.get(object_name)
        if schema is None:
            raise KeyError(f"no object {object_name!r} to add fields to")
        for spec in specs:
            schema.add(replace(spec, custom=True))

    def children(self, parent: str) -> Iterator[tuple[ObjectSchema, FieldSchema]]:
        """(child object, its reference field) for every child relationship."""
        for schema in self._objects.values():
            for spec in schema.fields.values():
                targets = [t.lower() for t in spec.reference_to]
                if spec.child_relationship and parent.lower() in targets:
                    yield schema, spec

    def child_relationship(
        self, parent: str, name: str
    ) -> tuple[ObjectSchema, FieldSchema] | None:
        """The child object and field behind ``Parent.<name>`` subqueries."""
        for schema, spec in self.children(parent):
            assert spec.child_relationship is not None
            if spec.child_relationship.lower() == name.lower():
                return schema, spec
        return None

    def _free_prefix(self, name: str) -> str:
        taken = {schema.key_prefix for schema in self._objects.values()}
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        start = zlib.crc32(name.encode()) % len(alphabet)
        for step in range(len(alphabet)):
            prefix = "a0" + alphabet[(start + step) % len(alphabet)]
            if prefix not in taken:
                return prefix
        raise RuntimeError("no free custom-object key prefix left")
