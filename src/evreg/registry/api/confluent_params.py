"""The Confluent API's query parameters and the OpenAPI shapes of its answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from evreg.contracts.compat.rules.levels import Level, Policy
from evreg.registry.api.deps import METADATA_IN, REFERENCE, RULE_SET_IN
from evreg.registry.api.media import media_content

Deleted = Annotated[bool, Query(description="Include soft-deleted subjects or versions")]
# Confluent's registry reads `deletedOnly`; confluent-kafka's Python client sends `deleted_only`:
# either one set to true asks for soft-deleted ones only.
DeletedOnly = Annotated[bool, Query(alias="deletedOnly", description="Only soft-deleted ones")]
DeletedOnlySnake = Annotated[
    bool,
    Query(alias="deleted_only", description="Same as deletedOnly (confluent-kafka's spelling)"),
]
LookupDeletedSchema = Annotated[
    bool, Query(alias="lookupDeletedSchema", description="Same as deleted (Confluent's spelling)")
]
SubjectHint = Annotated[
    str | None,
    Query(
        description="The subject the id is read for: its context's ids (a qualified subject, "
        "`:.staging:orders`, or a context, `:.staging:`); default: the default context"
    ),
]
Permanent = Annotated[bool, Query(description="Hard delete (only after a soft delete)")]
Verbose = Annotated[bool, Query(description="Explain an incompatible verdict in 'messages'")]
Normalize = Annotated[
    bool, Query(description="Accepted for compatibility; evreg always stores the canonical form")
]
DefaultToGlobal = Annotated[
    bool, Query(alias="defaultToGlobal", description="Fall back to the global setting")
]
# Java ints in Confluent's registry; larger values are refused (422) rather than reaching SQL,
# where SQLite cannot bind them.
JAVA_INT_MAX = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=JAVA_INT_MAX)]
Limit = Annotated[int, Query(ge=-1, le=JAVA_INT_MAX)]
Force = Annotated[bool, Query(description="Allow IMPORT although subjects exist")]

METADATA = {
    "type": "object",
    "description": "Confluent data contract metadata: tags, properties, sensitive",
    "properties": {
        "tags": {"type": "object", "additionalProperties": {"type": "array"}},
        "properties": {"type": "object", "additionalProperties": {"type": "string"}},
        "sensitive": {"type": "array", "items": {"type": "string"}},
    },
}
RULE_SET = {
    "type": "object",
    "description": "Confluent data contract rules (run by clients): migrationRules, "
    "domainRules, encodingRules",
    "properties": {
        "migrationRules": {"type": "array", "items": {"type": "object"}},
        "domainRules": {"type": "array", "items": {"type": "object"}},
        "encodingRules": {"type": "array", "items": {"type": "object"}},
        "enableAt": {"type": "string"},
    },
}
_LEVEL = {"type": ["string", "null"], "enum": [*(level.value for level in Level), None]}
_CONFIG_SETTINGS = {
    "compatibility": _LEVEL,
    "compatibilityLevel": {**_LEVEL, "description": "Same as compatibility"},
    "compatibilityPolicy": {
        "type": ["string", "null"],
        "enum": [*(policy.value for policy in Policy), None],
    },
    "compatibilityGroup": {"type": ["string", "null"], "minLength": 1},
    "defaultMetadata": METADATA_IN,
    "overrideMetadata": METADATA_IN,
    "defaultRuleSet": RULE_SET_IN,
    "overrideRuleSet": RULE_SET_IN,
    "normalize": {"type": ["boolean", "null"]},
    "validateFields": {"type": ["boolean", "null"]},
}
# What PUT /config reads (api/confluent_config.py, data_contracts.config_fields): any other
# field is refused naming it; Confluent's alias and validateRules only when they ask nothing
CONFIG_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_CONFIG_SETTINGS,
        "alias": {"enum": [None, False, ""], "description": "refused (subject aliases)"},
        "validateRules": {"enum": [None, False, ""], "description": "refused when true"},
    },
    # at least one setting (a body that sets nothing is refused: 422/42203)
    "anyOf": [
        {"required": [key], "properties": {key: {"not": {"type": "null"}}}}
        for key in _CONFIG_SETTINGS
    ],
}
MODE_BODY = {
    "type": "object",
    "required": ["mode"],
    "properties": {"mode": {"type": "string", "enum": ["READWRITE", "READONLY", "IMPORT"]}},
}


STRINGS = {"type": "array", "items": {"type": "string"}}
INTS = {"type": "array", "items": {"type": "integer"}}
VERSION_OBJ = {
    "type": "object",
    "required": ["subject", "version", "id", "schema"],
    "properties": {
        "subject": {"type": "string"},
        "version": {"type": "integer"},
        "id": {"type": "integer"},
        "schemaType": {"type": "string"},
        "schema": {"type": "string"},
        "references": {"type": "array", "items": REFERENCE},
        "metadata": METADATA,
        "ruleSet": RULE_SET,
    },
}
SCHEMA_OBJ = {
    "type": "object",
    "required": ["schema"],
    "properties": {
        "schema": {"type": "string"},
        "schemaType": {"type": "string"},
        "references": {"type": "array", "items": REFERENCE},
        "metadata": METADATA,
        "ruleSet": RULE_SET,
    },
}
COMPAT_OBJ = {
    "type": "object",
    "required": ["is_compatible"],
    "properties": {"is_compatible": {"type": "boolean"}, "messages": STRINGS},
}
CONFIG_OBJ = {
    "type": "object",
    "properties": {
        "compatibilityLevel": {"type": "string"},
        "compatibility": {"type": "string"},
        "compatibilityPolicy": {"type": "string"},
        "compatibilityGroup": {"type": "string"},
        "defaultMetadata": METADATA,
        "overrideMetadata": METADATA,
        "defaultRuleSet": RULE_SET,
        "overrideRuleSet": RULE_SET,
        "normalize": {"type": "boolean"},
        "validateFields": {"type": "boolean"},
    },
}
MODE_OBJ = {"type": "object", "required": ["mode"], "properties": {"mode": {"type": "string"}}}
RAW = {"description": "The schema document itself (JSON)", "content": media_content({})}
