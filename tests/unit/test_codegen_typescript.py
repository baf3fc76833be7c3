"""The TypeScript renderer's pure parts: literals and comments contract text cannot break,
names, package names, the json-schema-to-typescript input, pinned versions, and the errors when
Node.js is missing. (Packages built and run in Node.js: tests/integration/nodejs/.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import evreg
from evreg.cli.main import main
from evreg.codegen import CodegenError, SourceContract, build_plan, renderer, subject_for
from evreg.codegen.typescript import DEV_DEPENDENCIES, RUNTIME_VERSION, camel, tools
from evreg.codegen.typescript.literals import ascii_only, jsdoc, ts_str, ts_value
from evreg.codegen.typescript.types import ROOT, input_schema

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "codegen"


@given(st.text())
def test_string_literals_are_json_ascii(value: str) -> None:
    literal = ts_str(value)
    assert json.loads(literal) == value
    assert literal.isascii() and "\n" not in literal and "\u2028" not in literal


@given(st.text())
def test_doc_comments_cannot_be_closed(value: str) -> None:
    comment = jsdoc(value, 2)
    assert comment.startswith("/**\n") and comment.endswith(" */")
    assert comment.isascii()
    assert "*/" not in comment[3:-2]  # only the comment's own end


def test_values_keep_proto_as_an_own_property() -> None:
    text = ts_value({"__proto__": {"polluted": True}, "a": [1, 2.5, None, "x\u202e"]})
    assert '["__proto__"]: {' in text  # a computed key: an own property, as JSON.parse gives
    assert '"x\\u202e"' in text and text.isascii()
    assert ts_value(float("nan")) == "Number.NaN"


def test_ascii_only_escapes_astral_characters_as_surrogates() -> None:
    assert ascii_only("a\U0001f381b") == "a\\ud83c\\udf81b"


def test_method_names() -> None:
    assert camel("order_placed") == "orderPlaced"
    assert camel("on order_placed") == "onOrderPlaced"
    assert camel("url_config_v2") == "urlConfigV2"


def test_package_names() -> None:
    ts = renderer("typescript")
    for good in ("orders-events", "@acme/orders.events", "a1_b~c"):
        assert ts.check_package(good) == good
    for bad in ("Orders", "../x", "a b", "_x", ".x", "@acme/", "x" * 215):
        with pytest.raises(CodegenError, match="--package"):
            ts.check_package(bad)
    contract = evreg.load_contract((FIXTURES / "orders.asyncapi.yaml").read_text(), name="o.yaml")
    source = SourceContract(contract, "o.yaml", "orders")
    assert ts.default_package([source]) == "orders-service"
    assert ts.default_package([source, source]) == "events"


def test_the_json_schema_to_typescript_input() -> None:
    sources = []
    for name in ("orders.asyncapi.yaml", "hostile.asyncapi.yaml"):
        contract = evreg.load_contract((FIXTURES / name).read_text(), name=name)
        sources.append(SourceContract(contract, name, subject_for(name, contract.document)))
    plan = build_plan(sources)
    given_ = input_schema(plan.bundle.model_schema)
    assert given_["title"] == ROOT
    names = [entity.name for entity in plan.bundle.entities]
    assert list(given_["$defs"]) == names  # one declaration per entity, under evreg's name
    assert all(given_["$defs"][n]["title"] == n for n in names)
    assert given_["properties"] == {n: {"$ref": f"#/$defs/{n}"} for n in names}
    placed = given_["$defs"]["OrderPlaced"]["properties"]
    assert placed["placedAt"]["description"] == "@format date-time"
    text = json.dumps(given_)
    assert "*/" not in text  # a pattern or description cannot end the comment it goes in
    tuple_schema = {"$defs": {"T": {"type": "array", "prefixItems": [{"type": "string"}]}}}
    assert input_schema(tuple_schema)["$defs"]["T"]["items"] == [{"type": "string"}]


def test_pinned_versions_agree_with_the_repository_workspace() -> None:
    """Generated package.json files ask for what js/ (the tests' one npm install) pins."""
    workspace = json.loads((REPO / "js" / "package.json").read_text())
    for name, version in DEV_DEPENDENCIES.items():
        assert workspace["devDependencies"][name] == version, name
    runtime = json.loads((REPO / "js" / "runtime" / "package.json").read_text())
    assert f"^{runtime['version']}" == RUNTIME_VERSION
    assert runtime["version"] == evreg.__version__
    lock = json.loads((REPO / "js" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/typescript"]["version"] == DEV_DEPENDENCIES["typescript"]
    pinned = tools.pinned()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned["json-schema-to-typescript"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned["prettier"])


def test_without_node_generation_stops_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("EVREG_TS_TOOLS", str(tmp_path / "tools"))
    contract = str(REPO / "contracts" / "order_placed.yaml")
    out = tmp_path / "out"
    assert main(["generate", "--lang", "typescript", contract, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Node.js" in err and "node" in err and "PATH" in err
    assert not out.exists()  # nothing written


def test_cli_lists_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--lang", "list"]) == 0
    assert capsys.readouterr().out.split() == ["python", "typescript"]
