"""Hostile or broken input: syntax errors with positions, alias bombs, deep nesting, odd YAML."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from evreg.contracts import ContractError, load_contract, yaml_reader
from evreg.contracts.values import MAX_DEPTH
from evreg.contracts.yaml_reader import MAX_ALIASES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "contracts"


def _error(source: Any, name: str = "c.yaml") -> ContractError:
    with pytest.raises(ContractError) as caught:
        load_contract(source, name=name)
    return caught.value


# -- syntax errors -------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column() -> None:
    error = _error("type: object\nproperties:\n  a: [1, 2\n  b: 3\n")
    assert error.message.startswith("invalid YAML")
    assert (error.source, error.line, error.column) == ("c.yaml", 4, 4)
    assert str(error).startswith("c.yaml:4:4: invalid YAML")


def test_json_syntax_error_has_line_and_column() -> None:
    error = _error('{\n  "type": "object",\n  "properties": {"a" {}}\n}\n', name="c.json")
    assert error.message == "invalid JSON: Expecting ':' delimiter"
    assert (error.line, error.column) == (3, 22)
    assert str(error) == "c.json:3:22: invalid JSON: Expecting ':' delimiter"


def test_yaml_flow_style_starting_with_a_brace_is_fine() -> None:
    contract = load_contract("{type: object, required: [a]}")
    assert contract.document == {"type": "object", "required": ["a"]}


def test_invalid_utf8_has_a_position() -> None:
    error = _error(b"type: object\ntitle: caf\xe9\n")
    assert "not valid UTF-8" in error.message
    assert (error.line, error.column) == (2, 11)


def test_tab_indentation() -> None:
    error = _error("properties:\n\ta: {}\n")
    assert error.line == 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("type: object\ntitle: a\ntype: string\n", 3, "duplicate key 'type'"),
        ('{\n "type": "object",\n "type": "string"\n}', 3, "duplicate key 'type'"),
        ("properties:\n  a: {}\n  1: {}\n", 3, "read by YAML as int"),
        ("properties:\n  on: {}\n", 2, "read by YAML as bool"),
        ("properties:\n  ~: {}\n", 2, "read by YAML as null"),
        ("? [a, b]\n: 1\n", 1, "not YAML collections"),
        ("title: !!binary aGVsbG8=\n", 1, "!!binary has no JSON meaning"),
        ("enum: !!set {a, b}\n", 1, "!!set has no JSON meaning"),
        ("title: !custom x\n", 1, "!custom has no JSON meaning"),
        ("maximum: .inf\n", 1, "not a JSON number"),
        ("", 1, "empty"),
        ("type: object\n---\ntype: string\n", 2, "another document"),
        ("title: \x00\n", 1, "control characters"),
    ],
)
def test_yaml_and_json_structure_errors_have_lines(text: str, line: int, message: str) -> None:
    error = _error(text)
    assert error.line == line
    assert message in error.message


def test_json_nan_is_refused() -> None:
    assert "NaN is not a JSON number" in _error('{"maximum": NaN}').message


def test_yaml_timestamps_stay_text_and_merge_keys_work() -> None:
    text = """
$defs:
  base: &base {type: string, description: since 2026-11-20}
  dated: {<<: *base, default: 2026-11-20}
"""
    contract = load_contract(text)
    assert contract.document["$defs"]["dated"] == {
        "type": "string",
        "description": "since 2026-11-20",
        "default": "2026-11-20",
    }


# -- alias bombs ---------------------------------------------------------------------------

BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.perf_counter()
    error = _error(BILLION_LAUGHS)
    assert time.perf_counter() - started < 2
    assert "expands to more than" in error.message
    assert error.line == 8  # the first node past the bound: the list at g


def test_too_many_aliases_are_refused() -> None:
    text = "a: &x 1\nb: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    error = _error(text)
    assert f"more than {MAX_ALIASES} YAML aliases" in error.message
    assert error.line == 2


def test_a_few_aliases_are_fine() -> None:
    text = "$defs:\n  s: &s {type: string}\nproperties:\n  a: *s\n  b: *s\n"
    contract = load_contract(text)
    assert contract.document["properties"] == {"a": {"type": "string"}, "b": {"type": "string"}}


def test_recursive_alias_is_refused() -> None:
    error = _error("a: &a [1, *a]\n")
    assert "recursive YAML alias" in error.message
    assert error.line == 1


# -- nesting -------------------------------------------------------------------------------


def _nested_dict(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(depth - 1):
        doc = {"not": doc}
    return doc


def test_max_depth_is_128() -> None:
    assert MAX_DEPTH == 128


@pytest.mark.parametrize("kind", ["json", "yaml-flow", "yaml-block", "dict"])
def test_ten_thousand_levels_are_refused(kind: str) -> None:
    depth = 10_000
    source: Any
    if kind == "json":
        source = '{"not": ' * (depth - 1) + "{}" + "}" * (depth - 1)
    elif kind == "yaml-flow":
        source = "a: " + "[" * depth + "]" * depth + "\n"
    elif kind == "yaml-block":
        source = "".join("  " * i + "a:\n" for i in range(depth))
    else:
        source = _nested_dict(depth)
    error = _error(source)
    assert f"nested more than {MAX_DEPTH} levels deep" in error.message
    assert error.source == "c.yaml"


def test_depth_limit_is_exact_for_dicts_and_text() -> None:
    assert load_contract(_nested_dict(MAX_DEPTH)).document is not None
    error = _error(_nested_dict(MAX_DEPTH + 1))
    assert error.pointer == "#" + "/not" * MAX_DEPTH
    text_ok = '{"not": ' * (MAX_DEPTH - 1) + "{}" + "}" * (MAX_DEPTH - 1)
    assert load_contract(text_ok).document is not None
    yaml_ok = "{not: " * (MAX_DEPTH - 1) + "{}" + "}" * (MAX_DEPTH - 1)
    assert load_contract(yaml_ok).document == _nested_dict(MAX_DEPTH)
    yaml_too_deep = "{not: " * MAX_DEPTH + "{}" + "}" * MAX_DEPTH
    error = _error(yaml_too_deep)
    assert "nested more than" in error.message
    assert (error.line, error.column) == (1, 6 * MAX_DEPTH + 1)


def test_aliases_cannot_smuggle_depth() -> None:
    half = MAX_DEPTH // 2 + 2
    text = "a: &deep " + "[" * half + "]" * half + "\nb: " + "[" * half + "*deep" + "]" * half
    assert "nested more than" in _error(text + "\n").message


# -- without libyaml -----------------------------------------------------------------------


class _PurePythonLoader(yaml.SafeLoader):
    pass


@pytest.fixture
def pure_python_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_reader, "_Loader", _PurePythonLoader)


@pytest.mark.usefixtures("pure_python_yaml")
def test_pure_python_yaml_reader_has_the_same_guards() -> None:
    assert "expands to more than" in _error(BILLION_LAUGHS).message
    assert "recursive YAML alias" in _error("a: &a [1, *a]\n").message
    assert _error("type: object\ntype: string\n").line == 2
    deep = "a: " + "[" * 10_000 + "]" * 10_000 + "\n"
    assert "nested more than" in _error(deep).message
    orders = (FIXTURES / "orders.asyncapi.yaml").read_text(encoding="utf-8")
    assert load_contract(orders).document == yaml.safe_load(orders)
