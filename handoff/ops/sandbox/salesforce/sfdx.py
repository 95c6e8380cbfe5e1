"""Reading custom objects and fields from Salesforce DX source.

Only what the sandbox enforces is read: type, length, precision and scale,
required, externalId, unique, picklist values, referenceTo and
relationshipName. Objects without an ``.object-meta.xml`` (standard or
managed-package objects) contribute their custom fields only. Validation
rules (``validationRules/<Name>.validationRule-meta.xml``) are read as
written; the org compiles them against its catalog.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from handoff.ops.sandbox.salesforce.schema import FieldSchema, ObjectSchema
from handoff.ops.sandbox.salesforce.validation import ValidationRule

__all__ = [
    "DEFAULT_SOURCE_DIR",
    "SfdxObjects",
    "load_sfdx",
    "load_validation_rules",
]

logger = logging.getLogger(__name__)

NS = "{http://soap.sforce.com/2006/04/metadata}"
DEFAULT_SOURCE_DIR = (
    Path(__file__).resolve().parents[2] / "salesforce" / "force-app" / "main"
)

TYPES = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Picklist": "picklist",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Date": "date",
    "DateTime": "datetime",
    "Checkbox": "boolean",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
    "Lookup": "reference",
    "MasterDetail": "reference",
}


@dataclass
class SfdxObjects:
    """What the source declares: new objects, fields for existing ones, rules."""

    objects: list[ObjectSchema]
    extra_fields: dict[str, list[FieldSchema]]
    validation_rules: list[ValidationRule] = field(default_factory=list)


def load_sfdx(source_dir: Path = DEFAULT_SOURCE_DIR) -> SfdxObjects:
    """Read every object folder under ``<source_dir>/default/objects``."""
    objects: list[ObjectSchema] = []
    extra: dict[str, list[FieldSchema]] = {}
    for folder in sorted((source_dir / "default" / "objects").iterdir()):
        fields = [_read_field(p) for p in sorted(folder.glob("fields/*.xml"))]
        meta = folder / f"{folder.name}.object-meta.xml"
        if meta.exists():
            objects.append(_read_object(meta, folder.name, fields))
        else:
            extra[folder.name] = fields
    logger.debug("Read %d custom objects from %s.", len(objects), source_dir)
    rules = load_validation_rules(source_dir)
    return SfdxObjects(objects=objects, extra_fields=extra, validation_rules=rules)


def load_validation_rules(
    source_dir: Path = DEFAULT_SOURCE_DIR,
) -> list[ValidationRule]:
    """Every ``objects/<Object>/validationRules/*.validationRule-meta.xml``."""
    pattern = "default/objects/*/validationRules/*.validationRule-meta.xml"
    return [_read_rule(path) for path in sorted(source_dir.glob(pattern))]


def _read_rule(path: Path) -> ValidationRule:
    root = ET.parse(path).getroot()  # noqa: S314 (our own source files)
    return ValidationRule(
        object=path.parent.parent.name,
        name=_text(root, "fullName") or path.name.split(".")[0],
        formula=_text(root, "errorConditionFormula"),
        message=_text(root, "errorMessage"),
        field=_text(root, "errorDisplayField") or None,
        active=_text(root, "active") != "false",
    )


def _read_object(path: Path, name: str, fields: list[FieldSchema]) -> ObjectSchema:
    root = ET.parse(path).getroot()  # noqa: S314 (our own source files)
    schema = ObjectSchema(name=name, key_prefix="", label=_text(root, "label"))
    schema.custom = True
    name_type = _text(root.find(f"{NS}nameField"), "type") or "Text"
    schema.add(
        FieldSchema(
            name="Name",
            label=_text(root.find(f"{NS}nameField"), "label") or "Name",
            length=80,
            createable=name_type == "Text",
            updateable=name_type == "Text",
        )
    )
    for spec in fields:
        schema.add(spec)
    return schema


def _read_field(path: Path) -> FieldSchema:
    root = ET.parse(path).getroot()  # noqa: S314 (our own source files)
    kind = _text(root, "type")
    name = _text(root, "fullName")
    relationship = _text(root, "relationshipName")
    return FieldSchema(
        name=name,
        type=TYPES.get(kind, "string"),
        label=_text(root, "label"),
        length=int(_text(root, "length") or 0),
        precision=int(_text(root, "precision") or 0),
        scale=int(_text(root, "scale") or 0),
        required=kind == "MasterDetail" or _text(root, "required") == "true",
        updateable=not (
            kind == "MasterDetail" and _text(root, "reparentableMasterDetail") != "true"
        ),
        external_id=_text(root, "externalId") == "true",
        unique=_text(root, "unique") == "true",
        picklist=tuple(_picklist(root)),
        restricted=_text(root.find(f"{NS}valueSet"), "restricted") == "true",
        reference_to=tuple(_all(root, "referenceTo")),
        relationship_name=name[:-3] + "__r" if relationship else None,
        child_relationship=relationship + "__r" if relationship else None,
        default=_default(kind, _text(root, "defaultValue")),
        custom=True,
    )


def _picklist(root: ET.Element) -> list[str]:
    values = root.findall(f"{NS}valueSet/{NS}valueSetDefinition/{NS}value")
    return [_text(value, "fullName") for value in values]


def _default(kind: str, raw: str) -> object:
    if kind == "Checkbox":
        return raw == "true"
    return None


def _text(element: ET.Element | None, tag: str) -> str:
    if element is None:
        return ""
    found = element.find(f"{NS}{tag}")
    return (found.text or "").strip() if found is not None else ""


def _all(element: ET.Element, tag: str) -> list[str]:
    return [(found.text or "").strip() for found in element.findall(f"{NS}{tag}")]
