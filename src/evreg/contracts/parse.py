"""Contract text (YAML or JSON, ``str`` or ``bytes``) to a JSON value, with safety bounds.

Text that starts with ``{`` or ``[`` is read as JSON first (its errors point better); anything
else, and JSON that fails but is valid YAML flow style, is read as YAML by ``yaml_reader``.
Errors are ``ContractError``s with a line and column; the caller adds the source name.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue
from evreg.contracts.values import MAX_DEPTH, check_depth
from evreg.contracts.yaml_reader import read_yaml

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


def _read_json(text: str) -> JSONValue:
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as error:
        try:
            return read_yaml(text)  # YAML flow style (``{a: 1}``) is not JSON but is fine
        except ContractError as yaml_error:
            if not yaml_error.message.startswith("invalid YAML"):
                raise  # it is YAML, and YAML says what is wrong with it
        raise ContractError(
            f"invalid JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None
    except _DuplicateKeyError as error:
        read_yaml(text)  # the YAML reader knows where the duplicate is: let it say so
        raise ContractError(f"duplicate key {error.key!r}") from None
    except RecursionError:
        raise ContractError(f"document is nested more than {MAX_DEPTH} levels deep") from None
    check_depth(value)
    return value


def parse_text(source: str | bytes) -> JSONValue:
    """Parse YAML or JSON text into a JSON value (dicts, lists, str, int, float, bool, None)."""
    text = decode(source) if isinstance(source, bytes) else source.removeprefix("\ufeff")
    if text.lstrip()[:1] in ("{", "["):
        return _read_json(text)
    return read_yaml(text)
