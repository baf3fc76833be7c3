"""Avro compatibility: one case per rule, with its JSON Pointer, and every witness proven.

A witness is re-checked here without evreg: decoded from its Avro JSON encoding by fastavro's
``json_reader``, written with the writer schema, and read with the reader schema: the read must
fail. The verdicts follow Avro's specification ("Schema Resolution").
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import avro.schema
import fastavro
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from fastavro.json_read import json_reader

from evreg.contracts import ContractError
from evreg.contracts.compat import check_compatibility, check_pairs
from evreg.contracts.loader import load_contract, load_stored
from evreg.contracts.model import ContractKind

AVRO = ContractKind.AVRO


def rec(*fields: dict[str, Any], name: str = "Order", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "shop", "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "Status", "symbols": list(symbols), **extra}


# (id, writer (old), reader (new), compatible, {"RULE #/pointer", ...} of BACKWARD findings)
CASES: list[tuple[str, Any, Any, bool, set[str]]] = [
    ("same", rec(f("id", "long")), rec(f("id", "long")), True, set()),
    (
        "type-changed",
        rec(f("id", "long")),
        rec(f("id", "string")),
        False,
        {"AVRO_TYPE_CHANGED #/fields/0/type"},
    ),
    (
        "long-to-int",
        rec(f("id", "long")),
        rec(f("id", "int")),
        False,
        {"AVRO_TYPE_CHANGED #/fields/0/type"},
    ),
    (
        "int-promoted",
        rec(f("id", "int")),
        rec(f("id", "double")),
        True,
        {"AVRO_TYPE_PROMOTED #/fields/0/type"},
    ),
    (
        "string-to-bytes",
        rec(f("id", "string")),
        rec(f("id", "bytes")),
        True,
        {"AVRO_TYPE_PROMOTED #/fields/0/type"},
    ),
    (
        "bytes-to-string",
        rec(f("id", "bytes")),
        rec(f("id", "string")),
        False,
        {"AVRO_BYTES_READ_AS_STRING #/fields/0/type"},
    ),
    (
        "field-added-no-default",
        rec(f("id", "long")),
        rec(f("id", "long"), f("qty", "int")),
        False,
        {"AVRO_FIELD_ADDED_WITHOUT_DEFAULT #/fields/1"},
    ),
    (
        "field-added-default",
        rec(f("id", "long")),
        rec(f("id", "long"), f("q", "int", default=1)),
        True,
        {"AVRO_FIELD_ADDED_WITH_DEFAULT #/fields/1"},
    ),
    (
        "field-removed",
        rec(f("id", "long"), f("q", "int")),
        rec(f("id", "long")),
        True,
        {"AVRO_FIELD_REMOVED #/fields/1"},
    ),
    (
        "field-renamed-alias",
        rec(f("id", "long")),
        rec(f("key", "long", aliases=["id"])),
        True,
        {"AVRO_FIELD_RENAMED_WITH_ALIAS #/fields/0"},
    ),
    (
        "field-renamed",
        rec(f("id", "long")),
        rec(f("key", "long")),
        False,
        {"AVRO_FIELD_ADDED_WITHOUT_DEFAULT #/fields/0", "AVRO_FIELD_REMOVED #/fields/0"},
    ),
    (
        "default-changed",
        rec(f("q", "int", default=1)),
        rec(f("q", "int", default=2)),
        True,
        {"AVRO_FIELD_DEFAULT_CHANGED #/fields/0/default"},
    ),
    (
        "symbol-removed",
        rec(f("s", enum("NEW", "PAID"))),
        rec(f("s", enum("NEW"))),
        False,
        {"AVRO_ENUM_SYMBOL_REMOVED #/fields/0/type/symbols/1"},
    ),
    (
        "symbol-removed-default",
        rec(f("s", enum("NEW", "PAID"))),
        rec(f("s", enum("NEW", default="NEW"))),
        True,
        {"AVRO_ENUM_SYMBOL_REMOVED_WITH_DEFAULT #/fields/0/type/symbols/1"},
    ),
    (
        "symbol-added",
        rec(f("s", enum("NEW"))),
        rec(f("s", enum("NEW", "PAID"))),
        True,
        {"AVRO_ENUM_SYMBOL_ADDED #/fields/0/type/symbols/1"},
    ),
    (
        "fixed-size",
        rec(f("h", {"type": "fixed", "name": "H", "size": 16})),
        rec(f("h", {"type": "fixed", "name": "H", "size": 32})),
        False,
        {"AVRO_FIXED_SIZE_CHANGED #/fields/0/type/size"},
    ),
    (
        "renamed",
        rec(f("id", "long")),
        rec(f("id", "long"), name="Purchase"),
        False,
        {"AVRO_NAME_CHANGED #"},
    ),
    (
        "renamed-alias",
        rec(f("id", "long")),
        rec(f("id", "long"), name="Purchase", aliases=["shop.Order"]),
        True,
        {"AVRO_NAME_CHANGED_WITH_ALIAS #"},
    ),
    (
        "namespace-moved",
        rec(f("id", "long")),
        {**rec(f("id", "long")), "namespace": "other"},
        True,
        set(),
    ),
    (
        "widened-to-union",
        rec(f("n", "string")),
        rec(f("n", ["null", "string"])),
        True,
        {"AVRO_TYPE_WIDENED_TO_UNION #/fields/0/type"},
    ),
    (
        "not-in-union",
        rec(f("n", "string")),
        rec(f("n", ["null", "int"])),
        False,
        {"AVRO_TYPE_NOT_IN_UNION #/fields/0/type"},
    ),
    (
        "branch-removed",
        rec(f("n", ["null", "string"])),
        rec(f("n", "string")),
        False,
        {"AVRO_UNION_BRANCH_REMOVED #/fields/0/type/0"},
    ),
    (
        "branch-added",
        rec(f("n", ["null", "string"])),
        rec(f("n", ["null", "string", "int"])),
        True,
        {"AVRO_UNION_BRANCH_ADDED #/fields/0/type/2"},
    ),
    (
        "long-branch-removed",
        rec(f("n", ["int", "long"])),
        rec(f("n", ["int"])),
        False,
        {"AVRO_UNION_BRANCH_REMOVED #/fields/0/type/1"},
    ),
    (
        "array-items",
        rec(f("t", {"type": "array", "items": "int"})),
        rec(f("t", {"type": "array", "items": "string"})),
        False,
        {"AVRO_TYPE_CHANGED #/fields/0/type/items"},
    ),
    (
        "map-values",
        rec(f("t", {"type": "map", "values": enum("A", "B")})),
        rec(f("t", {"type": "map", "values": enum("A")})),
        False,
        {"AVRO_ENUM_SYMBOL_REMOVED #/fields/0/type/values/symbols/1"},
    ),
    ("primitive-root", "int", "long", True, {"AVRO_TYPE_PROMOTED #"}),
]


def _load(document: Any) -> Any:
    return load_contract(json.dumps(document), kind=AVRO)


def _fails_to_read(writer: Any, reader: Any, witness: Any) -> bool:
    w, r = fastavro.parse_schema(writer), fastavro.parse_schema(reader)
    datum = next(iter(json_reader(io.StringIO(json.dumps(witness)), w)))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, w, datum)
    buffer.seek(0)
    try:
        fastavro.schemaless_reader(buffer, w, r)
    except Exception:
        return True
    return False


@pytest.mark.parametrize(
    ("writer", "reader", "compatible", "changes"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(writer: Any, reader: Any, compatible: bool, changes: set[str]) -> None:
    report = check_compatibility(_load(writer), _load(reader), "BACKWARD")
    assert {f"{x.rule} {x.path}" for x in report.findings} == changes
    assert report.is_compatible is compatible
    for finding in report.breaking:
        assert finding.has_witness, finding
        assert _fails_to_read(writer, reader, finding.witness), finding


def test_lenient_accepts_bytes_read_as_string() -> None:
    old, new = rec(f("id", "bytes")), rec(f("id", "string"))
    assert check_compatibility(_load(old), _load(new), "BACKWARD", "LENIENT").is_compatible


def test_full_checks_both_directions() -> None:
    report = check_compatibility(_load(rec(f("id", "int"))), _load(rec(f("id", "long"))), "FULL")
    assert [(x.rule, x.direction.value, x.breaking) for x in report.findings] == [
        ("AVRO_TYPE_PROMOTED", "BACKWARD", False),
        ("AVRO_TYPE_CHANGED", "FORWARD", True),
    ]


def test_recursive_types_and_named_references() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [f("value", "int"), f("next", ["null", "Node"], default=None)],
    }
    changed = json.loads(json.dumps(node).replace('"int"', '"string"'))
    report = check_compatibility(_load(node), _load(changed), "BACKWARD")
    assert [f"{x.rule} {x.path}" for x in report.findings] == ["AVRO_TYPE_CHANGED #/fields/0/type"]
    assert _fails_to_read(node, changed, report.findings[0].witness)
    assert check_compatibility(_load(node), _load(node), "FULL").findings == ()


def test_a_witness_reaches_the_changed_branch_of_a_nested_union() -> None:
    old = rec(
        f("items", {"type": "array", "items": ["null", rec(f("s", enum("A", "B")), name="Line")]})
    )
    new = rec(f("items", {"type": "array", "items": ["null", rec(f("s", enum("A")), name="Line")]}))
    (finding,) = check_compatibility(_load(old), _load(new)).breaking
    assert finding.path == "#/fields/0/type/items/1/fields/0/type/symbols/1"
    assert finding.witness == {"items": [{"shop.Line": {"s": "B"}}]}
    assert _fails_to_read(old, new, finding.witness)


@pytest.mark.parametrize(
    ("document", "pointer", "words"),
    [
        ({"type": "record", "name": "A", "fields": [f("x", "nope")]}, "#", "nope"),
        ({"type": "record", "name": "A", "fields": [f("x", "int", default="a")]}, "#", "default"),
        ({"type": "enum", "name": "E", "symbols": ["A", "A"]}, "#", "symbol"),
        ({"type": "fixed", "name": "F"}, "#", "size"),
        (["int", "int"], "#/1", "int"),
        (rec(f("x", {"type": "array"})), "#/fields/0/type", "items"),
        (rec(f("x", ["null", ["int"]])), "#/fields/0/type/1", "union"),
        (rec({"name": "x"}), "#/fields/0", "type"),
    ],
)
def test_invalid_schemas_are_refused_naming_the_place(
    document: Any, pointer: str, words: str
) -> None:
    with pytest.raises(ContractError) as caught:
        load_contract(json.dumps(document), kind=AVRO, name="orders.avsc")
    assert caught.value.source == "orders.avsc"
    assert caught.value.pointer == pointer
    assert words.lower() in caught.value.message.lower()


def test_the_contract_an_avro_schema_loads_as() -> None:
    text = json.dumps(rec(f("id", "long")))
    contract = load_contract(text, kind=AVRO)
    assert contract.kind is AVRO and contract.title == "shop.Order"
    # whitespace and key order do not change the identity; field order does
    assert (
        contract.canonical
        == load_contract(json.dumps(json.loads(text), indent=2), kind=AVRO).canonical
    )
    stored = load_stored(contract.canonical, kind=AVRO)
    assert stored.kind is AVRO and stored.canonical == contract.canonical
    # an Avro schema is not read as Avro unless the caller says so
    with pytest.raises(ContractError, match="JSON Schema"):
        load_contract(text)


def test_references_define_named_types() -> None:
    status = enum("NEW", "PAID")
    status["namespace"] = "shop"
    order = rec(f("s", "shop.Status"))
    contract = load_contract(json.dumps(order), kind=AVRO, references={"status": status})
    fewer = {**status, "symbols": ["NEW"]}
    newer = load_contract(json.dumps(order), kind=AVRO, references={"status": fewer})
    report = check_compatibility(contract, newer)
    assert [x.rule for x in report.breaking] == ["AVRO_ENUM_SYMBOL_REMOVED"]


CASES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "avro_compat_cases.json"
COMPAT_CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def _apache_verdict(old: Any, new: Any, level: str) -> bool:
    """Apache Avro's own checker (the Java checker's Python port) at a level."""
    checker = ReaderWriterCompatibilityChecker()
    before, after = avro.schema.parse(json.dumps(old)), avro.schema.parse(json.dumps(new))
    pairs = []
    if level.startswith(("BACKWARD", "FULL")):
        pairs.append((after, before))
    if level.startswith(("FORWARD", "FULL")):
        pairs.append((before, after))
    return all(
        checker.get_compatibility(reader, writer).compatibility
        is SchemaCompatibilityType.compatible
        for reader, writer in pairs
    )


@pytest.mark.parametrize("case", COMPAT_CASES, ids=[c["name"] for c in COMPAT_CASES])
def test_confluent_style_cases_agree_with_apache_avro(case: dict[str, Any]) -> None:
    report = check_compatibility(_load(case["old"]), _load(case["new"]), case["level"])
    assert report.is_compatible is case["compatible"]
    assert _apache_verdict(case["old"], case["new"], case["level"]) is case["compatible"]


def _asyncapi(payload: Any, schema_format: str = "application/vnd.apache.avro;version=1.9.0"):
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Users", "version": "1.0.0"},
        "channels": {
            "users": {"address": "users", "messages": {"M": {"$ref": "#/components/messages/M"}}}
        },
        "operations": {
            "send": {"action": "send", "channel": {"$ref": "#/channels/users"}},
        },
        "components": {
            "messages": {"M": {"payload": {"schemaFormat": schema_format, "schema": payload}}}
        },
    }


def test_asyncapi_avro_payloads_are_compared_by_avro_resolution() -> None:
    old = _asyncapi(rec(f("id", "long"), f("s", enum("NEW", "PAID"))))
    new = _asyncapi(rec(f("id", "long"), f("s", enum("NEW"))))
    report = check_compatibility(old, new, "BACKWARD")
    (finding,) = report.breaking
    assert finding.rule == "AVRO_ENUM_SYMBOL_REMOVED"
    assert finding.path == "#/components/messages/M/payload/schema/fields/1/type/symbols/1"
    assert finding.message_name == "M"
    payload = old["components"]["messages"]["M"]["payload"]["schema"]
    changed = new["components"]["messages"]["M"]["payload"]["schema"]
    assert _fails_to_read(payload, changed, finding.witness)
    assert check_compatibility(old, old, "FULL").findings == ()


def test_a_payload_moving_between_json_schema_and_avro_breaks() -> None:
    old = _asyncapi({"type": "object"}, "application/schema+json;version=draft-07")
    new = _asyncapi(rec(f("id", "long")))
    report = check_compatibility(old, new, "BACKWARD")
    assert [(x.rule, x.path) for x in report.breaking] == [
        ("SCHEMA_FORMAT_CHANGED", "#/components/messages/M/payload/schema")
    ]


def test_witnesses_are_bounded_per_check() -> None:
    many = 260
    old = rec(*(f(f"f{i}", "long") for i in range(many)))
    new = rec(*(f(f"f{i}", "string") for i in range(many)))
    report = check_compatibility(_load(old), _load(new))
    assert len(report.breaking) == many
    witnessed = [x for x in report.breaking if x.has_witness]
    assert len(witnessed) == 200
    assert all("200 findings" in (x.witness_note or "") for x in report.breaking[200:])
    assert _fails_to_read(old, new, witnessed[-1].witness)


def test_transitive_levels_and_check_pairs() -> None:
    v1 = rec(f("id", "long"))
    v2 = rec(f("id", "long"), f("x", "int", default=0))
    v3 = rec(f("id", "long"), f("x", "int"))  # reads v2's events, not v1's
    history = [_load(v1), _load(v2)]
    assert check_compatibility(history, _load(v3), "BACKWARD").is_compatible
    transitive = check_compatibility(history, _load(v3), "BACKWARD_TRANSITIVE")
    assert [(x.rule, x.version) for x in transitive.breaking] == [
        ("AVRO_FIELD_ADDED_WITHOUT_DEFAULT", 1)
    ]
    reports = check_pairs(history, _load(v3), "BACKWARD", breaking_only=True, versions=[1, 2])
    assert [r.is_compatible for r in reports] == [False, True]
    assert [x.rule for x in reports[0].findings] == ["AVRO_FIELD_ADDED_WITHOUT_DEFAULT"]
