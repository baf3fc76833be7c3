"""The UI's pure helpers: the property table of a schema, the JSON highlighter, the diff rows."""

from __future__ import annotations

from typing import Any

from evreg.registry.web.highlight import highlight_json, pretty
from evreg.registry.web.pages import side_by_side
from evreg.registry.web.schema_table import property_rows


def _rows(schema: Any, document: Any = None, **resources: Any) -> dict[str, Any]:
    rows, _ = property_rows(schema, document, resources)
    return {r.name: r for r in rows}


def test_nested_objects_arrays_refs_and_constraints() -> None:
    document = {
        "$defs": {
            "Money": {
                "type": "object",
                "required": ["amount"],
                "properties": {
                    "amount": {"type": "number", "minimum": 0, "description": "In cents"},
                    "currency": {"enum": ["EUR", "USD"], "default": "EUR"},
                },
            }
        },
        "type": "object",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid", "pattern": "^[a-f0-9-]+$"},
            "price": {"$ref": "#/$defs/Money"},
            "lines": {"type": "array", "items": {"$ref": "#/$defs/Money"}, "maxItems": 5},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "kind": {"oneOf": [{"$ref": "#/$defs/Money"}, {"type": "string"}]},
        },
    }
    rows = _rows(document)
    assert rows["id"].required and rows["id"].constraints == (
        "format: uuid",
        "pattern: ^[a-f0-9-]+$",
    )
    assert rows["price"].type == "object" and not rows["price"].required
    assert rows["price.amount"].required and rows["price.amount"].description == "In cents"
    assert rows["price.currency"].constraints == ('one of "EUR", "USD"', 'default "EUR"')
    assert rows["lines"].type == "array of object"
    assert rows["lines[].amount"].depth == 1
    assert rows["tags"].type == "array of string | null"
    assert rows["kind"].type == "oneOf(Money | string)"


def test_cycles_allof_unresolved_and_named_references() -> None:
    tree = {
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "allOf": [
            {"$ref": "#/$defs/Node"},
            {"required": ["name"], "properties": {"name": {"type": "string"}}},
        ],
        "properties": {
            "money": {"$ref": "money.json#/$defs/Money"},
            "lost": {"$ref": "#/nowhere"},
        },
    }
    money = {"$defs": {"Money": {"type": "object", "properties": {"amount": {"type": "integer"}}}}}
    rows = _rows(tree, **{"money.json": money})
    assert rows["name"].required
    assert rows["child"].type == "object"
    assert rows["child.child"].type == "recursive: Node"
    assert rows["money.amount"].type == "integer"
    assert rows["lost"].type == "$ref #/nowhere"
    scalar = _rows({"type": "string", "maxLength": 3})
    assert scalar["(root)"].constraints == ("maxLength: 3",)
    assert _rows(True)["(root)"].type == "any"


def test_the_highlighter_escapes_every_token() -> None:
    text = pretty({"<k>": "<script>&", "n": -1.5e3, "ok": True, "none": None})
    html = str(highlight_json(text))
    assert '<span class="j-key">&#34;&lt;k&gt;&#34;</span>' in html
    assert '<span class="j-str">&#34;&lt;script&gt;&amp;&#34;</span>' in html
    assert '<span class="j-num">-1500.0</span>' in html
    assert '<span class="j-kw">true</span>' in html and '<span class="j-kw">null</span>' in html
    assert "<script" not in html


def test_side_by_side_folds_long_unchanged_runs() -> None:
    old = "\n".join(f"line {i}" for i in range(40))
    new = old.replace("line 20", "line twenty")
    rows = side_by_side(old, new)
    tags = [r.tag for r in rows]
    assert tags.count("replace") == 1
    assert [t for t in tags if t.startswith("skip:")] == ["skip:17", "skip:16"]
    changed = next(r for r in rows if r.tag == "replace")
    assert (changed.old, changed.new, changed.old_number) == ("line 20", "line twenty", 21)
    same = side_by_side(old, old)
    assert len(same) == 40 and all(r.tag == "equal" for r in same)
