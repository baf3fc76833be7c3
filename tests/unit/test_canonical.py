"""Canonical JSON text and fingerprints."""

from __future__ import annotations

import hashlib
import json

import pytest

from evreg.contracts import ContractError, load_contract
from evreg.contracts.canonical import canonical_json, fingerprint

JSON_TEXT = """{
  "type": "object",
  "title": "Über",
  "required": ["b", "a"],
  "properties": {"b": {"type": "integer", "minimum": 1.5}, "a": {"type": "string"}}
}"""
REORDERED_JSON = (
    '{"properties":{"a":{"type":"string"},"b":{"minimum":1.5,"type":"integer"}},'
    '"required":["b","a"],"title":"\\u00dcber","type":"object"}'
)
YAML_TEXT = """
# the same schema, spelled in YAML
properties:
  a: {type: string}
  b:
    minimum: 1.5
    type: integer
required: [b, a]
title: Über
type: object
"""


def test_canonical_json_is_sorted_compact_and_not_ascii_escaped() -> None:
    assert canonical_json({"b": [1, {"d": None, "c": True}], "a": "é"}) == (
        '{"a":"é","b":[1,{"c":true,"d":null}]}'
    )


def test_fingerprint_is_sha256_of_the_canonical_utf8() -> None:
    value = {"title": "Über", "type": "object"}
    expected = hashlib.sha256('{"title":"Über","type":"object"}'.encode()).hexdigest()
    assert fingerprint(value) == expected
    assert len(expected) == 64


def test_same_document_same_fingerprint_across_order_whitespace_and_yaml() -> None:
    contracts = [load_contract(t) for t in (JSON_TEXT, REORDERED_JSON, YAML_TEXT)]
    contracts.append(load_contract(json.loads(JSON_TEXT)))
    assert {c.fingerprint for c in contracts} == {fingerprint(json.loads(JSON_TEXT))}
    assert {c.canonical for c in contracts} == {canonical_json(json.loads(JSON_TEXT))}
    assert contracts[0].canonical.startswith('{"properties":{"a":{"type":"string"}')


def test_different_content_different_fingerprint() -> None:
    base = load_contract(JSON_TEXT)
    array_order = load_contract(JSON_TEXT.replace('["b", "a"]', '["a", "b"]'))
    number = load_contract(JSON_TEXT.replace("1.5", "2.5"))
    assert len({base.fingerprint, array_order.fingerprint, number.fingerprint}) == 3


def test_asyncapi_fingerprint_ignores_spelling() -> None:
    yaml_text = "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels: {}\n"
    json_text = '{"channels": {}, "info": {"version": "1", "title": "T"}, "asyncapi": "3.0.0"}'
    assert load_contract(yaml_text).fingerprint == load_contract(json_text).fingerprint


def test_canonical_json_refuses_non_json() -> None:
    with pytest.raises(ContractError, match="not a JSON value"):
        canonical_json({"x": float("nan")})
    with pytest.raises(ContractError, match="not a JSON value"):
        canonical_json({"x": {1, 2}})
