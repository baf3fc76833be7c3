"""The rule catalogue: every change type evreg reports, what it means, and which policy accepts it.

Rule ids are public and stable: never rename one. JSON Schema rule ids are the Confluent Schema
Registry's JSON Schema change types, plus evreg's own (REQUIRED_UNDECLARED_PROPERTY_ADDED and
those after NOT_TYPE_NARROWED, see docs/compatibility.md); AsyncAPI rule ids are evreg's own. Whether a change breaks
is decided here, by the policy, never inside the code that detects the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from evreg.contracts.compat.rules.ids import BOUND_RULES, EXTRA_RULES, RuleId
from evreg.contracts.compat.rules.levels import Direction, Policy

R = RuleId

Family = Literal["jsonschema", "asyncapi", "avro"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: RuleId
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


def _bounds(keyword: str) -> dict[RuleId, str]:
    rules = BOUND_RULES[keyword]
    return {
        rules.added: f"a {keyword} bound was added",
        rules.removed: f"the {keyword} bound was removed",
        rules.increased: f"the {keyword} bound was increased",
        rules.decreased: f"the {keyword} bound was decreased",
    }


def _ext(family: str, what: str) -> dict[RuleId, str]:
    rules = EXTRA_RULES[family]
    return {
        rules.added: f"{what} was added (or set to allow anything)",
        rules.removed: f"{what} was removed (set to false)",
        rules.extended: f"{what} now accepts more values",
        rules.narrowed: f"{what} now accepts fewer values",
    }


_JSON_RULES: dict[RuleId, str] = {
    R.ID_CHANGED: "the schema's $id changed",
    R.DESCRIPTION_CHANGED: "the description changed",
    R.TITLE_CHANGED: "the title changed",
    R.DEFAULT_CHANGED: "the default value changed",
    R.SCHEMA_ADDED: "a sub-schema was added where there was none (e.g. `items`)",
    R.SCHEMA_REMOVED: "a sub-schema was removed (anything is accepted there now)",
    R.TYPE_EXTENDED: "the type accepts more values (integer -> number)",
    R.TYPE_NARROWED: "the type accepts fewer values (number -> integer)",
    R.TYPE_CHANGED: "the type changed to an unrelated one",
    **_bounds("maxLength"),
    **_bounds("minLength"),
    R.PATTERN_ADDED: "a pattern was added",
    R.PATTERN_REMOVED: "the pattern was removed",
    R.PATTERN_CHANGED: "the pattern changed",
    **_bounds("maximum"),
    **_bounds("minimum"),
    **_bounds("exclusiveMaximum"),
    **_bounds("exclusiveMinimum"),
    R.MULTIPLE_OF_ADDED: "a multipleOf constraint was added",
    R.MULTIPLE_OF_REMOVED: "the multipleOf constraint was removed",
    R.MULTIPLE_OF_EXPANDED: "multipleOf became a multiple of the old value (fewer numbers allowed)",
    R.MULTIPLE_OF_REDUCED: "multipleOf became a divisor of the old value (more numbers allowed)",
    R.MULTIPLE_OF_CHANGED: "multipleOf changed to an unrelated value",
    R.REQUIRED_ATTRIBUTE_ADDED: "a property became required",
    R.REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED: "a property with a default became required",
    R.REQUIRED_ATTRIBUTE_REMOVED: "a property is no longer required",
    R.REQUIRED_UNDECLARED_PROPERTY_ADDED: "a name no `properties` declares became required",
    **_bounds("maxProperties"),
    **_bounds("minProperties"),
    **_ext("additionalProperties", "additionalProperties"),
    **_ext("unevaluatedProperties", "unevaluatedProperties"),
    R.DEPENDENCY_ARRAY_ADDED: "a property dependency (dependentRequired) was added",
    R.DEPENDENCY_ARRAY_REMOVED: "a property dependency was removed",
    R.DEPENDENCY_ARRAY_EXTENDED: "a property dependency now requires more properties",
    R.DEPENDENCY_ARRAY_NARROWED: "a property dependency now requires fewer properties",
    R.DEPENDENCY_ARRAY_CHANGED: "a property dependency requires different properties",
    R.DEPENDENCY_SCHEMA_ADDED: "a schema dependency (dependentSchemas) was added",
    R.DEPENDENCY_SCHEMA_REMOVED: "a schema dependency was removed",
    R.REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: "a required property was added to an open object",
    R.REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL: "a required property was added to a closed or partially open object",
    R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL: "a required property with a default was added to an open object",
    R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL: "a required property with a default was added to a closed or partially open object",
    R.OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: "an optional property was added to an open object (old events may carry it with any value)",
    R.OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL: "an optional property was added to a closed or partially open object",
    R.PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL: "a property accepting anything was added to an open object",
    R.PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL: "a property was removed from an open object",
    R.PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL: "a forbidden (false) property was removed from a closed object",
    R.PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: "a property was removed from a closed object (old events carrying it are rejected)",
    R.PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "an added property was already allowed by additional/pattern properties",
    R.PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "an added property is stricter than the additional/pattern properties old events followed",
    R.PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "a removed property is still accepted by additional/pattern properties",
    R.PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "a removed property is not accepted by the additional/pattern properties",
    R.RESERVED_PROPERTY_REMOVED: "a reserved property name was un-reserved",
    R.RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY: "a reserved property name is used by a property",
    **_bounds("maxItems"),
    **_bounds("minItems"),
    **_bounds("maxContains"),
    **_bounds("minContains"),
    R.UNIQUE_ITEMS_ADDED: "items must now be unique",
    R.UNIQUE_ITEMS_REMOVED: "items no longer need to be unique",
    **_ext("additionalItems", "additionalItems (items after the tuple)"),
    **_ext("unevaluatedItems", "unevaluatedItems"),
    R.ITEM_ADDED_TO_OPEN_CONTENT_MODEL: "a tuple item was added to an open tuple",
    R.ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL: "a tuple item accepting anything was added to an open tuple",
    R.ITEM_ADDED_TO_CLOSED_CONTENT_MODEL: "a tuple item was added to a closed tuple",
    R.ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL: "a tuple item was removed from an open tuple",
    R.ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL: "a forbidden (false) tuple item was removed from a closed tuple",
    R.ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL: "a tuple item was removed from a closed tuple",
    R.ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "an added tuple item was already allowed by additionalItems",
    R.ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "an added tuple item is stricter than additionalItems",
    R.ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "a removed tuple item is still accepted by additionalItems",
    R.ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: "a removed tuple item is not accepted by additionalItems",
    R.ENUM_ARRAY_EXTENDED: "the enum (or const) accepts more values",
    R.ENUM_ARRAY_NARROWED: "the enum accepts fewer values",
    R.ENUM_ARRAY_CHANGED: "the enum (or const) accepts different values",
    R.COMBINED_TYPE_EXTENDED: "the combinator became wider (e.g. oneOf -> anyOf)",
    R.COMBINED_TYPE_CHANGED: "the combinator changed in a way that is not wider",
    R.PRODUCT_TYPE_EXTENDED: "allOf gained a sub-schema (more constraints)",
    R.PRODUCT_TYPE_NARROWED: "allOf lost a sub-schema (fewer constraints)",
    R.SUM_TYPE_EXTENDED: "anyOf/oneOf gained an alternative",
    R.SUM_TYPE_NARROWED: "anyOf/oneOf lost an alternative",
    R.COMBINED_TYPE_SUBSCHEMAS_CHANGED: "an alternative of a combinator changed incompatibly",
    R.NOT_TYPE_EXTENDED: "the `not` schema matches more (so fewer values are allowed)",
    R.NOT_TYPE_NARROWED: "the `not` schema matches less (so more values are allowed)",
    R.TYPE_DECLARED: "a `type` was declared where only keywords of that type were (values of other types were valid)",
    R.INTEGER_TYPE_IMPLIED_BY_MULTIPLE_OF: "number became integer where multipleOf already allowed only whole numbers",
    R.LOWER_BOUND_NOT_NARROWED: "the lower bound moved between minimum and exclusiveMinimum and allows no fewer numbers",
    R.UPPER_BOUND_NOT_NARROWED: "the upper bound moved between maximum and exclusiveMaximum and allows no fewer numbers",
    R.ONE_OF_ALTERNATIVES_OVERLAP: "a value valid before may match two oneOf alternatives (oneOf then rejects it)",
    R.COMBINED_TYPE_MADE_EXCLUSIVE: "anyOf became oneOf over alternatives that no value matches twice",
    R.UNSATISFIABLE_SCHEMA_CHANGED: "a schema that accepted no value changed (no event had a value there)",
    R.SCHEMA_NOT_NARROWED: "keywords changed in ways named breaking, but the schema still accepts every value it did",
    R.COUNTEREXAMPLE_FOUND: "an event valid before is rejected here, though no other rule names the change",
}


def _ids(text: str) -> frozenset[RuleId]:
    return frozenset(RuleId(word) for word in text.split())  # a typo fails at import


STRICT_ACCEPTS: Final[frozenset[RuleId]] = _ids(
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
    INTEGER_TYPE_IMPLIED_BY_MULTIPLE_OF LOWER_BOUND_NOT_NARROWED UPPER_BOUND_NOT_NARROWED
    COMBINED_TYPE_MADE_EXCLUSIVE UNSATISFIABLE_SCHEMA_CHANGED SCHEMA_NOT_NARROWED
    """
)

