"""Confluent data contracts: a version's ``metadata`` and ``ruleSet``, and the config fields that
give them defaults and overrides.

The registry stores and returns them; it never runs a rule (clients do: CEL, JSONata, ...).
Each value is checked and normalised as Confluent's registry does (sorted tags, properties and
sensitive names; a rule's tags and params sorted; ``disabled`` always present), so that equal
contracts compare, and fingerprint, equal. A bad value is refused (42201) naming the place,
e.g. ``ruleSet.domainRules[0].mode``.

Merging (Confluent's ``mergeMetadata`` / ``mergeRuleSets``), used as defaults, then the
schema's own (else the previous version's), then overrides:

- metadata: tags merged per key (the union of the names), properties and sensitive names of
  the later one added to (and replacing) the earlier one's;
- rule sets: per list (migration, domain, encoding rules), the earlier rules whose name the
  later list does not use, then the later list.
"""

from __future__ import annotations

import re
from typing import Any

from evreg.contracts.canonical import canonical_json
from evreg.registry import errors

Json = dict[str, Any]

RULE_LISTS = ("migrationRules", "domainRules", "encodingRules")
RULE_MODES = {
    "migrationRules": ("UPGRADE", "DOWNGRADE", "UPDOWN"),
    "domainRules": ("WRITE", "READ", "WRITEREAD"),
    "encodingRules": ("WRITE", "READ", "WRITEREAD"),
}
KINDS = ("CONDITION", "TRANSFORM")
RULE_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_\-]{0,63}"
_RULE_NAME = re.compile(RULE_NAME_PATTERN)
_RULE_FIELDS = (
    "name",
    "doc",
    "kind",
    "mode",
    "type",
    "tags",
    "params",
    "expr",
    "onSuccess",
    "onFailure",
    "disabled",
)
# Confluent's config fields beside compatibility (and evreg's compatibilityPolicy)
CONFIG_FIELDS = (
    "compatibilityGroup",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
    "normalize",
    "validateFields",
)
# Confluent's config fields evreg does not implement: refused, never stored
REFUSED_CONFIG_FIELDS = {
    "alias": "subject aliases are not implemented by evreg",
    "validateRules": "evreg does not validate rule expressions (rules run in clients)",
}


def _fail(where: str, problem: str) -> errors.InvalidSchema:
    return errors.InvalidSchema(f"Invalid {where}: {problem}")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "must be a string")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list of strings")
    return sorted({_string(item, f"{where}[{i}]") for i, item in enumerate(value)})


def _string_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object of strings")
    return {key: _string(item, f"{where}.{key}") for key, item in sorted(value.items())}


def _object(value: Any, where: str, fields: tuple[str, ...]) -> Json:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", f"unknown field (known: {', '.join(fields)})")
    return value


def metadata(value: Any, where: str = "metadata") -> Json | None:
    """``{"tags": {path: [tag]}, "properties": {key: value}, "sensitive": [name]}``, checked
    and normalised; None stays None."""
    if value is None:
        return None
    data = _object(value, where, ("tags", "properties", "sensitive"))
    out: Json = {}
    tags = data.get("tags")
    if tags is not None:
        if not isinstance(tags, dict):
            raise _fail(f"{where}.tags", "must be an object of lists of strings")
        normal = {key: _strings(item, f"{where}.tags.{key}") for key, item in sorted(tags.items())}
        if normal:
            out["tags"] = normal
    if data.get("properties") is not None:
        properties = _string_map(data["properties"], f"{where}.properties")
        if properties:
            out["properties"] = properties
    if data.get("sensitive") is not None:
        sensitive = _strings(data["sensitive"], f"{where}.sensitive")
        if sensitive:
            out["sensitive"] = sensitive
    return out


def _rule(value: Any, where: str, modes: tuple[str, ...]) -> Json:
    data = _object(value, where, _RULE_FIELDS)
    name = _string(data.get("name"), f"{where}.name")
    if not _RULE_NAME.fullmatch(name):
        raise _fail(
            f"{where}.name",
            f"{name!r}: a letter, then at most 63 letters, digits, '_' or '-'",
        )
    out: Json = {"name": name}
    if data.get("doc") is not None:
        out["doc"] = _string(data["doc"], f"{where}.doc")
    for key, allowed in (("kind", KINDS), ("mode", modes)):
        given = data.get(key)
        if given not in allowed:
            raise _fail(f"{where}.{key}", f"{given!r}: choose from {', '.join(allowed)}")
        out[key] = given
    out["type"] = _string(data.get("type"), f"{where}.type")
    if not out["type"]:
        raise _fail(f"{where}.type", "a rule needs a type (CEL, JSONATA, ...)")
    if data.get("tags") is not None:
        tags = _strings(data["tags"], f"{where}.tags")
        if tags:
            out["tags"] = tags
    if data.get("params") is not None:
        params = _string_map(data["params"], f"{where}.params")
        if params:
            out["params"] = params
    for key in ("expr", "onSuccess", "onFailure"):
        if data.get(key) is not None:
            out[key] = _string(data[key], f"{where}.{key}")
    disabled = data.get("disabled", False)
    if not isinstance(disabled, bool):
        raise _fail(f"{where}.disabled", "must be true or false")
    out["disabled"] = disabled
    return out


