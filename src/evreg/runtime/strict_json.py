"""A payload validated as its contract's JSON Schema reads JSON types.

pydantic's lax mode converts between JSON types where JSON Schema does not: ``"2"`` for an
integer, ``0``/``1``/``"true"`` for a boolean, ``"1.5"`` or ``true`` for a number, a number for a
``date-time``, ``"30"`` for an integer enum. Strict mode (``validate_json(..., strict=True)``)
refuses exactly those, at the same speed, but also refuses ``2.0`` for an integer, which JSON
Schema counts as an integer since draft 6 (draft-04 does not).

So a payload is validated in strict mode, and only when that fails on an integral float (a
number with a zero fraction, the error's input) the same JSON is validated again with every
integral float written as an integer. Under draft 6 and later the two texts are the same JSON
Schema instance (``2.0`` and ``2`` are equal, and both integers), so the answer is the
contract's; a valid payload of integers pays nothing, and an invalid one at most one more parse.
The error is pydantic's, naming the place (``items.0.quantity``) as before.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], body: bytes | str, *, integral_floats: bool = True) -> M:
    """``body`` as a ``model``, by alias, JSON types as JSON Schema reads them; an integral
    float reads as an integer when ``integral_floats`` (drafts 6 and later).
    Raises ``pydantic.ValidationError``.

    The consumer's decode makes the strict pass inline (the same call, one Python call less
    per message) and hands a failure to ``retry``; keyword arguments, not ``**`` of a dict,
    which costs pydantic-core about 3,000 more instructions per call."""
    try:
        event: M = model.__pydantic_validator__.validate_json(
            body, strict=True, by_alias=True, by_name=False
        )
        return event
    except ValidationError as exc:
        return retry(model, body, exc, integral_floats=integral_floats)


def retry(model: type[M], body: bytes | str, error: ValidationError, *, integral_floats: bool) -> M:
    """After the strict pass refused ``body`` with ``error``: ``body`` validated once more with
    each integral float an integer, when ``integral_floats`` and ``error`` is on one; else
    ``error`` is raised."""
    if not integral_floats or not any(
        _integral(e["input"]) for e in error.errors(include_url=False, include_context=False)
    ):
        raise error
    try:
        document = json.loads(body, parse_constant=_no_constant)
        text = json.dumps(_integers(document), ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON as Python reads it (NaN, a 5,000-digit
        raise error from None  # integer), or too deep for Python's json: as it was
    event: M = model.__pydantic_validator__.validate_json(
        text, strict=True, by_alias=True, by_name=False
    )
    return event


def _integral(value: object) -> bool:
    return isinstance(value, float) and value.is_integer()


def _integers(document: Any) -> Any:
    """``document`` (what ``json.loads`` returned: changed in place) with each integral float
    an ``int``; iterative, so any depth."""
    root: list[Any] = [document]
    todo: list[tuple[Any, Any]] = [(root, 0)]  # (container, key) of a value to look at
    while todo:
        parent, key = todo.pop()
        value = parent[key]
        if isinstance(value, float) and value.is_integer():
            parent[key] = int(value)
        elif isinstance(value, list):
            todo.extend((value, i) for i in range(len(value)))
        elif isinstance(value, dict):
            todo.extend((value, k) for k in value)
    return root[0]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
