"""Strings that a regular expression matches, generated from the stdlib's own regex parser.

``regex_strings(pattern)`` walks the parsed pattern and emits short matching strings, varied in
how many times each repeat runs and which character of each class is taken; every string is
checked with ``matching.search`` (JSON Schema's ``pattern`` semantics) before it is returned.
Lookarounds are skipped, so a pattern that relies on them may yield fewer strings, never a
wrong one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final

from evreg.contracts.compat.matching import search

__all__ = ["MAX_LEN", "regex_strings", "search"]

MAX_LEN: Final = 100_000  # longest string generated

_sre_parser: Any = importlib.import_module("re._parser")  # the stdlib's own regex parser
_REPEATS: Final = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_CATEGORY_CHARS: Final = (  # checked in this order: NOT_ variants first
    ("NOT_DIGIT", "az_"),
    ("DIGIT", "095"),
    ("NOT_SPACE", "az0"),
    ("SPACE", " \t "),
    ("NOT_WORD", "- ."),
    ("WORD", "az_"),
    ("NOT_LINEBREAK", "az "),
    ("LINEBREAK", "\n\n\n"),
)


@lru_cache(maxsize=512)
def regex_strings(pattern: str) -> tuple[str, ...]:
    """Strings ``pattern`` matches, short ones first, varied in repetitions and characters."""
    try:
        parsed = _sre_parser.parse(pattern)
    except Exception:  # not a Python regex: nothing can match it
        return ()
    out: list[str] = []
    for extra in (0, 1, 2, 3, 5, 8, 16, 32, 64, 128):
        for mode in (0, 1, 2):
            text = _emit(parsed, extra, mode, {})
            if text is not None and search(pattern, text):
                out.append(text)
    return tuple(dict.fromkeys(out))


def _pick(options: Sequence[Any], mode: int) -> Any:
    return options[(0, -1, len(options) // 2)[mode]]


def _emit(items: Any, extra: int, mode: int, groups: dict[int, str]) -> str | None:
    """A string the parsed regex ``items`` matches: repeats ``extra`` above their minimum."""
    parts: list[str] = []
    for op, arg in items:
        name = str(op)
        part: str | None = ""
        if name == "LITERAL":
            part = chr(arg)
        elif name == "NOT_LITERAL":
            part = "b" if arg == ord("a") else "a"
        elif name == "ANY":
            part = _pick("az5", mode)
        elif name == "IN":
            part = _class_char(arg, mode)
        elif name == "CATEGORY":
            part = _category_char(str(arg), mode)
        elif name == "BRANCH":
            part = _emit(_pick(arg[1], mode), extra, mode, groups)
        elif name == "SUBPATTERN":
            part = _emit(arg[3], extra, mode, groups)
            if arg[0] is not None and part is not None:
                groups[arg[0]] = part
        elif name == "ATOMIC_GROUP":
            part = _emit(arg, extra, mode, groups)
        elif name in _REPEATS:
            low, high, sub = arg
            count = low + extra if str(high) == "MAXREPEAT" else min(high, low + extra)
            unit = _emit(sub, extra, mode, groups)
            part = None if unit is None or len(unit) * count > MAX_LEN else unit * count
        elif name == "GROUPREF":
            part = groups.get(arg, "")
        elif name == "GROUPREF_EXISTS":
            branch = arg[1] if arg[0] in groups else arg[2]
            part = "" if branch is None else _emit(branch, extra, mode, groups)
        elif name not in ("AT", "ASSERT", "ASSERT_NOT"):
            return None
        if part is None:
            return None
        parts.append(part)
        if sum(map(len, parts)) > MAX_LEN:
            return None
    return "".join(parts)


def _category_char(category: str, mode: int) -> str:
    for marker, chars in _CATEGORY_CHARS:
        if marker in category:
            return str(_pick(chars, mode))
    return "a"


def _in_class(items: Any, ch: str) -> bool:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and ord(ch) == arg:
            return True
        if name == "RANGE" and arg[0] <= ord(ch) <= arg[1]:
            return True
        if name == "CATEGORY":
            key = str(arg).replace("UNI_", "").replace("LOC_", "").removeprefix("CATEGORY_")
            test = _CATEGORY_TESTS.get(key.removeprefix("NOT_"))
            if test is not None and test(ch) != key.startswith("NOT_"):
                return True
    return False


# what \d, \s and \w mean in ECMA-262 (ASCII digits and word characters); a generated string
# is checked with the real search anyway, so these only have to be good guesses
_CATEGORY_TESTS: Final[dict[str, Callable[[str], bool]]] = {
    "DIGIT": lambda ch: "0" <= ch <= "9",
    "SPACE": str.isspace,
    "WORD": lambda ch: ch == "_" or ("0" <= ch <= "9") or ("a" <= ch.lower() <= "z"),
}


def _class_char(items: Any, mode: int) -> str | None:
    """A character of a ``[...]`` class (``[^...]``: one outside it)."""
    if items and str(items[0][0]) == "NEGATE":
        return next((ch for ch in "a0x_-Z .é" if not _in_class(items[1:], ch)), None)
    chars: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            chars.append(chr(arg))
        elif name == "RANGE":
            chars += [chr(arg[0]), chr((arg[0] + arg[1]) // 2), chr(arg[1])]
        elif name == "CATEGORY":
            chars.append(_category_char(str(arg), mode))
    return str(_pick(chars, mode)) if chars else None
