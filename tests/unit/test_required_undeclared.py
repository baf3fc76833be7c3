"""`required` naming a property that no `properties` declares.

Every check reports REQUIRED_UNDECLARED_PROPERTY_ADDED with a witness: the direct reader check
(and so the registry's consumer-aware checks) and the version checks. For the version checks
this differs from the Confluent registry, which reports nothing for it (the shared case
"Detect required array to be changed"), although an old event without the name is rejected.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from evreg.contracts import load_contract
from evreg.contracts.compat import Policy, check_compatibility
from evreg.contracts.compat.check import check_reader
from evreg.contracts.model import SchemaRef
from evreg.registry.flow import check_endpoints, endpoints

OLD = {"type": "object", "required": ["id"]}
NEW = {"type": "object", "required": ["id", "extra"]}


def _schema(doc: Any) -> SchemaRef:
    schema = load_contract(doc).schema
    assert schema is not None
    return schema


@pytest.mark.parametrize("policy", list(Policy))
def test_reader_check_reports_it_with_a_witness(policy: Policy) -> None:
    findings = check_reader(_schema(OLD), _schema(NEW), policy)
    assert [(f.rule, f.path, f.breaking) for f in findings] == [
        ("REQUIRED_UNDECLARED_PROPERTY_ADDED", "#/required/extra", True)
    ]
    (finding,) = findings
    assert finding.has_witness
    assert Draft202012Validator(OLD).is_valid(finding.witness)
    assert not Draft202012Validator(NEW).is_valid(finding.witness)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD, OLD),  # nothing changed
        ({"type": "object", "required": ["extra", "id", "more"]}, NEW),  # required already
        (NEW, OLD),  # dropped from `required`: REQUIRED_ATTRIBUTE_REMOVED only
    ],
)
def test_reader_check_is_silent_when_every_writer_event_has_the_name(old: Any, new: Any) -> None:
    rules = {f.rule for f in check_reader(_schema(old), _schema(new))}
    assert "REQUIRED_UNDECLARED_PROPERTY_ADDED" not in rules


def test_a_declared_property_keeps_its_own_rule() -> None:
    new = {**NEW, "properties": {"extra": {"type": "string"}}}
    rules = {f.rule for f in check_reader(_schema(OLD), _schema(new))}
    assert rules == {"REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"}


@pytest.mark.parametrize("level", ["BACKWARD", "BACKWARD_TRANSITIVE"])
def test_version_checks_report_it_too(level: str) -> None:
    report = check_compatibility(OLD, NEW, level)
    assert not report.is_compatible
    (finding,) = report.breaking
    assert (finding.rule, finding.path) == (
        "REQUIRED_UNDECLARED_PROPERTY_ADDED",
        "#/required/extra",
    )
    assert Draft202012Validator(OLD).is_valid(finding.witness)
    assert not Draft202012Validator(NEW).is_valid(finding.witness)
    old = {"properties": {"foo": {"type": "string"}}, "required": ["foo"]}
    new = {"properties": {"foo": {"type": "string"}}, "required": ["bar"]}
    changed = check_compatibility(old, new, level)
    assert not changed.is_compatible
    assert {(f.rule, f.path) for f in changed.findings if f.direction.value == "BACKWARD"} == {
        ("REQUIRED_ATTRIBUTE_REMOVED", "#/required/foo"),
        ("REQUIRED_UNDECLARED_PROPERTY_ADDED", "#/required/bar"),
    }
    (finding,) = changed.breaking
    assert Draft202012Validator(old).is_valid(finding.witness)
    assert not Draft202012Validator(new).is_valid(finding.witness)


def _app(title: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": "1"},
        "channels": {
            "c": {"address": "orders", "messages": {"E": {"name": "E", "payload": payload}}}
        },
        "operations": {"op": {"action": action, "channel": {"$ref": "#/channels/c"}}},
    }


def test_consumer_aware_check_reports_it() -> None:
    producer = endpoints(load_contract(_app("producer", "send", OLD)), "producer", 1)
    consumer = endpoints(load_contract(_app("consumer", "receive", NEW)), "consumer", 1)
    found = check_endpoints(consumer, producer, Policy.STRICT)
    assert [(f.producer, f.consumer, f.finding.rule, f.finding.path) for f in found] == [
        (
            "producer",
            "consumer",
            "REQUIRED_UNDECLARED_PROPERTY_ADDED",
            "#/channels/c/messages/E/payload/required/extra",
        )
    ]
