"""The SDK's models against the host's contract, docs/openapi.json (``npm run docs:openapi``).

Every field of a model that comes from the wire is a property of the answer's schema, with a
compatible type; and given an answer with every property set, ``from_wire`` reads each of them.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import datetime
from typing import Any, Dict, Type

import pytest

from ditto.errors import ERROR_CODES
from ditto.models import Copy, CopyEvent, Status, TestDatabase
from support import REPO

OPENAPI = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
SCHEMAS: Dict[str, Any] = OPENAPI["components"]["schemas"]

# Model, the schema of the answer it is read from. Copy holds the issued copy's fields too.
MODELS = [(Copy, "IssuedCopy"), (CopyEvent, "CopyEvent"), (Status, "Status"), (TestDatabase, "TestDatabase")]
# Fields that hold the answer itself, not one of its properties.
NOT_ON_THE_WIRE = {"raw"}

JSON_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number", datetime: "string", list: "array", dict: "object"}


def resolve(schema: Dict[str, Any]) -> Dict[str, Any]:
    if "$ref" in schema:
        return resolve(SCHEMAS[schema["$ref"].split("/")[-1]])
    if "anyOf" in schema:
        return resolve(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    return schema


def json_type(schema: Dict[str, Any]) -> str:
    s = resolve(schema)
    if "enum" in s or "const" in s:
        return "string"
    kind = s["type"]
    return next(t for t in kind if t != "null") if isinstance(kind, list) else kind


def python_type(hint: Any) -> Any:
    """The type a field holds when it holds something: Optional[X] is X, List[str] is list."""
    if typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return typing.get_origin(hint) or hint


def sample(schema: Dict[str, Any], name: str = "x") -> Any:
    """A value for every property, none one a reader would take for absent."""
    s = resolve(schema)
    if "const" in s:
        return s["const"]
    if "enum" in s:
        return s["enum"][-1]
    kind = json_type(s)
    if kind == "string":
        return "2026-01-02T03:04:05.000Z" if s.get("format") == "date-time" else f"{name}-value"
    if kind == "integer":
        return 7
    if kind == "number":
        return 7.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(s.get("items", {}), name)]
    return {key: sample(p, key) for key, p in s.get("properties", {"key": {"type": "string"}}).items()}


@pytest.mark.parametrize(("model", "schema"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_each_model_field_is_a_property_of_its_schema_with_a_compatible_type(model: Type[Any], schema: str) -> None:
    properties = SCHEMAS[schema]["properties"]
    hints = typing.get_type_hints(model)
    fields = [f.name for f in dataclasses.fields(model) if f.name not in NOT_ON_THE_WIRE]
    assert [f for f in fields if f not in properties] == []
    mismatched = [(f, JSON_TYPES[python_type(hints[f])], json_type(properties[f])) for f in fields if JSON_TYPES[python_type(hints[f])] != json_type(properties[f])]
    assert mismatched == []


@pytest.mark.parametrize(("model", "schema"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_from_wire_reads_every_field_of_a_full_answer(model: Type[Any], schema: str) -> None:
    read = model.from_wire(sample({"$ref": f"#/components/schemas/{schema}"}))
    fields = [f for f in dataclasses.fields(model) if f.name not in NOT_ON_THE_WIRE]
    # A field read with another type than the schema's reads as absent: its default, or None.
    unread = [f.name for f in fields if getattr(read, f.name) is None or (f.default is not dataclasses.MISSING and getattr(read, f.name) == f.default)]
    assert unread == []


def test_error_codes_are_the_contracts() -> None:
    # No SDK call asks a path for a method it does not serve: that answer keeps its code on the base class.
    answered = set(SCHEMAS["Error"]["properties"]["code"]["enum"]) - {"METHOD_NOT_ALLOWED"}
    assert sorted(ERROR_CODES) == sorted(answered)


def test_the_check_sees_a_field_read_with_another_type() -> None:
    full = sample({"$ref": "#/components/schemas/IssuedCopy"})
    assert Copy.from_wire({**full, "port": "5433"}).port is None
    assert json_type(SCHEMAS["Copy"]["properties"]["port"]) == "integer"
