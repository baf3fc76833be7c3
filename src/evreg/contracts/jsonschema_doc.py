"""JSON Schema dialects: detect the draft of a schema and check it against its meta-schema."""

from __future__ import annotations

import functools
import threading
from typing import Any, Final

from jsonschema import validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from evreg.contracts import pointer
from evreg.contracts.canonical import canonical_json
from evreg.contracts.child_validators import reusing_children
from evreg.contracts.errors import ContractError
from evreg.contracts.fast_properties import fast_properties
from evreg.contracts.metaschema import fast_meta_schema
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020, Schema
from evreg.contracts.pattern_validators import bounded
from evreg.contracts.patterns import check_patterns
from evreg.contracts.subschemas import without_repeated_leaves

DRAFT_NAMES = {
    DRAFT4: "draft-04",
    DRAFT6: "draft-06",
    DRAFT7: "draft-07",
    DRAFT2019: "2019-09",
    DRAFT2020: "2020-12",
}
_VALIDATORS: dict[str, type[Validator]] = {
    DRAFT4: validators.Draft4Validator,
    DRAFT6: validators.Draft6Validator,
    DRAFT7: validators.Draft7Validator,
    DRAFT2019: validators.Draft201909Validator,
    DRAFT2020: validators.Draft202012Validator,
}


def _normal(uri: str) -> str:
    """``https://json-schema.org/draft-07/schema#`` and its spellings -> ``json-schema.org/...``."""
    return uri.strip().removesuffix("#").removeprefix("https://").removeprefix("http://")


_BY_URI = {_normal(uri): uri for uri in DRAFT_NAMES}
_BY_NAME = {name: uri for uri, name in DRAFT_NAMES.items()}
_BY_NAME.update({"draft-2019-09": DRAFT2019, "draft-2020-12": DRAFT2020, "draft-4": DRAFT4})
_BY_NAME.update({"draft-6": DRAFT6, "draft-7": DRAFT7})


def dialect(uri: object, *, at: str) -> str:
    """The draft constant for a ``$schema`` value; ``ContractError`` at ``at`` if unknown."""
    if isinstance(uri, str):
        found = _BY_URI.get(_normal(uri))
        if found is not None:
            return found
    known = ", ".join(DRAFT_NAMES.values())
    raise ContractError(
        f"unsupported JSON Schema dialect $schema={uri!r} (evreg reads {known})", pointer=at
    )


def draft_named(version: str) -> str | None:
    """``draft-07`` / ``2020-12`` (a schemaFormat ``version=``) -> the draft URI, else None."""
    return _BY_NAME.get(version.strip().lower())


def detect_draft(schema: Any, *, at: str = pointer.ROOT, default: str = DRAFT2020) -> str:
    """The dialect a schema declares with ``$schema``, else ``default``."""
    if isinstance(schema, dict) and "$schema" in schema:
        return dialect(schema["$schema"], at=pointer.join(at, "$schema"))
    return default


# Schemas already found valid, by (draft, canonical text): a registry sees the same ones often.
CHECKED_CACHE_SIZE = 4096
_checked: dict[tuple[str, str], None] = {}
_checked_lock = threading.Lock()


def forget_checked_schemas() -> None:
    """Empty the cache of schemas known to be valid (for benchmarks of a cold start)."""
    with _checked_lock:
        _checked.clear()


@functools.cache
def _meta_validator(draft: str) -> Validator:
    # format: regex is ECMA-262; the validator of each part of the meta-schema built once
    cls = reusing_children(bounded(fast_properties(_VALIDATORS[draft])))
    return cls(fast_meta_schema(draft), format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


# what a schema commonly holds: checked by ``prepare_meta_validators`` so that the validators of
# the meta-schema's parts it reaches are built before the first schema is
_COMMON: Final[Schema] = {
    "title": "t",
    "description": "d",
    "type": "object",
    "properties": {
        "s": {"type": "string", "minLength": 1, "maxLength": 9, "pattern": "^a", "format": "uuid"},
        "n": {"type": ["number", "null"], "minimum": 0, "maximum": 9, "multipleOf": 1},
        "i": {"type": "integer", "enum": [1, 2], "default": 1, "examples": [1]},
        "b": {"type": "boolean", "const": True},
        "a": {"type": "array", "items": {"$ref": "#/definitions/o"}, "minItems": 1},
        "o": {"anyOf": [{"$ref": "#/$defs/o"}, {"oneOf": [{"not": {"type": "null"}}]}]},
    },
    "required": ["s"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "definitions": {"o": {"type": "object", "additionalProperties": {"type": "string"}}},
    "$defs": {"o": {"allOf": [{"type": "object"}], "propertyNames": {"maxLength": 9}}},
}


def prepare_meta_validators() -> None:
    """Build each draft's meta-schema validator, and the validators of the meta-schema's parts
    that common schemas reach, ahead of the first check (the registry does it at start-up:
    ``RegistryService.prepare``)."""
    for draft in _VALIDATORS:
        for _ in _meta_validator(draft).iter_errors(_distinct(_COMMON, draft)):
            pass  # (none: each part is reached, whatever it finds)


@functools.cache
def _meta_keywords(draft: str) -> frozenset[str]:
    """The keywords the (fast) meta-schema of ``draft`` checks, if it lists them in one place."""
    properties = fast_meta_schema(draft).get("properties")
    return frozenset(properties) if isinstance(properties, dict) else frozenset()


def _distinct(schema: Schema, draft: str) -> Schema:
    """``schema`` with leaves written like an earlier one left out (checked once)."""
    keywords = _meta_keywords(draft)
    if not keywords:  # pragma: no cover - the bundled meta-schemas all list their keywords
        return schema
    return without_repeated_leaves(schema, keywords, item_lists=draft != DRAFT2020)


def check_schema(schema: Schema, draft: str, *, at: str, canonical: str | None = None) -> None:
    """Check ``schema`` against its draft's meta-schema.

    The error names the draft and the pointer of the offending keyword
    (``#/properties/age/minimum``), with ``at`` as the pointer of ``schema`` itself.
    ``canonical`` is ``canonical_json(schema)`` when the caller has it already. A leaf
    subschema written like an earlier one is checked once (``without_repeated_leaves``).
    """
    key = (draft, canonical_json(schema) if canonical is None else canonical)
    if key in _checked:
        return
    try:
        meta = _meta_validator(draft)
        error = best_match(meta.iter_errors(_distinct(schema, draft)))
    except RecursionError:
        raise ContractError("schema is nested too deeply to check", pointer=at) from None
    if error is None:
        check_patterns(schema, at=at)
        with _checked_lock:
            if len(_checked) >= CHECKED_CACHE_SIZE:
                del _checked[next(iter(_checked))]
            _checked[key] = None
        return
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    raise ContractError(
        f"invalid JSON Schema ({DRAFT_NAMES[draft]}): {message}",
        pointer=pointer.join(at, *error.absolute_path),
    )
