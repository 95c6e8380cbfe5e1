"""Describe results: ``/sobjects`` and ``/sobjects/{X}/describe``."""

from __future__ import annotations

from typing import Any

from handoff.ops.sandbox.salesforce.schema import Catalog, FieldSchema, ObjectSchema

__all__ = ["describe_global", "describe_object"]

Record = dict[str, Any]
SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


def describe_global(catalog: Catalog, version: str) -> Record:
    """The global describe: every object with its urls."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [_summary(schema, version) for schema in catalog],
    }


def describe_object(
    catalog: Catalog, schema: ObjectSchema, version: str, *, brief: bool = False
) -> Record:
    """The full describe of one object, or its basic info when ``brief``."""
    if brief:
        return {"objectDescribe": _summary(schema, version), "recentItems": []}
    out = _summary(schema, version)
    out["fields"] = [_field(spec) for spec in schema.fields.values()]
    out["childRelationships"] = [
        {
            "childSObject": child.name,
            "field": spec.name,
            "relationshipName": spec.child_relationship,
            "cascadeDelete": spec.required and not spec.updateable,
        }
        for child, spec in catalog.children(schema.name)
    ]
    out["recordTypeInfos"] = []
    return out


def _summary(schema: ObjectSchema, version: str) -> Record:
    base = f"/services/data/v{version}/sobjects/{schema.name}"
    return {
        "name": schema.name,
        "label": schema.label or schema.name,
        "keyPrefix": schema.key_prefix,
        "custom": schema.custom,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "urls": {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        },
    }


def _field(spec: FieldSchema) -> Record:
    return {
        "name": spec.name,
        "label": spec.label or spec.name,
        "type": spec.type,
        "soapType": SOAP_TYPES.get(spec.type, "xsd:string"),
        "length": spec.length,
        "precision": spec.precision,
        "scale": spec.scale,
        "nillable": spec.nillable,
        "createable": spec.createable,
        "updateable": spec.updateable,
        "calculated": False,
        "custom": spec.custom,
        "defaultedOnCreate": spec.default is not None or spec.name in ("Id", "OwnerId"),
        "externalId": spec.external_id,
        "idLookup": spec.external_id or spec.name == "Id",
        "unique": spec.unique,
        "restrictedPicklist": spec.restricted,
        "picklistValues": [
            {
                "value": value,
                "label": value,
                "active": True,
                "defaultValue": False,
                "validFor": None,
            }
            for value in spec.picklist
        ],
        "referenceTo": list(spec.reference_to),
        "relationshipName": spec.relationship_name,
    }
