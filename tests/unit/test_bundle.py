"""A payload made standalone: its local $refs copied in, usable without its document."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from evreg import ContractError, load_contract
from evreg.contracts.bundle import standalone

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contracts"


def _refs(value: object) -> list[str]:
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_orders_payload_stands_alone_and_validates_like_the_original() -> None:
    contract = load_contract((FIXTURES / "orders.asyncapi.yaml").read_text(), name="orders")
    message = next(m for m in contract.messages.values() if (m.name or m.key) == "OrderPlaced")
    assert message.payload is not None
    schema = standalone([message.payload])
    assert all(ref.startswith("#/$defs/") for ref in _refs(schema)), list(_refs(schema))
    validator = validator_for(schema)(schema)
    validator.check_schema(schema)
    examples = [e["payload"] for e in message.examples if isinstance(e, dict) and "payload" in e]
    assert examples, "the fixture carries examples"
    for example in examples:
        assert validator.is_valid(example)
    assert not validator.is_valid({**examples[0], "orderId": 42})


def test_a_ref_into_another_document_is_refused() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}
    contract = load_contract(schema, references={"other.json": {"x": {"type": "string"}}})
    assert contract.schema is not None
    with pytest.raises(ContractError, match="another document"):
        standalone([contract.schema])
