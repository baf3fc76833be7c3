"""What applies to a subject: its compatibility level and policy, its mode and its consumer
checks: its own setting, else the global one, else the default."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from evreg.contracts import Level, Policy
from evreg.registry import contexts
from evreg.registry import data_contracts as dc
from evreg.registry.flow import DEFAULT_CONSUMER_CHECKS
from evreg.registry.store.queries import VersionHead, config_extra
from evreg.registry.store.tables import GLOBAL, ConfigRow
from evreg.registry.store.work import ReadWork
from evreg.registry.values import (
    DEFAULT_LEVEL,
    DEFAULT_MODE,
    DEFAULT_POLICY,
    Effective,
    SchemaInput,
)


def _keys(subject: str | None) -> list[str]:
    """Where a subject's setting is looked up: its own, then its context's (a subject of a
    context other than the default one), then the global one."""
    keys = [subject] if subject else []
    if subject:
        qualified = contexts.split(subject)
        if not qualified.is_default and qualified.name:
            keys.append(contexts.context_key(qualified.context))
    return [*keys, GLOBAL]


def effective(work: ReadWork, subject: str | None) -> Effective:
    """The config that applies to ``subject``: each field from its own config, else its
    context's, else the global one, else the default."""
    level: Level | None = None
    policy: Policy | None = None
    extra: dict[str, Any] = {}
    for key in _keys(subject):
        row = work.get_config(key)
        if row is None:
            continue
        if level is None and row.compatibility_level:
            level = Level(row.compatibility_level)
        if policy is None and row.compatibility_policy:
            policy = Policy(row.compatibility_policy)
        for name, value in config_extra(row).items():
            extra.setdefault(name, value)
    return Effective(level or DEFAULT_LEVEL, policy or DEFAULT_POLICY, extra)


def _loaded(text: str | None) -> dc.Json | None:
    return None if text is None else dict(json.loads(text))


def with_data_contract(
    work: ReadWork, subject: str, given: SchemaInput, eff: Effective
) -> SchemaInput:
    """``given`` with the metadata and rule set a registration gives it, as Confluent merges
    them: the config's defaults, then the schema's own (else those of the subject's latest live
    version), then the config's overrides."""
    own_metadata, own_rules = _loaded(given.metadata), _loaded(given.rule_set)
    if own_metadata is None or own_rules is None:
        latest = work.latest_live(subject)
        previous = work.get_schema(latest.schema_id) if latest is not None else None
        if previous is not None:
            if own_metadata is None:
                own_metadata = _loaded(previous.metadata_json)
            if own_rules is None:
                own_rules = _loaded(previous.rule_set_json)
    metadata = dc.merge_metadata(
        dc.merge_metadata(eff.extra.get("defaultMetadata"), own_metadata),
        eff.extra.get("overrideMetadata"),
    )
    rules = dc.merge_rule_sets(
        dc.merge_rule_sets(eff.extra.get("defaultRuleSet"), own_rules),
        eff.extra.get("overrideRuleSet"),
    )
    return dataclasses.replace(given, metadata=dc.text(metadata), rule_set=dc.text(rules))


def in_group(
    work: ReadWork, rows: Sequence[VersionHead], eff: Effective, metadata: str | None
) -> list[VersionHead]:
    """The versions a schema with ``metadata`` is checked against: all of ``rows``, or with
    ``compatibilityGroup`` set, those whose value of that metadata property is the schema's
    (absent on both counts as the same)."""
    group = eff.extra.get("compatibilityGroup")
    if not group:
        return list(rows)
    wanted = dc.property_of(_loaded(metadata), group)
    schemas = work.schema_rows(row.schema_id for row in rows)
    return [
        row
        for row in rows
        if row.schema_id in schemas
        and dc.property_of(_loaded(schemas[row.schema_id].metadata_json), group) == wanted
    ]


def mode_of(work: ReadWork, subject: str | None) -> str:
    """The mode that applies to ``subject`` (its own, else global, else READWRITE)."""
    for key in _keys(subject):
        row = work.get_mode(key)
        if row is not None:
            return row.mode
    return DEFAULT_MODE


def config_dict(row: ConfigRow | None) -> dict[str, Any] | None:
    """A config row as the audit log records it."""
    if row is None:
        return None
    return {
        "compatibilityLevel": row.compatibility_level,
        "compatibilityPolicy": row.compatibility_policy,
        **config_extra(row),
    }


def consumer_checks_of(work: ReadWork, subject: str | None) -> str:
    """The consumer checks that apply to ``subject`` (block, warn or off)."""
    for key in _keys(subject):
        row = work.get_consumer_checks(key)
        if row is not None:
            return row.mode
    return DEFAULT_CONSUMER_CHECKS
