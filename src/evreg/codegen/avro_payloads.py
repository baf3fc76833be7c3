"""Contracts with Avro payloads, as the JSON Schema contracts code generation reads.

Generated models describe an event's values, whatever its schema language: an Avro payload (or
an AVRO contract) is replaced by the JSON Schema of the same values
(``evreg.contracts.avro.json_schema``) and its ``schemaFormat`` by JSON Schema draft-07, so the
plan, the model bundle, the generated tests and their example checks see one schema language.
A contract without Avro comes back as it was.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from evreg.codegen.errors import CodegenError
from evreg.contracts import Contract, ContractError, load_contract
from evreg.contracts.model import SchemaRef
from evreg.contracts.payload_format import AVRO_FORMAT, format_of
from evreg.contracts.pointer import join, split

_JSON_SCHEMA_FORMAT = "application/schema+json;version=draft-07"


def as_json_schema(contract: Contract) -> Contract:
    """``contract`` with every Avro schema in it written as JSON Schema."""
    try:
        if contract.is_avro:
            assert contract.schema is not None
            document = {"$schema": "http://json-schema.org/draft-07/schema#"}
            document.update(AVRO_FORMAT.as_json_schema(contract.schema))
            loaded = load_contract(document, name=contract.source)
            return replace(loaded, canonical=contract.canonical, fingerprint=contract.fingerprint)
        payloads = [
            m.payload
            for m in contract.messages.values()
            if m.payload and format_of(m.payload) is AVRO_FORMAT
        ]
        if not payloads:
            return contract
        document = copy.deepcopy(contract.document)
        elsewhere: dict[str, SchemaRef] = {}
        for payload in _distinct(payloads):
            if payload.pointer.startswith("#"):
                converted = AVRO_FORMAT.as_json_schema(payload, payload.pointer)
                document = _put(document, payload.pointer, converted)
            else:  # in a file the document references (`$ref: ./user.avsc`): inlined
                elsewhere[payload.pointer] = payload
        if elsewhere:
            document = _inline(document, "#", elsewhere)
        _json_schema_formats(document)
        loaded = load_contract(document, name=contract.source, references=contract.resources)
        return replace(loaded, canonical=contract.canonical, fingerprint=contract.fingerprint)
    except ContractError as error:
        raise CodegenError(
            f"{error.location}: an Avro payload as JSON Schema: {error.message}"
        ) from None


def _distinct(payloads: list[SchemaRef]) -> list[SchemaRef]:
    seen: dict[str, SchemaRef] = {}
    for payload in payloads:
        seen.setdefault(payload.pointer, payload)
    return list(seen.values())


def _put(document: Any, at: str, value: Any) -> Any:
    """``document`` with ``value`` at ``at`` (the root when ``at`` is ``#``)."""
    tokens = split(at)
    if not tokens:
        return value
    node = document
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if isinstance(node, list):
        node[int(tokens[-1])] = value
    else:
        node[tokens[-1]] = value
    return document


def _inline(node: Any, at: str, payloads: dict[str, SchemaRef]) -> Any:
    """``node`` with each ``$ref`` to one of ``payloads`` (by where it sits) replaced by the
    JSON Schema of its values, placed there."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = ref if "#" in ref else ref + "#"
            if target in payloads:
                return AVRO_FORMAT.as_json_schema(payloads[target], at)
        return {k: _inline(v, join(at, k), payloads) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, join(at, i), payloads) for i, v in enumerate(node)]
    return node


def _json_schema_formats(document: Any) -> None:
    """Every Avro ``schemaFormat`` in ``document`` says JSON Schema draft-07 instead."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schemaFormat" and isinstance(value, str) and "avro" in value.lower():
                    node[key] = _JSON_SCHEMA_FORMAT
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
