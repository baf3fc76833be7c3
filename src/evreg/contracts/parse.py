"""Contract text (YAML or JSON, ``str`` or ``bytes``) to a JSON value, with safety bounds.

The syntax is the file's (:func:`syntax_of` its name): a ``.json`` file is strict JSON (a
trailing comma, a comment or YAML flow style is an ``invalid JSON`` error at its line and
column, never read as YAML); a ``.yaml`` / ``.yml`` file is YAML (JSON text in it is YAML too).
Text without a known suffix (another extension, a registry's text, a string) is sniffed: text that
starts with ``{`` or ``[`` is read as JSON first (its errors point better); anything else, and
JSON that fails but is valid YAML flow style, is read as YAML by ``yaml_reader``.
Errors are ``ContractError``s with a line and column; the caller adds the source name.
"""

from __future__ import annotations

import codecs
import json
from typing import Any, Literal

from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue
from evreg.contracts.values import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    check_depth,
    check_scalars,
    too_many_digits,
)
from evreg.contracts.yaml_reader import read_yaml

Syntax = Literal["json", "yaml"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise ContractError(f"{name} is not a JSON number")


class _LongIntegerError(Exception):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _integer(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise _LongIntegerError(literal)
    return int(literal)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def decode(data: bytes) -> str:
    """Decode contract bytes: UTF-8, or UTF-16/32 with a byte order mark."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise ContractError(
            f"text is not valid {encoding.upper()}: {error.reason}", line=line, column=column
        ) from None


def syntax_of(name: str | None) -> Syntax | None:
    """The syntax a file's name declares: ``json`` for ``.json``, ``yaml`` for ``.yaml`` and
    ``.yml`` (any case), None (sniff the text) for anything else."""
    suffix = (name or "").rsplit("/", 1)[-1].rpartition(".")[2].lower()
    if suffix == "json":
        return "json"
    if suffix in ("yaml", "yml"):
        return "yaml"
    return None


def _json_error(text: str, error: json.JSONDecodeError) -> ContractError:
    """The decoder's error, or "trailing comma" at the comma when that is what it tripped on."""
    before = text[: error.pos].rstrip()
    if before.endswith(",") and text[error.pos : error.pos + 1] in ("}", "]"):
        line, column = _line_column(text, len(before) - 1)
        closing = text[error.pos]
        return ContractError(
            f"invalid JSON: trailing comma before {closing!r}", line=line, column=column
        )
    return ContractError(f"invalid JSON: {error.msg}", line=error.lineno, column=error.colno)


def _read_json(text: str, *, strict: bool = False) -> JSONValue:
    try:
        value = json.loads(
            text, object_pairs_hook=_object, parse_constant=_constant, parse_int=_integer
        )
    except json.JSONDecodeError as error:
        if not strict:
            try:
                return read_yaml(text)  # YAML flow style (``{a: 1}``) is not JSON but is fine
            except ContractError as yaml_error:
                if not yaml_error.message.startswith("invalid YAML"):
                    raise  # it is YAML, and YAML says what is wrong with it
        raise _json_error(text, error) from None
    except _DuplicateKeyError as error:
        try:
            read_yaml(text)  # the YAML reader knows where the duplicate is: let it say so
        except ContractError as located:
            if located.message.startswith("duplicate key"):
                raise
        raise ContractError(f"duplicate key {error.key!r}") from None
    except RecursionError:
        raise ContractError(f"document is nested more than {MAX_DEPTH} levels deep") from None
    except _LongIntegerError as error:
        line, column = _line_column(text, text.find(error.literal))
        digits = len(error.literal.lstrip("-"))
        raise ContractError(too_many_digits(digits), line=line, column=column) from None
    check_depth(value)
    return value


def parse_text(source: str | bytes, syntax: Syntax | None = None) -> JSONValue:
    """Parse YAML or JSON text into a JSON value (dicts, lists, str, int, float, bool, None).

    ``syntax`` is the file's (:func:`syntax_of`): ``json`` reads strict JSON only; ``yaml`` and
    None read JSON-looking text as JSON first, then YAML."""
    text = decode(source) if isinstance(source, bytes) else source.removeprefix("\ufeff")
    if syntax == "json":
        value = _read_json(text, strict=True)
    else:
        value = _read_json(text) if text.lstrip()[:1] in ("{", "[") else read_yaml(text)
    check_scalars(value)
    return value
