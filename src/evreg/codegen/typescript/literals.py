"""Contract text in TypeScript source: literals, identifiers and comments that cannot inject code.

- string literals (``ts_str``): JSON strings with every non-ASCII character escaped, so a
  contract can neither close the literal nor hide text from a reviewer (bidi controls, line
  separators);
- values (``ts_value``): JSON-shaped object and array literals, keys as string literals; the
  key ``__proto__`` is written as a computed key, which makes it an own property as JSON.parse
  would (a plain ``"__proto__":`` in an object literal would set the prototype instead);
- identifiers (``ts_ident``): plain ASCII identifiers, anything else refused;
- comments (``jsdoc``): printable ASCII, ``*/`` escaped, wrapped;
- ``ascii_only``: a last pass over a whole file, escaping any non-ASCII character left
  (``\\uXXXX`` is valid in TypeScript strings, identifiers and comments alike).
"""

from __future__ import annotations

import json
import math
import re
import textwrap

_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]*\Z")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def ts_str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r}")
    return json.dumps(value, ensure_ascii=True)


def ts_ident(value: object) -> str:
    """A plain identifier (or ``a.b``, a qualified type name), else ``ValueError``."""
    if not isinstance(value, str) or not _IDENT.match(value) or ".." in value:
        raise ValueError(f"not a plain identifier: {value!r}")
    return value


def _escape(match: re.Match[str]) -> str:
    data = match.group(0).encode("utf-16-be")
    return "".join(
        f"\\u{int.from_bytes(data[i : i + 2], 'big'):04x}" for i in range(0, len(data), 2)
    )


def ascii_only(text: str) -> str:
    return _NON_ASCII.sub(_escape, text)


def _key(name: str) -> str:
    return '["__proto__"]' if name == "__proto__" else ts_str(name)


def ts_value(value: object, indent: int = 0) -> str:
    """``value`` (JSON-shaped) as a TypeScript expression, indented by two spaces a level."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "Number.NaN"
        if math.isinf(value):
            return "Number.POSITIVE_INFINITY" if value > 0 else "Number.NEGATIVE_INFINITY"
        return json.dumps(value)
    if isinstance(value, str):
        return ts_str(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{inner}{ts_value(item, indent + 1)},\n" for item in value)
        return f"[\n{items}{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        entries = "".join(
            f"{inner}{_key(str(k))}: {ts_value(v, indent + 1)},\n" for k, v in value.items()
        )
        return f"{{\n{entries}{pad}}}"
    raise ValueError(f"no TypeScript literal for {type(value).__name__}")


def comment_safe(text: str) -> str:
    """``text`` for a ``/** */`` comment: printable ASCII (others as ``\\uXXXX``), no ``*/``."""
    return ascii_only("".join(c if c >= " " or c == "\n" else " " for c in text)).replace(
        "*/", "*\\/"
    )


def jsdoc(text: str, indent: int = 0) -> str:
    """A complete ``/** ... */`` comment at ``indent`` spaces (for the line before a member)."""
    pad = " " * indent
    lines: list[str] = []
    for paragraph in text.strip().splitlines():
        wrapped = textwrap.wrap(paragraph, width=max(40, 96 - indent)) or [""]
        lines.extend(comment_safe(line).rstrip() for line in wrapped)
    body = "".join(f"{pad} *{' ' + line if line else ''}\n" for line in lines)
    return f"/**\n{body}{pad} */"
