"""Enums and constants of generated models keep the JSON type of their values.

JSON Schema's ``enum`` and ``const`` compare JSON values, and ``true`` is not ``1`` there (nor
``1`` ``true``). In Python ``True == 1`` and ``hash(True) == hash(1)``, so pydantic's enum and
``Literal`` validators, strict mode included, read JSON ``true`` as the member ``1`` of an
``enum: [1, 2, 3]`` and ``1`` as ``const: true``: a consumer would accept an event its contract
refuses. Generated models use these instead (``evreg.codegen.python.json_scalars`` writes them):
``JsonEnum`` / ``JsonIntEnum`` as the base of an enum with a number or a boolean among its values,
``Annotated[Literal[...], SAME_JSON_TYPE]`` for such a literal. A value whose JSON type (boolean
or number) differs from that of the member it matched is refused; members given as members (in
Python code) pass as before.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Any

from pydantic import GetCoreSchemaHandler, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["SAME_JSON_TYPE", "JsonEnum", "JsonIntEnum"]


def _same_json_type(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    result = handler(value)
    if isinstance(value, Enum):
        return result
    # ``_value_``: what ``Enum.value`` returns, without the call of its Python descriptor
    matched = result._value_ if isinstance(result, Enum) else result
    if (type(value) is bool) is not (type(matched) is bool):
        raise PydanticCustomError(
            "json_type",
            "Input should be {expected}: JSON {given} is not {expected}",
            {"expected": _json(matched), "given": _json(value)},
        )
    return result


def _json(value: Any) -> str:
    return ("true" if value else "false") if type(value) is bool else repr(value)


SAME_JSON_TYPE = WrapValidator(_same_json_type)


class _SameJsonType:
    """What makes pydantic check a member's JSON type (the bases below mix it in)."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(_same_json_type, handler(source))


class JsonEnum(_SameJsonType, Enum):
    """An ``Enum`` whose members match only values of their own JSON type."""


class JsonIntEnum(_SameJsonType, IntEnum):
    """An ``IntEnum`` whose members match no JSON ``true`` or ``false``."""
