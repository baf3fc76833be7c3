"""A JSON Schema as a readable property table: name, type, required, constraints, description.

Pure: takes a schema node and the document it lives in (to resolve local ``$ref``s, and the
named documents it references), and flattens nested objects and arrays into dotted rows
(``shippingAddress.city``, ``items[].sku``). Cycles and very deep or very wide schemas are cut
with a note instead of recursing forever.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 8
MAX_ROWS = 400

_CONSTRAINT_KEYS = (
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "contentEncoding",
    "contentMediaType",
)


@dataclass(frozen=True, slots=True)
class PropertyRow:
    name: str  # dotted path from the root: "items[].sku"
    depth: int
    type: str
    required: bool
    constraints: tuple[str, ...]
    description: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "depth": self.depth,
            "type": self.type,
            "required": self.required,
            "constraints": list(self.constraints),
            "description": self.description,
        }


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class _Resolver:
    def __init__(self, document: Any, resources: Mapping[str, Any]) -> None:
        self.document = document
        self.resources = resources

    def resolve(self, ref: str) -> tuple[Any, str] | None:
        """The node a ``$ref`` names and a key identifying it; None when it cannot be found."""
        base, _, fragment = ref.partition("#")
        if base:
            doc = self.resources.get(base)
            if doc is None:
                return None
        else:
            doc = self.document
        node = doc
        if fragment and fragment != "/":
            for raw in fragment.lstrip("/").split("/"):
                token = _unescape(raw)
                if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                elif isinstance(node, dict) and token in node:
                    node = node[token]
                else:
                    return None
        return node, ref


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ref_name(ref: str) -> str:
    return _unescape(ref.rstrip("/").rsplit("/", 1)[-1]) or ref


class _Flattener:
    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver
        self.rows: list[PropertyRow] = []
        self.truncated = False

    def deref(self, node: Any, seen: frozenset[str]) -> tuple[Any, frozenset[str], str | None]:
        """Follow ``$ref`` chains; the third value names a cycle or an unresolved reference."""
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 32:
            ref = node["$ref"]
            if ref in seen:
                return node, seen, f"recursive: {_ref_name(ref)}"
            found = self.resolver.resolve(ref)
            if found is None:
                return node, seen, f"$ref {ref}"
            target, key = found
            seen = seen | {key}
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if isinstance(target, dict) and siblings else target
            hops += 1
        return node, seen, None

    def merged(self, node: Any, seen: frozenset[str]) -> tuple[Any, frozenset[str], str | None]:
        """The node with its ``allOf`` members' properties and required lists merged in."""
        node, seen, note = self.deref(node, seen)
        if note or not isinstance(node, dict) or not isinstance(node.get("allOf"), list):
            return node, seen, note
        out: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        properties: dict[str, Any] = dict(out.get("properties") or {})
        required: list[str] = list(out.get("required") or [])
        for member in node["allOf"]:
            part, _, _ = self.merged(member, seen)
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    properties.update(value)
                elif key == "required" and isinstance(value, list):
                    required.extend(r for r in value if isinstance(r, str) and r not in required)
                else:
                    out.setdefault(key, value)
        if properties:
            out["properties"] = properties
        if required:
            out["required"] = required
        return out, seen, None

    def type_of(self, node: Any, seen: frozenset[str], note: str | None) -> str:
        if note:
            return note
        if node is True or node == {}:
            return "any"
        if node is False:
            return "nothing (false)"
        if not isinstance(node, dict):
            return "?"
        declared = node.get("type")
        if isinstance(declared, list):
            kinds = [str(t) for t in declared]
        elif isinstance(declared, str):
            kinds = [declared]
        elif "properties" in node or "additionalProperties" in node:
            kinds = ["object"]
        elif "items" in node or "prefixItems" in node:
            kinds = ["array"]
        elif "const" in node:
            return f"const {_short(node['const'], 40)}"
        elif "enum" in node:
            kinds = ["enum"]
        else:
            kinds = []
        for combinator in ("oneOf", "anyOf"):
            branches = node.get(combinator)
            if isinstance(branches, list) and branches:
                names = [self.branch_name(b, seen) for b in branches[:8]]
                more = " | …" if len(branches) > 8 else ""
                kinds.append(f"{combinator}({' | '.join(names)}{more})")
        if "array" in kinds:
            items = node.get("items")
            if isinstance(items, dict | bool):
                inner, inner_seen, inner_note = self.merged(items, seen)
                label = self.type_of(inner, inner_seen, inner_note)
                kinds[kinds.index("array")] = f"array of {label}"
        return " | ".join(kinds) if kinds else "any"

    def branch_name(self, branch: Any, seen: frozenset[str]) -> str:
        if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
            return _ref_name(branch["$ref"])
        node, inner_seen, note = self.merged(branch, seen)
        if isinstance(node, dict) and isinstance(node.get("title"), str):
            return str(node["title"])
        return self.type_of(node, inner_seen, note)

    @staticmethod
    def constraints(node: Any) -> tuple[str, ...]:
        if not isinstance(node, dict):
            return ()
        out: list[str] = []
        if "enum" in node and isinstance(node["enum"], list):
            out.append("one of " + ", ".join(_short(v, 40) for v in node["enum"][:20]))
            if len(node["enum"]) > 20:
                out[-1] += f", … ({len(node['enum'])} values)"
        if "const" in node:
            out.append(f"const {_short(node['const'])}")
        for key in _CONSTRAINT_KEYS:
            if key in node and not isinstance(node[key], dict | list):
                value = node[key]
                shown = value if isinstance(value, str) and len(value) <= 60 else _short(value, 60)
                out.append(f"{key}: {shown}")
        if node.get("additionalProperties") is False:
            out.append("no other properties")
        if node.get("unevaluatedProperties") is False:
            out.append("no unevaluated properties")
        if "default" in node:
            out.append(f"default {_short(node['default'])}")
        if node.get("deprecated") is True:
            out.append("deprecated")
        if node.get("readOnly") is True:
            out.append("read-only")
        if node.get("writeOnly") is True:
            out.append("write-only")
        return tuple(out)

    @staticmethod
    def description(node: Any) -> str | None:
        if not isinstance(node, dict):
            return None
        for key in ("description", "title"):
            value = node.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def add(self, row: PropertyRow) -> bool:
        if len(self.rows) >= MAX_ROWS:
            self.truncated = True
            return False
        self.rows.append(row)
        return True

    def walk(self, node: Any, prefix: str, depth: int, seen: frozenset[str]) -> None:
        """Rows for the properties of ``node`` (an object, or an array of objects)."""
        if depth > MAX_DEPTH:
            self.truncated = True
            return
        node, seen, note = self.merged(node, seen)
        if note or not isinstance(node, dict):
            return
        properties = node.get("properties")
        if isinstance(properties, dict):
            listed = node.get("required")
            required: list[Any] = listed if isinstance(listed, list) else []
            for name, child in properties.items():
                path = f"{prefix}.{name}" if prefix else str(name)
                resolved, child_seen, child_note = self.merged(child, seen)
                row = PropertyRow(
                    name=path,
                    depth=depth,
                    type=self.type_of(resolved, child_seen, child_note),
                    required=name in required,
                    constraints=self.constraints(resolved),
                    description=self.description(resolved) or self.description(child),
                )
                if not self.add(row):
                    return
                if not child_note:
                    self.walk(resolved, path, depth + 1, child_seen)
        items = node.get("items")
        if isinstance(items, dict) and prefix:
            self.walk(items, f"{prefix}[]", depth, seen)


def property_rows(
    schema: Any, document: Any = None, resources: Mapping[str, Any] | None = None
) -> tuple[list[PropertyRow], bool]:
    """The rows of ``schema`` (a node of ``document``) and whether the table was cut short.

    An object schema gives one row per property (nested ones dotted); any other schema gives one
    row named ``(root)``.
    """
    flattener = _Flattener(_Resolver(schema if document is None else document, resources or {}))
    root, seen, note = flattener.merged(schema, frozenset())
    if not note and isinstance(root, dict) and isinstance(root.get("properties"), dict):
        flattener.walk(root, "", 0, seen)
    else:
        flattener.add(
            PropertyRow(
                name="(root)",
                depth=0,
                type=flattener.type_of(root, seen, note),
                required=True,
                constraints=flattener.constraints(root),
                description=flattener.description(root),
            )
        )
        if not note and isinstance(root, dict) and isinstance(root.get("items"), dict):
            flattener.walk(root["items"], "[]", 1, seen)
    return flattener.rows, flattener.truncated
