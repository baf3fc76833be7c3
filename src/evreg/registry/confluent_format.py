"""Confluent Schema Registry's wire format: the JSON shapes of versions, schemas, compatibility
verdicts and config, and the message strings of an incompatible verdict.

The Confluent API's routes (:mod:`evreg.registry.api.confluent`) shape their answers with these;
the compatibility use case writes a verdict's messages with them (the messages are part of its
result: a 409's details, ``?verbose=true``'s ``messages``).
"""

from __future__ import annotations

import json
from typing import Any

from evreg.contracts import Finding, Level, Policy
from evreg.registry.store import Reference
from evreg.registry.values import CompatibilityResult, ConfigView, RegisteredVersion, StoredSchema


def describe_finding(finding: Finding) -> str:
    """One Confluent-style message string for a breaking finding."""
    parts = [
        f"errorType:'{finding.rule}'",
        f"description:'{finding.message}'",
        f"additionalInfo:'{finding.path}'",
    ]
    if finding.version is not None:
        parts.append(f"oldSchemaVersion:{finding.version}")
    parts.append(f"direction:'{finding.direction.value}'")
    if finding.has_witness:
        witness = json.dumps(finding.witness, sort_keys=True, ensure_ascii=False)
        parts.append(f"witness:{witness}")
    elif finding.witness_note:
        parts.append(f"witnessNote:'{finding.witness_note}'")
    return "{" + ", ".join(parts) + "}"


def describe_type_mismatch(subject: str, version: int, old_type: str, new_type: str) -> str:
    """The message for an earlier version of another schema type (never compatible)."""
    return (
        f"{{errorType:'TYPE_MISMATCH', description:'version {version} of "
        f"subject {subject} is a {old_type} schema, this one is "
        f"{new_type}', oldSchemaVersion:{version}}}"
    )


def describe_rules(level: Level, policy: Policy) -> str:
    """The last message of an incompatible verdict: the level and policy it was checked under."""
    return f"{{compatibility:'{level.value}', policy:'{policy.value}'}}"


def references_list(refs: tuple[Reference, ...]) -> list[dict[str, Any]]:
    return [{"name": r.name, "subject": r.subject, "version": r.version} for r in refs]


def _contract_fields(out: dict[str, Any], metadata: str | None, rule_set: str | None) -> None:
    """A version's data contract, as Confluent shows it (absent when there is none)."""
    if metadata is not None:
        out["metadata"] = json.loads(metadata)
    if rule_set is not None:
        out["ruleSet"] = json.loads(rule_set)


def version_dict(v: RegisteredVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"subject": v.subject, "version": v.version, "id": v.id}
    if v.schema_type != "AVRO":
        out["schemaType"] = v.schema_type
    if v.references:
        out["references"] = references_list(v.references)
    _contract_fields(out, v.metadata, v.rule_set)
    out["schema"] = v.schema
    return out


def schema_dict(s: StoredSchema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if s.schema_type != "AVRO":
        out["schemaType"] = s.schema_type
    if s.references:
        out["references"] = references_list(s.references)
    _contract_fields(out, s.metadata, s.rule_set)
    out["schema"] = s.schema
    return out


def compat_dict(result: CompatibilityResult, verbose: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"is_compatible": result.is_compatible}
    if verbose:
        out["messages"] = list(result.messages)
    return out


def config_dict(view: ConfigView, key: str = "compatibilityLevel") -> dict[str, Any]:
    out: dict[str, Any] = {key: view.level.value}
    if view.policy is not None:
        out["compatibilityPolicy"] = view.policy.value
    out.update(view.extra)
    return out
