"""The rule catalogue: every change type evreg reports, what it means, and which policy accepts it.

Rule ids are public and stable: never rename one. JSON Schema rule ids are the Confluent Schema
Registry's JSON Schema change types (except REQUIRED_UNDECLARED_PROPERTY_ADDED, evreg's own,
which only direct reader checks report); AsyncAPI rule ids are evreg's own. Whether a change breaks
is decided here, by the policy, never inside the code that detects the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evreg.contracts.compat.report import Direction, Policy

Family = Literal["jsonschema", "asyncapi"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    purpose: str
    family: Family
    strict_ok: bool  # accepted (not breaking) under STRICT
    lenient_ok: bool  # accepted under LENIENT
    # AsyncAPI document-level rules are named for the evolution old -> new; they break in the
    # directions listed here (BACKWARD: the new version reads old events; FORWARD: the reverse).
    breaks_in: frozenset[Direction] = frozenset()

    def accepted(self, policy: Policy, direction: Direction = Direction.BACKWARD) -> bool:
        if self.family == "asyncapi":
            return direction not in self.breaks_in
        return self.strict_ok if policy is Policy.STRICT else self.lenient_ok


def _bounds(prefix: str, what: str) -> dict[str, str]:
    return {
        f"{prefix}_ADDED": f"a {what} bound was added",
        f"{prefix}_REMOVED": f"the {what} bound was removed",
        f"{prefix}_INCREASED": f"the {what} bound was increased",
        f"{prefix}_DECREASED": f"the {what} bound was decreased",
    }


def _ext(prefix: str, what: str) -> dict[str, str]:
    return {
        f"{prefix}_ADDED": f"{what} was added (or set to allow anything)",
        f"{prefix}_REMOVED": f"{what} was removed (set to false)",
        f"{prefix}_EXTENDED": f"{what} now accepts more values",
        f"{prefix}_NARROWED": f"{what} now accepts fewer values",
    }


_JSON_RULES: dict[str, str] = {
    "ID_CHANGED": "the schema's $id changed",
    "DESCRIPTION_CHANGED": "the description changed",
    "TITLE_CHANGED": "the title changed",
    "DEFAULT_CHANGED": "the default value changed",
    "SCHEMA_ADDED": "a sub-schema was added where there was none (e.g. `items`)",
    "SCHEMA_REMOVED": "a sub-schema was removed (anything is accepted there now)",
    "TYPE_EXTENDED": "the type accepts more values (integer -> number)",
    "TYPE_NARROWED": "the type accepts fewer values (number -> integer)",
    "TYPE_CHANGED": "the type changed to an unrelated one",
    **_bounds("MAX_LENGTH", "maxLength"),
    **_bounds("MIN_LENGTH", "minLength"),
    "PATTERN_ADDED": "a pattern was added",
    "PATTERN_REMOVED": "the pattern was removed",
    "PATTERN_CHANGED": "the pattern changed",
    **_bounds("MAXIMUM", "maximum"),
    **_bounds("MINIMUM", "minimum"),
    **_bounds("EXCLUSIVE_MAXIMUM", "exclusiveMaximum"),
    **_bounds("EXCLUSIVE_MINIMUM", "exclusiveMinimum"),
    "MULTIPLE_OF_ADDED": "a multipleOf constraint was added",
    "MULTIPLE_OF_REMOVED": "the multipleOf constraint was removed",
    "MULTIPLE_OF_EXPANDED": "multipleOf became a multiple of the old value (fewer numbers allowed)",
    "MULTIPLE_OF_REDUCED": "multipleOf became a divisor of the old value (more numbers allowed)",
    "MULTIPLE_OF_CHANGED": "multipleOf changed to an unrelated value",
    "REQUIRED_ATTRIBUTE_ADDED": "a property became required",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED": "a property with a default became required",
    "REQUIRED_ATTRIBUTE_REMOVED": "a property is no longer required",
    "REQUIRED_UNDECLARED_PROPERTY_ADDED": "a name no `properties` declares became required (reader checks only)",
    **_bounds("MAX_PROPERTIES", "maxProperties"),
    **_bounds("MIN_PROPERTIES", "minProperties"),
    **_ext("ADDITIONAL_PROPERTIES", "additionalProperties"),
    **_ext("UNEVALUATED_PROPERTIES", "unevaluatedProperties"),
    "DEPENDENCY_ARRAY_ADDED": "a property dependency (dependentRequired) was added",
    "DEPENDENCY_ARRAY_REMOVED": "a property dependency was removed",
    "DEPENDENCY_ARRAY_EXTENDED": "a property dependency now requires more properties",
    "DEPENDENCY_ARRAY_NARROWED": "a property dependency now requires fewer properties",
    "DEPENDENCY_ARRAY_CHANGED": "a property dependency requires different properties",
    "DEPENDENCY_SCHEMA_ADDED": "a schema dependency (dependentSchemas) was added",
    "DEPENDENCY_SCHEMA_REMOVED": "a schema dependency was removed",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "a required property was added to an open object",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "a required property was added to a closed or partially open object",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL": "a required property with a default was added to an open object",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL": "a required property with a default was added to a closed or partially open object",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "an optional property was added to an open object (old events may carry it with any value)",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "an optional property was added to a closed or partially open object",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": "a property accepting anything was added to an open object",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL": "a property was removed from an open object",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": "a forbidden (false) property was removed from a closed object",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "a property was removed from a closed object (old events carrying it are rejected)",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "an added property was already allowed by additional/pattern properties",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "an added property is stricter than the additional/pattern properties old events followed",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "a removed property is still accepted by additional/pattern properties",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "a removed property is not accepted by the additional/pattern properties",
    "RESERVED_PROPERTY_REMOVED": "a reserved property name was un-reserved",
    "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY": "a reserved property name is used by a property",
    **_bounds("MAX_ITEMS", "maxItems"),
    **_bounds("MIN_ITEMS", "minItems"),
    **_bounds("MAX_CONTAINS", "maxContains"),
    **_bounds("MIN_CONTAINS", "minContains"),
    "UNIQUE_ITEMS_ADDED": "items must now be unique",
    "UNIQUE_ITEMS_REMOVED": "items no longer need to be unique",
    **_ext("ADDITIONAL_ITEMS", "additionalItems (items after the tuple)"),
    **_ext("UNEVALUATED_ITEMS", "unevaluatedItems"),
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "a tuple item was added to an open tuple",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": "a tuple item accepting anything was added to an open tuple",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL": "a tuple item was added to a closed tuple",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL": "a tuple item was removed from an open tuple",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": "a forbidden (false) tuple item was removed from a closed tuple",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": "a tuple item was removed from a closed tuple",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "an added tuple item was already allowed by additionalItems",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "an added tuple item is stricter than additionalItems",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "a removed tuple item is still accepted by additionalItems",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "a removed tuple item is not accepted by additionalItems",
    "ENUM_ARRAY_EXTENDED": "the enum (or const) accepts more values",
    "ENUM_ARRAY_NARROWED": "the enum accepts fewer values",
    "ENUM_ARRAY_CHANGED": "the enum (or const) accepts different values",
    "COMBINED_TYPE_EXTENDED": "the combinator became wider (e.g. oneOf -> anyOf)",
    "COMBINED_TYPE_CHANGED": "the combinator changed in a way that is not wider",
    "PRODUCT_TYPE_EXTENDED": "allOf gained a sub-schema (more constraints)",
    "PRODUCT_TYPE_NARROWED": "allOf lost a sub-schema (fewer constraints)",
    "SUM_TYPE_EXTENDED": "anyOf/oneOf gained an alternative",
    "SUM_TYPE_NARROWED": "anyOf/oneOf lost an alternative",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "an alternative of a combinator changed incompatibly",
    "NOT_TYPE_EXTENDED": "the `not` schema matches more (so fewer values are allowed)",
    "NOT_TYPE_NARROWED": "the `not` schema matches less (so more values are allowed)",
}

STRICT_ACCEPTS: frozenset[str] = frozenset(
    """
    ID_CHANGED DESCRIPTION_CHANGED TITLE_CHANGED DEFAULT_CHANGED SCHEMA_REMOVED TYPE_EXTENDED
    MAX_LENGTH_INCREASED MAX_LENGTH_REMOVED MIN_LENGTH_DECREASED MIN_LENGTH_REMOVED PATTERN_REMOVED
    MAXIMUM_INCREASED MAXIMUM_REMOVED MINIMUM_DECREASED MINIMUM_REMOVED
    EXCLUSIVE_MAXIMUM_INCREASED EXCLUSIVE_MAXIMUM_REMOVED
    EXCLUSIVE_MINIMUM_DECREASED EXCLUSIVE_MINIMUM_REMOVED MULTIPLE_OF_REDUCED MULTIPLE_OF_REMOVED
    REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED REQUIRED_ATTRIBUTE_REMOVED
    DEPENDENCY_ARRAY_NARROWED DEPENDENCY_ARRAY_REMOVED DEPENDENCY_SCHEMA_REMOVED
    MAX_PROPERTIES_INCREASED MAX_PROPERTIES_REMOVED MIN_PROPERTIES_DECREASED MIN_PROPERTIES_REMOVED
    ADDITIONAL_PROPERTIES_ADDED ADDITIONAL_PROPERTIES_EXTENDED
    UNEVALUATED_PROPERTIES_ADDED UNEVALUATED_PROPERTIES_EXTENDED
    PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
    OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    MAX_ITEMS_INCREASED MAX_ITEMS_REMOVED MIN_ITEMS_DECREASED MIN_ITEMS_REMOVED
    MAX_CONTAINS_INCREASED MAX_CONTAINS_REMOVED MIN_CONTAINS_DECREASED MIN_CONTAINS_REMOVED
    UNIQUE_ITEMS_REMOVED ADDITIONAL_ITEMS_ADDED ADDITIONAL_ITEMS_EXTENDED
    UNEVALUATED_ITEMS_ADDED UNEVALUATED_ITEMS_EXTENDED
    ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL ITEM_ADDED_TO_CLOSED_CONTENT_MODEL
    ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    ENUM_ARRAY_EXTENDED COMBINED_TYPE_EXTENDED PRODUCT_TYPE_NARROWED SUM_TYPE_EXTENDED
    NOT_TYPE_NARROWED
    """.split()
)

LENIENT_ACCEPTS: frozenset[str] = STRICT_ACCEPTS | frozenset(
    """
    ADDITIONAL_PROPERTIES_NARROWED ADDITIONAL_PROPERTIES_REMOVED
    UNEVALUATED_PROPERTIES_NARROWED UNEVALUATED_PROPERTIES_REMOVED
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
    OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    """.split()
)

# Accepted by the STRICT table although an event can prove them unsafe: JSON Schema validation
# does not apply defaults, so an old event without the new required property is rejected. The
# engine looks for a witness for these (and for every change a policy accepts outside STRICT) so
# the finding shows the risk even when the verdict follows the table. (A `oneOf` gaining a branch
# that overlaps an old one is the other known gap; it is not searched, to keep checks fast.)
UNSOUND_IN_STRICT: frozenset[str] = frozenset(
    {
        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    }
)

_BOTH = frozenset({Direction.BACKWARD, Direction.FORWARD})
_FWD = frozenset({Direction.FORWARD})
_NEVER: frozenset[Direction] = frozenset()

# AsyncAPI document-level rules, named for the evolution old -> new.
_ASYNCAPI_RULES: dict[str, tuple[str, frozenset[Direction]]] = {
    "CHANNEL_REMOVED": ("a channel (matched by address) was removed", _BOTH),
    "CHANNEL_ADDED": ("a channel was added", _NEVER),
    "OPERATION_REMOVED": ("an operation (matched by id) was removed", _BOTH),
    "OPERATION_ADDED": ("an operation was added", _NEVER),
    "OPERATION_ACTION_CHANGED": ("an operation switched between send and receive", _BOTH),
    "OPERATION_CHANNEL_CHANGED": ("an operation now uses another channel", _BOTH),
    "MESSAGE_REMOVED": ("a message (matched by name) no longer flows on a channel", _BOTH),
    "MESSAGE_ADDED": ("a new message flows on a channel that old readers read", _FWD),
    "PAYLOAD_ADDED": ("a message gained a payload schema where it had none", _BOTH),
    "PAYLOAD_REMOVED": ("a message lost its payload schema", _NEVER),
    "HEADERS_ADDED": ("a message gained a headers schema where it had none", _BOTH),
    "HEADERS_REMOVED": ("a message lost its headers schema", _NEVER),
    "CONTENT_TYPE_CHANGED": ("a message's content type changed", _BOTH),
    "INFO_VERSION_CHANGED": ("info.version changed", _NEVER),
    "INFO_TITLE_CHANGED": ("info.title changed", _NEVER),
    "METADATA_CHANGED": ("a description, summary, title, tag or example changed", _NEVER),
}

RULES: dict[str, Rule] = {
    **{
        rid: Rule(rid, purpose, "jsonschema", rid in STRICT_ACCEPTS, rid in LENIENT_ACCEPTS)
        for rid, purpose in _JSON_RULES.items()
    },
    **{
        rid: Rule(rid, purpose, "asyncapi", not breaks, not breaks, breaks)
        for rid, (purpose, breaks) in _ASYNCAPI_RULES.items()
    },
}


def may_reject(rule_id: str) -> bool:
    """Could a change of this type make the reader reject an event the writer produced?"""
    found = RULES[rule_id]
    if found.family == "asyncapi":
        return bool(found.breaks_in)
    return not found.strict_ok or rule_id in UNSOUND_IN_STRICT


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def is_breaking(rule_id: str, policy: Policy, direction: Direction = Direction.BACKWARD) -> bool:
    return not RULES[rule_id].accepted(policy, direction)
