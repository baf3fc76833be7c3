"""JSON Pointer -> line number in YAML and JSON sources (for annotations)."""

from __future__ import annotations

import json

import pytest

from evreg.cli.locate import line_of, pointer_tokens

YAML = """\
# a comment
asyncapi: 3.0.0
components:
  messages:
    OrderPlaced:
      payload:
        $ref: '#/components/schemas/Order'
  schemas:
    Order:
      type: object
      required: [orderId, total]
      properties:
        orderId: {type: string}
        a/b~c:
          type: string
        "x y":
          type: integer
        items:
          type: array
          items:
            - type: string
            - type: integer
"""


def test_pointer_tokens() -> None:
    assert pointer_tokens("") == []
    assert pointer_tokens("#") == []
    assert pointer_tokens("#/a/b~1c/d~0e/0") == ["a", "b/c", "d~e", "0"]
    assert pointer_tokens("/a") == ["a"]
    with pytest.raises(ValueError):
        pointer_tokens("a/b")


@pytest.mark.parametrize(
    ("pointer", "line"),
    [
        ("#", 2),
        ("#/asyncapi", 2),
        ("#/components/schemas/Order", 9),
        ("#/components/schemas/Order/required", 11),
        ("#/components/schemas/Order/required/1", 11),
        ("#/components/schemas/Order/required/total", 11),
        ("#/components/schemas/Order/properties/orderId", 13),
        ("#/components/schemas/Order/properties/a~1b~0c", 14),
        ("#/components/schemas/Order/properties/x%20y", 16),
        ("#/components/schemas/Order/properties/items/items/1", 22),
        ("/components/schemas/Order/properties/items/items/1/type", 22),
    ],
)
def test_yaml_lines(pointer: str, line: int) -> None:
    assert line_of(YAML, pointer) == line


def test_follows_local_refs() -> None:
    # The payload is a $ref: the rest of the pointer continues in the referenced schema.
    assert line_of(YAML, "#/components/messages/OrderPlaced/payload/properties/orderId") == 13
    assert line_of(YAML, "#/components/messages/OrderPlaced/payload") == 6


def test_nearest_ancestor_for_missing_nodes() -> None:
    pointer = "#/components/schemas/Order/properties/removed"
    assert line_of(YAML, pointer) == 12
    assert line_of(YAML, pointer, nearest=False) is None
    assert line_of(YAML, "#/components/schemas/Order/required/7") == 11
    assert line_of(YAML, "#/components/schemas/Order/required/7", nearest=False) is None


def test_ref_loops_terminate() -> None:
    source = "a:\n  $ref: '#/b'\nb:\n  $ref: '#/a'\n"
    assert line_of(source, "#/a/missing") == 1
    assert line_of(source, "#/a/missing", nearest=False) is None


def test_json_source() -> None:
    document = {
        "type": "object",
        "required": ["customerId", "phone"],
        "properties": {"customerId": {"type": "string"}, "phone": {"type": "string"}},
    }
    source = json.dumps(document, indent=2)
    lines = source.splitlines()
    line = line_of(source, "#/properties/phone")
    assert line is not None
    assert '"phone": {' in lines[line - 1]
    for pointer in ("#/required/1", "#/required/phone"):
        line = line_of(source, pointer)
        assert line is not None
        assert '"phone"' in lines[line - 1]


def test_unparsable_or_empty_source() -> None:
    assert line_of("a: [1, 2\n", "#/a") is None
    assert line_of("", "#/a") is None
    assert line_of("a: 1\n", "not-a-pointer") is None
