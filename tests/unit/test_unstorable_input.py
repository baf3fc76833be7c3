"""Contract text no store can keep, or no JSON writer can write, is refused at the place.

Issue 15: a lone surrogate (``"\\ud800"``) in schema text gave 500 on both stores (it has no
UTF-8 form), a NUL was stored on SQLite and gave 500 on PostgreSQL (its text type cannot hold
it), a 5,000-digit integer leaked Python's ``sys.set_int_max_str_digits`` hint, and ``1e999999``
read as infinity, which JSON cannot write. The oracles: UTF-8 itself (``str.encode``), JSON
itself (``json.dumps(..., allow_nan=False)``) and PostgreSQL's rule that text holds no NUL.
"""

from __future__ import annotations

import json

import pytest

from evreg.contracts import ContractError, load_contract
from evreg.contracts.parse import parse_text
from evreg.contracts.values import MAX_INT_DIGITS, to_json_value


@pytest.mark.parametrize(
    ("text", "pointer", "words"),
    [
        ('{"description": "\\ud800"}', "#/description", "lone surrogate (U+D800)"),
        ('{"enum": ["ok", "a\\udfffb"]}', "#/enum/1", "lone surrogate (U+DFFF)"),
        ('{"description": "a\\u0000b"}', "#/description", "NUL character"),
        ('{"properties": {"a\\u0000": {}}}', "#/properties", "property name"),
        ('{"properties": {"\\ud800": {}}}', "#/properties", "property name"),
        ('description: "a\\0b"', "#/description", "NUL character"),
        ('{"maximum": 1e999999}', "#/maximum", "64-bit float"),
    ],
)
def test_unstorable_values_are_refused_at_their_pointer(
    text: str, pointer: str, words: str
) -> None:
    with pytest.raises(ContractError) as caught:
        parse_text(text)
    assert caught.value.pointer == pointer
    assert words in caught.value.message
    json.dumps(caught.value.message).encode()  # the error itself is writable as UTF-8 JSON


def test_the_oracles_agree_these_values_cannot_be_kept() -> None:
    with pytest.raises(UnicodeEncodeError):
        json.loads('"\\ud800"').encode()
    with pytest.raises(ValueError):
        json.dumps(json.loads("1e999999"), allow_nan=False)


@pytest.mark.parametrize("text", ['{"maximum": 1%s}', "maximum: 1%s", '{"enum": [-1%s]}'])
def test_a_huge_integer_is_refused_without_python_internals(text: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_text(text % ("0" * MAX_INT_DIGITS))
    message = str(caught.value)
    assert f"{MAX_INT_DIGITS + 1:,} digits; at most {MAX_INT_DIGITS:,}" in message
    assert "set_int_max_str_digits" not in message
    assert caught.value.line == 1 and caught.value.column is not None
    assert parse_text(text % ("0" * (MAX_INT_DIGITS - 1))) is not None  # the bound itself


def test_a_caller_value_with_unstorable_strings_is_refused() -> None:
    with pytest.raises(ContractError) as caught:
        to_json_value({"a": ["x", "\x00"]})
    assert caught.value.pointer == "#/a/1"
    with pytest.raises(ContractError) as caught:
        to_json_value({"a": {"\ud800": 1}})
    assert caught.value.pointer == "#/a"


def test_escaped_text_is_fine() -> None:
    """The six characters ``\\u0000`` written in a description are text, not a NUL."""
    doc = load_contract('{"description": "write \\\\u0000 for NUL", "type": "string"}')
    assert doc.document == {"description": "write \\u0000 for NUL", "type": "string"}
