"""An Avro schema as the JSON Schema (draft-07) of the same values, for code generation.

A record is an object with one property per field (required unless the field has a default; no
other property), an enum a string enum, a fixed a string of its size, an array an array, a map an
object whose values follow the map's, a union an ``anyOf``, ``int`` and ``long`` integers within
their 32- and 64-bit ranges, ``bytes`` a string (as Avro's JSON encoding writes bytes). Named types
are written once under ``definitions`` (keyed by their name, or their full name when two share a
name) and referenced by ``$ref``, so a recursive type stays finite; ``doc`` becomes
``description``, ``default`` stays. Logical types are their underlying type.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.avro.schema import AvroSchema, Node

_NUMBERS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
    "long": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
    "float": {"type": "number"},
    "double": {"type": "number"},
}


def to_json_schema(schema: AvroSchema, at: str = "#") -> dict[str, Any]:
    """The draft-07 JSON Schema of ``schema``'s values, to be placed at ``at`` (the pointer its
    ``$ref``s to ``definitions`` start from)."""
    return _Converter(schema, at).run()


class _Converter:
    def __init__(self, schema: AvroSchema, at: str) -> None:
        self.schema = schema
        self.at = at
        self.definitions: dict[str, Any] = {}
        self.root_name: str | None = None
        shorts = Counter(n.rpartition(".")[2] for n in schema.names)
        self.shared = {short for short, count in shorts.items() if count > 1}

    def run(self) -> dict[str, Any]:
        root = self.schema.root()
        self.root_name = root.fullname
        if root.kind in ("record", "enum", "fixed"):
            out = self.named_body(root)
        else:
            out = self.convert(root)
        if self.definitions:
            out["definitions"] = self.definitions
        return out

    def ref(self, node: Node) -> dict[str, Any]:
        fullname = node.fullname or ""
        if fullname == self.root_name:
            return {"$ref": self.at}
        short = fullname.rpartition(".")[2]
        key = fullname if short in self.shared else short
        if key not in self.definitions:
            self.definitions[key] = {}  # reserved first: a recursive type refers to itself
            self.definitions[key] = self.named_body(node)
        return {"$ref": pointer.join(self.at, "definitions", key)}

    def child(self, node: Node, value: Any, *segments: str | int) -> Node:
        return self.schema.resolve(value, pointer.join(node.pointer, *segments), node.namespace)

    def convert(self, node: Node) -> dict[str, Any]:
        kind = node.kind
        if kind in ("record", "enum", "fixed"):
            return self.ref(node)
        if kind == "union":
            branches = [self.convert(self.child(node, b, i)) for i, b in enumerate(node.node)]
            return {"anyOf": branches}
        if kind == "array":
            return {
                "type": "array",
                "items": self.convert(self.child(node, node.node["items"], "items")),
            }
        if kind == "map":
            values = self.convert(self.child(node, node.node["values"], "values"))
            return {"type": "object", "additionalProperties": values}
        if kind in _NUMBERS:
            return dict(_NUMBERS[kind])
        if kind in ("string", "bytes"):
            return {"type": "string"}
        return {"type": kind}  # null, boolean

    def named_body(self, node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {"title": node.name}
        doc = node.node.get("doc")
        if isinstance(doc, str):
            out["description"] = doc
        if node.kind == "enum":
            out.update({"type": "string", "enum": list(node.node["symbols"])})
            return out
        if node.kind == "fixed":
            size = int(node.node["size"])
            out.update({"type": "string", "minLength": size, "maxLength": size})
            return out
        properties: dict[str, Any] = {}
        required: list[str] = []
        for i, field in enumerate(node.node.get("fields") or []):
            prop = self.convert(self.child(node, field["type"], "fields", i, "type"))
            if isinstance(field.get("doc"), str):
                prop = {**prop, "description": field["doc"]}
            if "default" in field:
                prop = {**prop, "default": field["default"]}
            else:
                required.append(field["name"])
            properties[field["name"]] = prop
        out.update({"type": "object", "properties": properties, "additionalProperties": False})
        if required:
            out["required"] = required
        return out
