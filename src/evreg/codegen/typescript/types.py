"""``src/models.ts``: one TypeScript type per payload and header set, by json-schema-to-typescript.

The input is the plan's model schema (every entity under ``$defs``, with the names the Python
generator uses too), prepared for json-schema-to-typescript:

- each entity gets its name as ``title``, and a root object refers to every entity, so each one
  is declared under exactly that name (the root itself is dropped from the output);
- the JSON Schema details TypeScript has no type for are written into the doc comment as tags
  (``@format date-time``, ``@pattern``, ``@minimum``...), escaped so they cannot end it;
- ``prefixItems`` (tuples, 2020-12) goes back to the ``items`` array json-schema-to-typescript
  reads.

What comes out, as json-schema-to-typescript writes it: an enum is a union of string (or number)
literals, ``const`` a literal type, an optional property ``name?: T`` (left out of the JSON when
unset) and a nullable one ``T | null`` (kept apart, as on the wire), ``oneOf``/``anyOf`` a union,
``allOf`` an intersection, an object that does not forbid other properties an index signature
``[k: string]: unknown``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evreg.codegen.errors import CodegenError
from evreg.codegen.schemas import DATA_KEYS, NAME_MAPS
from evreg.codegen.typescript import tools
from evreg.codegen.typescript.literals import comment_safe

ROOT = "EvregModelsRoot"
_TAGS = (
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)
_DECLARED = re.compile(
    r"^export (?:interface|type|enum|const enum) ([A-Za-z_$][A-Za-z0-9_$]*)\b", re.M
)


def _tag_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _prepare(node: Any) -> Any:
    if isinstance(node, list):
        return [_prepare(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DATA_KEYS:
            out[key] = value
        elif key in NAME_MAPS and isinstance(value, dict):
            out[key] = {name: _prepare(sub) for name, sub in value.items()}
        elif key == "description" and isinstance(value, str):
            out[key] = comment_safe(value)
        else:
            out[key] = _prepare(value)
    if isinstance(out.get("prefixItems"), list):
        rest = out.pop("items", None)
        out["items"] = out.pop("prefixItems")
        out["additionalItems"] = rest if rest is not None else True
    tags = [
        f"@{key} {comment_safe(_tag_value(node[key]))}"
        for key in _TAGS
        if key in node and not isinstance(node[key], bool | dict | list)
    ]
    if tags:
        description = out.get("description")
        lines = [description, ""] if isinstance(description, str) and description else []
        out["description"] = "\n".join([*lines, *tags])
    return out


def input_schema(model_schema: dict[str, Any]) -> dict[str, Any]:
    """What json-schema-to-typescript is given for ``model_schema`` (pure; for tests too)."""
    defs: dict[str, Any] = model_schema.get("$defs", {})
    prepared: dict[str, Any] = {}
    for name, node in defs.items():
        body = _prepare(node) if isinstance(node, dict) else ({} if node else {"not": {}})
        prepared[name] = {"title": name, **{k: v for k, v in body.items() if k != "title"}}
    return {
        "title": ROOT,
        "type": "object",
        "additionalProperties": False,
        "required": list(prepared),
        "properties": {name: {"$ref": f"#/$defs/{name}"} for name in prepared},
        "$defs": prepared,
    }


def _drop_root(text: str) -> str:
    start = text.find(f"export interface {ROOT} {{")
    if start < 0:
        raise CodegenError("json-schema-to-typescript did not declare the root it was given")
    end = text.find("\n}\n", start)
    if end < 0:
        raise CodegenError("json-schema-to-typescript's root declaration is not closed")
    return (text[:start] + text[end + 3 :]).lstrip("\n")


def render_models(model_schema: dict[str, Any], header: str, expected: list[str]) -> str:
    """The text of models.ts; every name in ``expected`` must be declared in it."""
    if not model_schema.get("$defs"):
        none = "// No message in the contract declares a payload or headers.\nexport {};\n"
        return f"{header}\n\n{none}"
    text = _drop_root(tools.json2ts(input_schema(model_schema), ROOT))
    declared = _DECLARED.findall(text)
    missing = sorted(set(expected) - set(declared))
    if missing:
        raise CodegenError(f"json-schema-to-typescript renamed or dropped {', '.join(missing)}")
    duplicated = sorted({n for n in declared if declared.count(n) > 1})
    if duplicated:
        raise CodegenError(f"json-schema-to-typescript declared twice: {', '.join(duplicated)}")
    return f"{header}\n\n{text}" if text.endswith("\n") else f"{header}\n\n{text}\n"