LENIENT_ACCEPTS: Final[frozenset[RuleId]] = STRICT_ACCEPTS | _ids(
    """
    ADDITIONAL_PROPERTIES_NARROWED ADDITIONAL_PROPERTIES_REMOVED
    UNEVALUATED_PROPERTIES_NARROWED UNEVALUATED_PROPERTIES_REMOVED
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
    OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    """
)

# Accepted by the STRICT table although an event can prove them unsafe: JSON Schema validation
# does not apply defaults, so an old event without the new required property is rejected. The
# engine looks for a witness for these (and for every change a policy accepts outside STRICT) so
# the finding shows the risk even when the verdict follows the table. (A `oneOf` gaining a branch
# that overlaps an old one is the other known gap; it is not searched, to keep checks fast.)
UNSOUND_IN_STRICT: Final[frozenset[RuleId]] = frozenset(
    {
        R.REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED,
        R.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
    }
)

_BOTH = frozenset({Direction.BACKWARD, Direction.FORWARD})
_FWD = frozenset({Direction.FORWARD})
_NEVER: frozenset[Direction] = frozenset()

# AsyncAPI document-level rules, named for the evolution old -> new.
_ASYNCAPI_RULES: dict[RuleId, tuple[str, frozenset[Direction]]] = {
    R.CHANNEL_REMOVED: ("a channel (matched by address) was removed", _BOTH),
    R.CHANNEL_ADDED: ("a channel was added", _NEVER),
    R.OPERATION_REMOVED: ("an operation (matched by id) was removed", _BOTH),
    R.OPERATION_ADDED: ("an operation was added", _NEVER),
    R.OPERATION_ACTION_CHANGED: ("an operation switched between send and receive", _BOTH),
    R.OPERATION_CHANNEL_CHANGED: ("an operation now uses another channel", _BOTH),
    R.MESSAGE_REMOVED: ("a message (matched by name) no longer flows on a channel", _BOTH),
    R.MESSAGE_ADDED: ("a new message flows on a channel that old readers read", _FWD),
    R.PAYLOAD_ADDED: ("a message gained a payload schema where it had none", _BOTH),
    R.PAYLOAD_REMOVED: ("a message lost its payload schema", _NEVER),
    R.HEADERS_ADDED: ("a message gained a headers schema where it had none", _BOTH),
    R.HEADERS_REMOVED: ("a message lost its headers schema", _NEVER),
    R.CONTENT_TYPE_CHANGED: ("a message's content type changed", _BOTH),
    R.INFO_VERSION_CHANGED: ("info.version changed", _NEVER),
    R.INFO_TITLE_CHANGED: ("info.title changed", _NEVER),
    R.METADATA_CHANGED: ("a description, summary, title, tag or example changed", _NEVER),
}

