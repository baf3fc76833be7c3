"""Payload subjects' findings point into the contract: ``evreg.registry.payloads.contract_path``
maps a pointer in the derived ``<address>-value`` schema back to where the payload sits, for a
channel with one message and for one with several (an ``anyOf`` of their payloads)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from evreg import check_compatibility, load_contract
from evreg.registry.payloads import PayloadSubject, contract_path, payload_subjects

TWO_MESSAGES = """
asyncapi: 3.0.0
info: {title: shipments, version: 1.0.0}
channels:
  shipments:
    address: shipments
    messages:
      Dispatched: {$ref: '#/components/messages/Dispatched'}
      Delivered: {$ref: '#/components/messages/Delivered'}
operations:
  send:
    action: send
    channel: {$ref: '#/channels/shipments'}
components:
  messages:
    Dispatched:
      payload: {$ref: '#/components/schemas/Dispatched'}
    Delivered:
      payload:
        type: object
        properties:
          at: {type: string}
  schemas:
    Dispatched:
      type: object
      properties:
        carrier: {type: string, enum: [dhl, ups]}
"""


def derived(text: str) -> tuple[PayloadSubject, dict[str, Any]]:
    contract = load_contract(text)
    (item,) = payload_subjects(contract)
    return item, item.schema


def test_each_anyof_branch_maps_to_its_message() -> None:
    item, _ = derived(TWO_MESSAGES)
    assert [m for m, _ in item.sources] == ["Dispatched", "Delivered"]
    assert contract_path(item, "#/anyOf/0/properties/carrier/enum") == (
        "#/components/messages/Dispatched/payload/properties/carrier/enum",
        "Dispatched",
    )
    assert contract_path(item, "#/anyOf/1/properties/at") == (
        "#/components/messages/Delivered/payload/properties/at",
        "Delivered",
    )
    # what is about the anyOf itself (a message added or removed) is about the channel
    assert contract_path(item, "#/anyOf") == ("#/channels/shipments", None)
    assert contract_path(item, "#/anyOf/7") == ("#/channels/shipments", None)


def test_real_findings_in_the_derived_schema_map_into_the_contract() -> None:
    doc = yaml.safe_load(TWO_MESSAGES)
    doc["components"]["schemas"]["Dispatched"]["properties"]["carrier"]["enum"] = ["dhl"]
    _, old_schema = derived(TWO_MESSAGES)
    item, new_schema = derived(json.dumps(doc))
    report = check_compatibility(
        load_contract(json.dumps(old_schema)), load_contract(json.dumps(new_schema))
    )
    # a change inside one alternative of the anyOf is reported at the anyOf's root: the channel
    (finding,) = [f for f in report.findings if f.breaking]
    assert finding.path in ("#", "#/")
    assert contract_path(item, finding.path) == ("#/channels/shipments", None)

    # with one message on the channel, the root is that message's payload
    del doc["channels"]["shipments"]["messages"]["Delivered"]
    single = load_contract(json.dumps(doc))
    (only,) = payload_subjects(single)
    assert contract_path(only, "#/") == ("#/components/messages/Dispatched/payload", "Dispatched")
    assert contract_path(only, "#/properties/carrier") == (
        "#/components/messages/Dispatched/payload/properties/carrier",
        "Dispatched",
    )
