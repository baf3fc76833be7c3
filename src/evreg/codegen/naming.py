"""Turning contract text into Python names and literals that can never inject code.

Everything that reaches generated source passes through one of these functions:

- identifiers (``pascal``, ``snake``): ASCII letters, digits and ``_`` only, never a keyword, a
  soft keyword, a builtin or a name the generated modules import, never starting with a digit;
- string literals (``py_str``): double-quoted, every character outside printable ASCII escaped
  (newlines, quotes, backslashes, bidi controls, ``\u2028``...), so a contract can neither close
  the literal nor hide text from a reviewer;
- comments (``comment_text``): one line, printable ASCII, so a value cannot end the comment.
"""

from __future__ import annotations

import builtins
import keyword
import re
import textwrap

_WORD = re.compile(r"[A-Z]+(?![a-z])[0-9]*|[A-Z]?[a-z]+[0-9]*|[0-9]+")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

# names the generated modules import or define at module level: a class or method may not
# shadow them (a component called ``Field`` or ``BaseModel`` would break models.py)
RESERVED = frozenset(
    {
        "Annotated",
        "Any",
        "AwareDatetime",
        "BaseModel",
        "ConfigDict",
        "Consumer",
        "Enum",
        "Field",
        "IntEnum",
        "Literal",
        "MISSING",
        "Model",
        "Producer",
        "RootModel",
        "StrEnum",
        "UUID",
        "annotations",
        "date",
        "datetime",
        "time",
        "timedelta",
    }
)


def words(text: str) -> list[str]:
    """``"orderPlaced v2.1"`` -> ``["order", "Placed", "v", "2", "1"]`` (ASCII only)."""
    out: list[str] = []
    for chunk in _SPLIT.split(text):
        out.extend(_WORD.findall(chunk))
    return out


def _safe(name: str, *, fallback: str, suffix: str) -> str:
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}{name}"
    if (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or name in RESERVED
        or hasattr(builtins, name)
        or name.startswith("__")
    ):
        name = f"{name}{suffix}"
    return name


def pascal(text: str, *, fallback: str = "Schema") -> str:
    """A class name: ``"order placed"`` -> ``OrderPlaced``; ``"1st"`` -> ``Schema1st``."""
    name = "".join(w[0].upper() + w[1:] for w in words(text))
    return _safe(name, fallback=fallback, suffix="Model")


def snake(text: str, *, fallback: str = "op") -> str:
    """A function or module name: ``"publishOrderPlaced"`` -> ``publish_order_placed``."""
    name = "_".join(w.lower() for w in words(text))
    return _safe(name, fallback=f"{fallback}_", suffix="_")


def package_name(text: str) -> str:
    """A package name from free text (``"Orders service"`` -> ``orders_service``)."""
    return snake(text, fallback="events")


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def py_str(value: str) -> str:
    """A Python string literal equal to ``value``; printable ASCII only.

    Double quotes unless the value holds more double than single quotes (what ruff's
    formatter picks), so the literal is already formatted.
    """
    quote = "'" if value.count('"') > value.count("'") else '"'
    escapes = {**_ESCAPES, '"': '"', "'": "'", quote: "\\" + quote}
    out = [quote]
    for char in value:
        if char in escapes:
            out.append(escapes[char])
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append(quote)
    return "".join(out)


def comment_text(value: str, *, limit: int = 80) -> str:
    """``value`` made safe for one ``#`` comment line: printable ASCII, no line breaks."""
    flat = "".join(c if " " <= c <= "~" else "?" for c in " ".join(value.split()))
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def docstring_text(value: str, *, width: int = 88) -> list[str]:
    """Lines for a docstring body: printable ASCII, no ``\"\"\"`` or backslash, wrapped."""
    cleaned = "".join(c if (" " <= c <= "~" or c == "\n") else "?" for c in value)
    cleaned = cleaned.replace("\\", "/").replace('"""', "'''")
    lines: list[str] = []
    for paragraph in cleaned.strip().splitlines():
        lines.extend(textwrap.wrap(paragraph, width=width) or [""])
    return [line.rstrip() for line in lines]


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name2``, ``name3``... whichever is not in ``taken``; adds it to ``taken``."""
    candidate = name
    n = 2
    while candidate in taken:
        candidate = f"{name}{n}"
        n += 1
    taken.add(candidate)
    return candidate