def rule_set(value: Any, where: str = "ruleSet") -> Json | None:
    """``{"migrationRules": [...], "domainRules": [...], "encodingRules": [...]}`` (and
    ``enableAt``), each rule checked (a name, a kind, a mode its list allows, a type) and rule
    names unique within the set; None stays None."""
    if value is None:
        return None
    data = _object(value, where, (*RULE_LISTS, "enableAt"))
    out: Json = {}
    names: set[str] = set()
    for key in RULE_LISTS:
        rules = data.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list):
            raise _fail(f"{where}.{key}", "must be a list of rules")
        checked = [_rule(r, f"{where}.{key}[{i}]", RULE_MODES[key]) for i, r in enumerate(rules)]
        for i, rule in enumerate(checked):
            if rule["name"] in names:
                raise _fail(f"{where}.{key}[{i}].name", f"duplicate rule name {rule['name']!r}")
            names.add(rule["name"])
        if checked:
            out[key] = checked
    if data.get("enableAt") is not None:
        out["enableAt"] = _string(data["enableAt"], f"{where}.enableAt")
    return out


def merge_metadata(old: Json | None, new: Json | None) -> Json | None:
    if old is None:
        return new
    if new is None:
        return old
    tags = {key: list(value) for key, value in old.get("tags", {}).items()}
    for key, value in new.get("tags", {}).items():
        tags[key] = sorted(set(tags.get(key, [])) | set(value))
    properties = {**old.get("properties", {}), **new.get("properties", {})}
    sensitive = sorted(set(old.get("sensitive", [])) | set(new.get("sensitive", [])))
    return metadata({"tags": tags, "properties": properties, "sensitive": sensitive})


def merge_rule_sets(old: Json | None, new: Json | None) -> Json | None:
    if old is None:
        return new
    if new is None:
        return old
    out: Json = {}
    for key in RULE_LISTS:
        earlier, later = old.get(key, []), new.get(key, [])
        if not later:
            merged = earlier
        else:
            replaced = {rule["name"] for rule in later}
            merged = [rule for rule in earlier if rule["name"] not in replaced] + later
        if merged:
            out[key] = merged
    enable_at = new.get("enableAt", old.get("enableAt"))
    if enable_at is not None:
        out["enableAt"] = enable_at
    return out


def text(value: Json | None) -> str | None:
    """The canonical JSON a value is stored (and fingerprinted) as."""
    return None if value is None else canonical_json(value)


def config_fields(body: dict[str, Any]) -> Json:
    """The data-contract fields of a ``PUT /config`` body, checked and normalised (only those
    given; ``null`` means not given, as Confluent reads it)."""
    for key, why in REFUSED_CONFIG_FIELDS.items():
        value = body.get(key)  # (by identity: in Python 0 == False, and JSON 0 is not false)
        if not (value is None or value is False or value == ""):
            raise errors.MalformedRequest(f"Invalid config field '{key}': {why}", status=422)
    out: Json = {}
    for key in CONFIG_FIELDS:
        value = body.get(key)
        if value is None:
            continue
        if key == "compatibilityGroup":
            out[key] = _config_string(value, key)
        elif key in ("normalize", "validateFields"):
            if not isinstance(value, bool):
                raise errors.MalformedRequest(
                    f"Invalid config field '{key}': must be true or false", status=422
                )
            out[key] = value
        elif key.endswith("Metadata"):
            out[key] = _config_value(metadata, value, key)
        else:
            out[key] = _config_value(rule_set, value, key)
    return out


def _config_string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise errors.MalformedRequest(
            f"Invalid config field '{key}': must be a non-empty string", status=422
        )
    return value


def _config_value(parse: Any, value: Any, key: str) -> Json:
    try:
        parsed: Json = parse(value, key)
    except errors.InvalidSchema as exc:
        raise errors.MalformedRequest(exc.message, status=422) from None
    return parsed


def property_of(meta: Json | None, key: str) -> str | None:
    """A metadata property's value (what ``compatibilityGroup`` and lookups compare)."""
    if meta is None:
        return None
    value = meta.get("properties", {}).get(key)
    return value if isinstance(value, str) else None
