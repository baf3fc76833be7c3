"""A generated consumer accepts a payload exactly when its contract's JSON Schema does, for JSON
type coercions: "2" or 2.0 or true for an integer, "1.5" for a number, 0/1/"true" for a boolean,
a number for a string (a date-time, a UUID, an enum value), ...

The oracle is jsonschema (the payload schema's own draft, formats as evreg reads them), not our
code. Values are drawn valid from each payload schema of the example contracts
(``evreg.runtime.testing.from_schema``), then one value in them is replaced by a coercion of it;
the consumer's ``decode`` must accept or refuse as jsonschema does. A draft-04 payload is in the
package too: there ``2.0`` is not an integer.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import evreg
from evreg.codegen import SourceContract, build_plan, plan_python, subject_for, write_package
from evreg.runtime import Delivery, InMemoryTransport, OperationSpec, strict_json
from evreg.runtime.testing import from_schema

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = [
    ROOT / "contracts" / "order_placed.yaml",
    ROOT / "contracts" / "payment_events.yaml",
    ROOT / "contracts" / "shipment_events.yaml",
    ROOT / "tests" / "fixtures" / "codegen" / "orders.asyncapi.yaml",  # an integer enum
]
DRAFT4_CONTRACT = """\
asyncapi: 2.6.0
info: {title: counts, version: 1.0.0}
channels:
  counts:
    subscribe:
      message:
        name: Counted
        schemaFormat: application/schema+json;version=draft-04
        payload:
          type: object
          required: [count, ratio, ok, label, day]
          properties:
            count: {type: integer, minimum: 0}
            ratio: {type: number}
            ok: {type: boolean}
            label: {type: string}
            day: {type: string, format: date}
            size: {enum: [1, 2, 3]}
"""
PREFIX = f"json_types_{uuid.uuid4().hex[:8]}"


def sources() -> dict[str, SourceContract]:
    """One source per package, named ``<PREFIX>_<n>``."""
    texts = [(path.name, path.read_text(encoding="utf-8")) for path in CONTRACTS]
    out = {}
    for n, (name, text) in enumerate([*texts, ("counts.yaml", DRAFT4_CONTRACT)]):
        contract = evreg.load_contract(text, name=name)
        out[f"{PREFIX}_{n}"] = SourceContract(contract, name, subject_for(name, contract.document))
    return out


@functools.cache
def plans() -> dict[str, Any]:
    """One package per contract: its consumer decodes every message of the contract (those it
    sends too, as a peer would). Planned when a test of this module runs, not at collection."""
    return {name: plan_python([source], package=name) for name, source in sources().items()}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    root = tmp_path_factory.mktemp("json_types")
    for plan in plans().values():
        write_package(plan, root)
    sys.path.insert(0, str(root))
    try:
        return {name: importlib.import_module(name) for name in plans()}
    finally:
        sys.path.remove(str(root))


def cases(package: ModuleType) -> dict[str, tuple[OperationSpec, dict[str, Any]]]:
    """Each message the consumer decodes: its spec and its payload schema (contract.json)."""
    data = json.loads(Path(str(package.__file__)).with_name("contract.json").read_text("utf-8"))
    schemas = {m["payloadClass"]: m["payloadSchema"] for m in data["messages"]}
    out = {}
    for value in vars(package.consumer).values():
        if isinstance(value, OperationSpec):
            for message in value.messages:
                spec = OperationSpec(value.operation, value.address, (message,))
                out[message.payload.__name__] = (spec, schemas[message.payload.__name__])
    return out


def accepts(consumer: Any, spec: OperationSpec, value: Any) -> bool:
    delivery = Delivery(spec.address, json.dumps(value).encode(), {})
    try:
        consumer.decode(spec, delivery)
    except ValidationError:
        return False
    return True


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every scalar in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from leaves(item, (*path, n))
    else:
        yield path


def coercions(value: Any) -> list[Any]:
    """What a lax reader would take for ``value``: the same thing in another JSON type."""
    if isinstance(value, bool):
        return [int(value), str(value).lower(), float(value)]
    if isinstance(value, int):
        return [str(value), float(value), value != 0, -0.0 if value == 0 else float(value)]
    if isinstance(value, float):
        out: list[Any] = [str(value), value > 0]
        if value.is_integer():
            out.append(int(value))
        return out
    if isinstance(value, str):
        out = [1700000000, 1.5, 1, True, 0]
        for parse in (int, float):
            with contextlib.suppress(ValueError):
                out.append(parse(value))
        return out
    return [0, "", False]  # null


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def messages() -> list[Any]:
    """(package, payload class) of every message, at collection time: the payload class names
    of the package's plan (``build_plan``, the plan ``plan_python`` renders: its contract.json
    lists these names), without running the code generator in every xdist worker. The test ids
    leave out the package names' random part: every xdist worker must collect the same ids."""
    out = [
        (name, m.payload_type)
        for name, source in sources().items()
        for m in build_plan([source]).messages
        if m.payload_type
    ]
    return [
        pytest.param(name, cls, id=f"package{name.removeprefix(PREFIX)}-{cls}")
        for name, cls in sorted(set(out))
    ]


def test_the_ids_are_the_messages_of_the_generated_packages() -> None:
    generated = set()  # what each generated package's contract.json lists
    for name, plan in plans().items():
        text = next(f.content for f in plan.files if f.path.endswith("/contract.json"))
        generated |= {(name, m["payloadClass"]) for m in json.loads(text)["messages"]}
    assert {tuple(p.values) for p in messages()} == generated