# Avro schema resolution (the specification's "Schema Resolution" section): reader against
# writer, the same under both policies (Avro's rules leave nothing to interpret). True: the
# reader resolves every datum of the writer there.
_AVRO_RULES: dict[RuleId, tuple[str, bool]] = {
    R.AVRO_TYPE_CHANGED: ("the type changed to one Avro cannot read the old type as", False),
    R.AVRO_TYPE_PROMOTED: (
        "the type was promoted (int -> long -> float -> double, string -> bytes)",
        True,
    ),
    R.AVRO_BYTES_READ_AS_STRING: (
        "bytes are read as a string (Avro's promotion; bytes that are not UTF-8 fail to read)",
        False,
    ),
    R.AVRO_TYPE_NOT_IN_UNION: ("the type became a union none of whose branches reads it", False),
    R.AVRO_TYPE_WIDENED_TO_UNION: ("the type became a union with a branch that reads it", True),
    R.AVRO_UNION_BRANCH_REMOVED: (
        "a union branch was removed: no reader branch reads its values",
        False,
    ),
    R.AVRO_UNION_BRANCH_ADDED: ("a union gained a branch", True),
    R.AVRO_NAME_CHANGED: ("a named type (record, enum, fixed) was renamed without an alias", False),
    R.AVRO_NAME_CHANGED_WITH_ALIAS: (
        "a named type was renamed, its old name kept as an alias",
        True,
    ),
    R.AVRO_FIELD_ADDED_WITHOUT_DEFAULT: (
        "a record field without a default was added (old data has no value for it)",
        False,
    ),
    R.AVRO_FIELD_ADDED_WITH_DEFAULT: ("a record field with a default was added", True),
    R.AVRO_FIELD_REMOVED: ("a record field was removed (readers skip it)", True),
    R.AVRO_FIELD_RENAMED_WITH_ALIAS: (
        "a record field was renamed, its old name kept as an alias",
        True,
    ),
    R.AVRO_FIELD_DEFAULT_CHANGED: ("a record field's default changed", True),
    R.AVRO_ENUM_SYMBOL_REMOVED: ("an enum symbol was removed and the enum has no default", False),
    R.AVRO_ENUM_SYMBOL_REMOVED_WITH_DEFAULT: (
        "an enum symbol was removed; readers read it as the enum's default",
        True,
    ),
    R.AVRO_ENUM_SYMBOL_ADDED: ("an enum symbol was added", True),
    R.AVRO_FIXED_SIZE_CHANGED: ("a fixed type's size changed", False),
    R.SCHEMA_FORMAT_CHANGED: (
        "the payload's schema format changed (JSON Schema <-> Avro): readers of one cannot read events written in the other",
        False,
    ),
}

