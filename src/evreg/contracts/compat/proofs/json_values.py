"""Small facts about JSON values and dialects that the proofs and the witness search share."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final, TypeGuard

__all__ = ["canon", "draft_version", "is_number", "is_plain", "one_shot", "ref_free"]

# the Python types of a JSON number (and of a boolean, excluded where it matters), as a tuple:
# ``isinstance(v, int | float)`` builds the union anew at every call
_NUMBERS: Final = (int, float)
_SCALARS: Final = (bool, int, float)


def is_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number (not a boolean)."""
    return isinstance(value, _NUMBERS) and not isinstance(value, bool)


def one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """What ``encoder.encode`` returns, for the JSON trees the engine encodes (parsed
    documents, values it builds: never circular, so without the circular-reference check).

    ``JSONEncoder.encode`` builds a C encoder for every call; this one is built once."""
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:  # pragma: no cover - CPython has it
        return encoder.encode
    run = make(
        None,  # no markers: no circular-reference check
        encoder.default,
        json.encoder.encode_basestring_ascii
        if encoder.ensure_ascii
        else json.encoder.encode_basestring,
        encoder.indent,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    join = "".join

    def encode(value: Any) -> str:
        return join(run(value, 0))

    return encode


@lru_cache(maxsize=64)
def draft_version(draft: str) -> int:
    """4, 6, 7, 2019 or 2020 for a dialect URI (unknown dialects count as 2020-12)."""
    for marker, version in (("draft-03", 4), ("draft-04", 4), ("draft-06", 6), ("draft-07", 7)):
        if marker in draft:
            return version
    return 2019 if "2019-09" in draft else 2020


_CANON: Final = one_shot(json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=repr))


def canon(value: Any) -> str:
    """A canonical text of a JSON value (distinguishes 1, 1.0 and true), to compare values."""
    if isinstance(value, str):
        return "s" + value
    if value is None or isinstance(value, _SCALARS):
        return repr(value)
    return _CANON(value)


def ref_free(schema: Any) -> bool:
    """No ``$ref`` anywhere in ``schema`` (it means the same in any document)."""
    if isinstance(schema, dict):
        return "$ref" not in schema and all(ref_free(v) for v in schema.values())
    if isinstance(schema, list):
        return all(ref_free(v) for v in schema)
    return True


_VALUE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


def is_plain(raw: Any) -> bool:
    """No `$ref` inside ``raw`` and no booleans among its enum/const/default values: two such
    schemas that are equal (in Python's sense) mean the same wherever they stand."""
    stack: list[tuple[Any, bool]] = [(raw, False)]
    while stack:
        value, is_data = stack.pop()
        if isinstance(value, dict):
            if not is_data and "$ref" in value:
                return False
            for key, item in value.items():
                stack.append((item, is_data or key in _VALUE_KEYWORDS))
        elif isinstance(value, list):
            stack.extend((item, is_data) for item in value)
        elif is_data and isinstance(value, bool):
            return False
    return True