@pytest.mark.parametrize(("name", "payload_class"), messages())
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_the_consumer_refuses_what_the_schema_refuses(
    packages: dict[str, ModuleType], name: str, payload_class: str, data: st.DataObject
) -> None:
    package = packages[name]
    spec, schema = cases(package)[payload_class]
    cls = jsonschema.validators.validator_for(schema)
    oracle = cls(schema, format_checker=cls.FORMAT_CHECKER)
    consumer = package.consumer.Consumer(InMemoryTransport())
    valid = data.draw(from_schema(schema), label="valid")
    assert accepts(consumer, spec, valid), valid
    path = data.draw(st.sampled_from(list(leaves(valid))), label="path")
    new = data.draw(st.sampled_from(coercions(_at(valid, path))), label="coerced")
    mutated = replaced(valid, path, new)
    assert accepts(consumer, spec, mutated) == oracle.is_valid(mutated), mutated


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def test_the_draft_04_payload_is_generated_without_integral_floats(
    packages: dict[str, ModuleType],
) -> None:
    package = packages[f"{PREFIX}_{len(CONTRACTS)}"]
    spec, schema = cases(package)["Counted"]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert spec.messages[0].integral_floats is False
    consumer = package.consumer.Consumer(InMemoryTransport())
    body = {"count": 2.0, "ratio": 1, "ok": True, "label": "x", "day": "2026-01-01"}
    assert not accepts(consumer, spec, body)
    assert accepts(consumer, spec, {**body, "count": 2})


def test_an_integral_float_is_an_integer_and_the_error_names_the_place(
    packages: dict[str, ModuleType],
) -> None:
    package = packages[f"{PREFIX}_3"]  # the orders fixture: an integer enum
    spec, _ = cases(package)["OrderPlaced"]
    consumer = package.consumer.Consumer(InMemoryTransport())
    item: dict[str, Any] = {
        "sku": "A",
        "quantity": 2.0,
        "unitPrice": {"amount": "1.00", "currency": "EUR"},
    }
    body: dict[str, Any] = {
        "orderId": str(uuid.uuid4()),
        "customerId": "c",
        "placedAt": "2026-12-07T10:00:00Z",
        "currency": "EUR",
        "items": [item],
        "total": {"amount": "1.00", "currency": "EUR"},
        "payment": {"method": "invoice", "dueDays": 30.0},
    }
    _, event = consumer.decode(spec, Delivery(spec.address, json.dumps(body).encode(), {}))
    assert event.items[0].quantity == 2 and type(event.items[0].quantity) is int
    for bad in ("2", 2.5, 0.0, True):
        wire = json.dumps({**body, "items": [item, {**item, "quantity": bad}]}).encode()
        with pytest.raises(ValidationError) as info:
            consumer.decode(spec, Delivery(spec.address, wire, {}))
        assert [e["loc"] for e in info.value.errors()] == [("items", 1, "quantity")]
    wire = json.dumps({**body, "payment": {"method": "invoice", "dueDays": "30"}}).encode()
    with pytest.raises(ValidationError) as info:
        consumer.decode(spec, Delivery(spec.address, wire, {}))
    assert [e["loc"] for e in info.value.errors()] == [("payment", "invoice", "dueDays")]


def test_integral_floats_are_rewritten_at_any_depth() -> None:
    """The rewrite of integral floats is iterative: a document deeper than Python's recursion
    limit gets its integers, not a RecursionError."""
    depth = 5 * sys.getrecursionlimit()
    document: list[Any] = []
    innermost = document
    for _ in range(depth):
        innermost.append({"a": [], "n": 3.0, "x": 0.5})
        innermost = innermost[0]["a"]
    innermost.append(2.0)
    out: Any = strict_json._integers(document)
    for _ in range(depth):
        assert type(out[0]["n"]) is int and out[0]["x"] == 0.5
        out = out[0]["a"]
    assert out == [2] and type(out[0]) is int


def test_a_deep_payload_with_an_integral_float_decodes() -> None:
    """Through the retry: nested as deep as pydantic-core parses, an integral float in it."""

    class Deep(BaseModel):
        count: int
        tree: Any = None

    tree: Any = 4.0
    for _ in range(150):
        tree = [tree]
    body = json.dumps({"count": 2.0, "tree": tree}).encode()
    event = strict_json.validate(Deep, body)
    assert type(event.count) is int and event.count == 2
    leaf = event.tree
    for _ in range(150):
        (leaf,) = leaf
    assert leaf == 4 and type(leaf) is int
    with pytest.raises(ValidationError):
        strict_json.validate(Deep, body, integral_floats=False)


def test_true_is_not_one_in_an_enum(packages: dict[str, ModuleType]) -> None:
    """JSON Schema compares enum values with their JSON type: ``true`` is not a member of
    ``[1, 2, 3]`` (Python's ``True == 1`` made the consumer take it for ``1``). Each value as
    jsonschema answers."""
    package = packages[f"{PREFIX}_{len(CONTRACTS)}"]
    spec, schema = cases(package)["Counted"]
    oracle = jsonschema.Draft4Validator(schema)
    consumer = package.consumer.Consumer(InMemoryTransport())
    body = {"count": 2, "ratio": 1, "ok": True, "label": "x", "day": "2026-01-01"}
    answers = {}
    for size in (1, 3, 1.0, True, False, 0, 4, "1"):
        answers[repr(size)] = accepts(consumer, spec, {**body, "size": size})
        assert answers[repr(size)] == oracle.is_valid({**body, "size": size}), size
    assert answers == {
        "1": True, "3": True, "1.0": True, "True": False, "False": False, "0": False,
        "4": False, "'1'": False,
    }  # fmt: skip