# Avro's specification allows it and Confluent accepts it; STRICT refuses it because a datum
# can prove it unsafe (fastavro, the Python clients' library, fails on bytes that are not UTF-8)
_AVRO_LENIENT = frozenset({R.AVRO_BYTES_READ_AS_STRING})

# Keyed by RuleId; a plain string of the same text finds the same rule (a StrEnum hashes as one).
RULES: Final[Mapping[str, Rule]] = {
    **{
        rid: Rule(rid, purpose, "jsonschema", rid in STRICT_ACCEPTS, rid in LENIENT_ACCEPTS)
        for rid, purpose in _JSON_RULES.items()
    },
    **{
        rid: Rule(rid, purpose, "asyncapi", not breaks, not breaks, breaks)
        for rid, (purpose, breaks) in _ASYNCAPI_RULES.items()
    },
    **{
        rid: Rule(rid, purpose, "avro", ok, ok or rid in _AVRO_LENIENT)
        for rid, (purpose, ok) in _AVRO_RULES.items()
    },
}
if set(RULES) != set(RuleId):  # the ids and the catalogue are one list: refuse to load otherwise
    raise RuntimeError(f"rule ids without a catalogue entry: {set(RuleId) ^ set(RULES)}")


def may_reject(rule_id: str) -> bool:
    """Could a change of this type make the reader reject an event the writer produced?"""
    found = RULES[rule_id]
    if found.family == "asyncapi":
        return bool(found.breaks_in)
    if found.family == "avro":
        return not found.lenient_ok or not found.strict_ok
    return not found.strict_ok or rule_id in UNSOUND_IN_STRICT


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def is_breaking(rule_id: str, policy: Policy, direction: Direction = Direction.BACKWARD) -> bool:
    return not RULES[rule_id].accepted(policy, direction)
