"""ECMA-262 regular expressions (JSON Schema's ``pattern`` dialect) rewritten in RE2's syntax.

``translate(pattern, unicode=...)`` reads a pattern that ``regress`` (an ECMA-262 engine) has
already accepted, in ``u`` mode or, failing that, with the Annex B (web compatibility) grammar,
and returns the same language in RE2's syntax, so that a linear-time engine evaluates it:

- ``.`` excludes ECMA's four line terminators (RE2's excludes ``\\n`` only); ``\\s``/``\\S`` are
  ECMA's white space (RE2's is ASCII); ``\\d``, ``\\w``, ``\\b`` are ASCII in both; ``$`` is the
  end of the text in both (Python's ``re`` also matches before a final newline); ``\\uHHHH``,
  ``\\u{...}``, ``\\xHH``, ``\\cX``, ``\\0`` and Annex B's octal and identity escapes become the
  characters they mean (``\\a`` is ``a`` in ECMA, a bell in RE2); ``\\p{...}`` (``u`` mode) maps
  to RE2's property names; groups become non-capturing (only match or no match is asked);
- lookahead is kept only where it can be decided by separate anchored matches: right after a
  leading ``^`` (``^(?=.*\\d)(?!\\s*$).{8,}$``), with no top-level ``|``. Each lookahead is then
  its own RE2 expression, matched at the start of the text.

What RE2 cannot evaluate in linear time is refused with ``Unsupported`` and the reason:
backreferences, lookbehind, lookahead elsewhere, inline modifiers (``(?i:...)``), lone
surrogates, ``\\B`` (RE2 reads UTF-8 bytes, and finds a non-boundary inside a multi-byte
character), and ``\\P{LC}``, script short names and binary properties other than ``ASCII``
and ``Any`` (RE2 has no such classes). RE2's own limits, repetition counts over 1000 and
programs over its memory budget, surface when the result is compiled.

The parser is a flat scan with an explicit group stack (no recursion), linear in the pattern.
It is hand-written because no maintained library translates ECMA-262 to RE2; ``regress`` (which
validates the syntax first) exposes no parse tree, and Python's ``re`` parser reads another
dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Translation", "Unsupported", "translate"]


class Unsupported(Exception):
    """The pattern is valid ECMA-262 but cannot be evaluated in linear time; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class Translation:
    """A pattern in RE2 syntax: ``search`` it, or, with leading lookaheads, match parts at 0.

    Without lookahead, ``search`` is the whole pattern, searched anywhere in the text (JSON
    Schema's semantics). With lookahead, the text matches when every ``must`` and ``rest``
    match at its start and no ``must_not`` does (``search`` is then None).
    """

    search: str | None
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    rest: str = ""


_MAX_CODE_POINT: Final = 0x10FFFF
_ANYTHING: Final = r"\x00-\x{10FFFF}"
# ECMA-262 WhiteSpace and LineTerminator (what \s matches), as code point ranges.
_SPACE_RANGES: Final = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
_LINE_TERMINATORS: Final = r"\x{A}\x{D}\x{2028}\x{2029}"
_DOT: Final = f"[^{_LINE_TERMINATORS}]"
_CONTROL_ESCAPES: Final = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_QUANTIFIER: Final = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_HEX4: Final = re.compile(r"[0-9A-Fa-f]{4}")
_HEX2: Final = re.compile(r"[0-9A-Fa-f]{2}")
_BRACED_HEX: Final = re.compile(r"\{([0-9A-Fa-f]+)\}")
_PROPERTY: Final = re.compile(r"\{([A-Za-z_]+)(?:=([A-Za-z_0-9]+))?\}")
_OCTAL: Final = re.compile(r"[0-3][0-7]{0,2}|[4-7][0-7]?")
# General category long names (UnicodeMatchProperty) -> the short names RE2 knows.
_CATEGORIES: Final = {
    "Cased_Letter": "LC",
    "Close_Punctuation": "Pe",
    "Connector_Punctuation": "Pc",
    "Control": "Cc",
    "Currency_Symbol": "Sc",
    "Dash_Punctuation": "Pd",
    "Decimal_Number": "Nd",
    "Enclosing_Mark": "Me",
    "Final_Punctuation": "Pf",
    "Format": "Cf",
    "Initial_Punctuation": "Pi",
    "Letter": "L",
    "Letter_Number": "Nl",
    "Line_Separator": "Zl",
    "Lowercase_Letter": "Ll",
    "Mark": "M",
    "Math_Symbol": "Sm",
    "Modifier_Letter": "Lm",
    "Modifier_Symbol": "Sk",
    "Nonspacing_Mark": "Mn",
    "Number": "N",
    "Open_Punctuation": "Ps",
    "Other": "C",
    "Other_Letter": "Lo",
    "Other_Number": "No",
    "Other_Punctuation": "Po",
    "Other_Symbol": "So",
    "Paragraph_Separator": "Zp",
    "Private_Use": "Co",
    "Punctuation": "P",
    "Separator": "Z",
    "Space_Separator": "Zs",
    "Spacing_Mark": "Mc",
    "Surrogate": "Cs",
    "Symbol": "S",
    "Titlecase_Letter": "Lt",
    "Unassigned": "Cn",
    "Uppercase_Letter": "Lu",
    "digit": "Nd",
    "punct": "P",
    "Combining_Mark": "M",
}
_SHORT_CATEGORIES: Final = frozenset(_CATEGORIES.values())


def _complement(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out, low = [], 0
    for first, last in ranges:
        if first > low:
            out.append((low, first - 1))
        low = last + 1
    if low <= _MAX_CODE_POINT:
        out.append((low, _MAX_CODE_POINT))
    return tuple(out)


def _char(cp: int) -> str:
    """One code point as an RE2 literal (letters and digits as is, the rest as ``\\x{...}``)."""
    if cp < 0x80 and (chr(cp).isalnum() or cp == 0x5F):
        return chr(cp)
    return f"\\x{{{cp:X}}}"


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges)


_SPACE: Final = _ranges(_SPACE_RANGES)
_NOT_SPACE: Final = _ranges(_complement(_SPACE_RANGES))
_SETS: Final = {"d": r"\d", "D": r"\D", "w": r"\w", "W": r"\W", "s": _SPACE, "S": _NOT_SPACE}


@dataclass(slots=True)
class _Segment:
    """A top-level piece of the translation: plain text, or one lookahead's contents."""

    kind: str  # "text", "ahead" (?=), "not-ahead" (?!), "alt" (a top-level |)
    text: str


@dataclass(slots=True)
class _Group:
    kind: str  # "group" or "ahead"/"not-ahead" (at top level only)
    outer: list[str]  # the output the group's text is appended to when it closes


def _count_groups(pattern: str) -> tuple[int, bool]:
    """Capturing groups in ``pattern``, and whether any is named (escapes, classes skipped)."""
    count, named, i, in_class = 0, False, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            if not pattern.startswith("?", i + 1):
                count += 1
            elif pattern.startswith("?<", i + 1) and pattern[i + 3 : i + 4] not in ("=", "!"):
                count, named = count + 1, True
        i += 1
    return count, named


class _Translator:
    def __init__(self, pattern: str, unicode: bool) -> None:
        self.p = pattern
        self.u = unicode
        self.i = 0
        self.groups, self.named = _count_groups(pattern)
        self.segments: list[_Segment] = []
        self.stack: list[_Group] = []
        self.out: list[str] = []  # the innermost open group's text (top level: unused)

    # ------------------------------------------------------------------ output

    def emit(self, text: str, *, atom: bool = True) -> None:
        if self.stack:
            self.out.append(text)
        elif atom or not self.segments or self.segments[-1].kind != "text":
            self.segments.append(_Segment("text", text))
        else:
            self.segments[-1].text += text

    def quantify(self, text: str) -> None:
        if not self.stack and self.segments and self.segments[-1].kind != "text":
            raise Unsupported("a quantified lookahead cannot be evaluated in linear time")
        self.emit(text, atom=False)

    # ------------------------------------------------------------------ the scan

    def run(self) -> Translation:
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            self.i += 1
            if c == "\\":
                self.emit(self.escape())
            elif c == "[":
                self.emit(self.char_class())
            elif c == "(":
                self.open_group()
            elif c == ")":
                self.close_group()
            elif c == "|":
                if self.stack:
                    self.out.append("|")
                else:
                    self.segments.append(_Segment("alt", "|"))
            elif c == ".":
                self.emit(_DOT)
            elif c in "^$":
                self.emit(c)
            elif c in "*+?":
                self.quantify(c + self.lazy())
            elif c == "{" and (m := _QUANTIFIER.match(p, self.i - 1)):
                self.i = m.end()
                low = int(m.group(1))
                high = "" if m.group(2) is None else "," + (m.group(3) and str(int(m.group(3))))
                self.quantify(f"{{{low}{high}}}" + self.lazy())
            else:
                self.emit(self.literal(ord(c)))
        return self.result()

    def lazy(self) -> str:
        if self.p.startswith("?", self.i):
            self.i += 1
            return "?"
        return ""

    def literal(self, cp: int) -> str:
        if 0xD800 <= cp <= 0xDFFF:
            raise Unsupported("a lone surrogate cannot be matched (texts are read as UTF-8)")
        return _char(cp)

    # ------------------------------------------------------------------ groups

    def open_group(self) -> None:
        p, i = self.p, self.i
        if p.startswith("?:", i):
            self.i += 2
            kind = "group"
        elif p.startswith(("?=", "?!"), i):
            self.i += 2
            if self.stack:
                raise Unsupported(
                    "lookahead is evaluated only at the top level, right after a leading ^"
                )
            kind = "ahead" if p[i + 1] == "=" else "not-ahead"
        elif p.startswith(("?<=", "?<!"), i):
            raise Unsupported("lookbehind cannot be evaluated in linear time")
        elif p.startswith("?<", i):
            self.i = p.index(">", i) + 1  # a named group; the name does not matter here
            kind = "group"
        elif p.startswith("?", i):
            raise Unsupported("inline modifiers such as (?i:...) are not supported")
        else:
            kind = "group"
        self.stack.append(_Group(kind, self.out))
        self.out = []

    def close_group(self) -> None:
        group = self.stack.pop()
        inner, self.out = "".join(self.out), group.outer
        if group.kind == "group":
            self.emit(f"(?:{inner})")
        else:
            self.segments.append(_Segment(group.kind, inner))

    # ------------------------------------------------------------------ escapes

    def escape(self) -> str:
        """The atom after a ``\\`` outside a class, in RE2 syntax."""
        c = self.p[self.i]
        self.i += 1
        if c == "b":
            return "\\b"
        if c == "B":  # RE2 reads UTF-8 bytes: it finds \B inside a multi-byte character
            raise Unsupported("\\B is not supported")
        if c in _SETS:
            return _SETS[c] if c in "dDwW" else f"[{_SETS[c]}]"
        if c in "123456789" and (self.u or self.decimal_escape() <= self.groups):
            raise Unsupported("backreferences cannot be evaluated in linear time")
        if c == "k" and (self.u or self.named):
            raise Unsupported("backreferences cannot be evaluated in linear time")
        if c in "pP" and self.u:
            return f"[{self.property(c)}]"
        if c == "c" and not self.control_letter():  # Annex B: a lone \c is a backslash
            self.i -= 1
            return self.literal(0x5C)
        return self.literal(self.character_escape(c, in_class=False))

    def decimal_escape(self) -> int:
        m = re.compile(r"[0-9]*").match(self.p, self.i - 1)
        return int(m.group()) if m else 0

    def control_letter(self, *, in_class: bool = False) -> bool:
        nxt = self.p[self.i : self.i + 1]
        ok = nxt.isascii() and nxt.isalpha()
        if in_class and not self.u:  # Annex B: ClassControlLetter also takes digits and _
            ok = ok or (nxt.isascii() and (nxt.isdigit() or nxt == "_"))
        return ok

    def character_escape(self, c: str, *, in_class: bool) -> int:
        """The code point of a CharacterEscape whose first character (after ``\\``) is ``c``."""
        p = self.p
        if c in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[c]
        if c == "c" and self.control_letter(in_class=in_class):
            self.i += 1
            return ord(p[self.i - 1]) % 32
        if c == "0" and not p[self.i : self.i + 1].isdigit():
            return 0
        if c in "01234567" and not self.u:  # Annex B legacy octal
            m = _OCTAL.match(p, self.i - 1)
            assert m is not None
            self.i = m.end()
            return int(m.group(), 8)
        if c == "x" and (m := _HEX2.match(p, self.i)):
            self.i = m.end()
            return int(m.group(), 16)
        if c == "u":
            return self.unicode_escape()
        return ord(c)  # an identity escape: the character itself (\a is "a")

    def unicode_escape(self) -> int:
        p = self.p
        if self.u and (m := _BRACED_HEX.match(p, self.i)):
            self.i = m.end()
            return int(m.group(1), 16)
        m = _HEX4.match(p, self.i)
        if m is None:  # Annex B: a \u without four hex digits is "u"
            return ord("u")
        self.i = m.end()
        unit = int(m.group(), 16)
        if 0xD800 <= unit <= 0xDBFF and p.startswith("\\u", self.i):
            low = _HEX4.match(p, self.i + 2)
            if low and 0xDC00 <= int(low.group(), 16) <= 0xDFFF:
                self.i = low.end()
                return 0x10000 + ((unit - 0xD800) << 10) + (int(low.group(), 16) - 0xDC00)
        return unit

    def property(self, c: str) -> str:
        """``\\p{...}``/``\\P{...}`` as RE2 text usable inside a class (ranges, or ``\\p{..}``)."""
        m = _PROPERTY.match(self.p, self.i)
        if m is None:  # pragma: no cover - regress refused it already
            raise Unsupported(f"\\{c} without a property name")
        self.i = m.end()
        name, value = m.group(1), m.group(2)
        if value is None:
            value, name = name, "General_Category"
            if value not in _CATEGORIES and value not in _SHORT_CATEGORIES:
                if value == "Any":
                    return f"\\{c}{{Any}}"
                if value == "ASCII":
                    return r"\x00-\x7F" if c == "p" else r"\x{80}-\x{10FFFF}"
                raise Unsupported(f"the Unicode property {value} is not supported")
        if name in ("General_Category", "gc"):
            short = _CATEGORIES.get(value, value)
            if short not in _SHORT_CATEGORIES:  # pragma: no cover - regress refused it
                raise Unsupported(f"unknown general category {value}")
            if short == "LC" and c == "p":  # RE2 has no LC: its three parts
                return r"\p{Lu}\p{Ll}\p{Lt}"
            if short == "LC":
                raise Unsupported("\\P{LC} is not supported")
            return f"\\{c}{{{short}}}"
        if name in ("Script", "sc") and len(value) > 4:  # RE2 knows scripts by long name
            return f"\\{c}{{{value}}}"
        raise Unsupported(f"the Unicode property {m.group()[1:-1]} is not supported")

    # ------------------------------------------------------------------ classes

    def char_class(self) -> str:
        p = self.p
        negate = p.startswith("^", self.i)
        self.i += negate
        atoms: list[tuple[str, int | str]] = []  # ("char", cp), ("dash", 45), ("set", text)
        while p[self.i] != "]":
            c = p[self.i]
            self.i += 1
            if c == "\\":
                atoms.append(self.class_escape())
            elif c == "-":
                atoms.append(("dash", 0x2D))
            else:
                atoms.append(("char", self.class_char(ord(c))))
        self.i += 1
        items, k = [], 0
        while k < len(atoms):
            kind, value = atoms[k]
            if (
                k + 2 < len(atoms)
                and kind != "set"
                and atoms[k + 1][0] == "dash"
                and atoms[k + 2][0] != "set"
            ):
                low, high = int(value), int(atoms[k + 2][1])
                items.append(f"{_char(low)}-{_char(high)}")
                k += 3
                continue
            items.append(str(value) if kind == "set" else _char(int(value)))
            k += 1
        if not items:  # [] matches nothing, [^] any character
            return f"[{_ANYTHING}]" if negate else f"[^{_ANYTHING}]"
        return "[" + ("^" if negate else "") + "".join(items) + "]"

    def class_char(self, cp: int) -> int:
        if 0xD800 <= cp <= 0xDFFF:
            raise Unsupported("a lone surrogate cannot be matched (texts are read as UTF-8)")
        return cp

    def class_escape(self) -> tuple[str, int | str]:
        c = self.p[self.i]
        self.i += 1
        if c == "b":
            return ("char", 0x08)
        if c == "-":
            return ("char", 0x2D)
        if c in _SETS:
            return ("set", _SETS[c])
        if c in "pP" and self.u:
            return ("set", self.property(c))
        if c == "c" and not self.control_letter(in_class=True):  # Annex B: "\" then "c"
            self.i -= 1
            return ("char", 0x5C)
        if c in "89" and not self.u:
            return ("char", ord(c))
        return ("char", self.class_char(self.character_escape(c, in_class=True)))

    # ------------------------------------------------------------------ the result

    def result(self) -> Translation:
        segments = self.segments
        if all(s.kind in ("text", "alt") for s in segments):
            return Translation("".join(s.text for s in segments))
        if any(s.kind == "alt" for s in segments):
            raise Unsupported("lookahead is not supported in a pattern with a top-level |")
        if segments[0].kind != "text" or segments[0].text != "^":
            raise Unsupported(
                "lookahead is evaluated only at the top level, right after a leading ^"
            )
        k = 1
        must: list[str] = []
        must_not: list[str] = []
        while k < len(segments) and segments[k].kind != "text":
            (must if segments[k].kind == "ahead" else must_not).append(segments[k].text)
            k += 1
        if any(s.kind != "text" for s in segments[k:]):
            raise Unsupported(
                "lookahead is evaluated only at the top level, right after a leading ^"
            )
        rest = "".join(s.text for s in segments[k:])
        return Translation(None, tuple(must), tuple(must_not), rest)


def translate(pattern: str, *, unicode: bool) -> Translation:
    """``pattern`` (valid ECMA-262 in the given mode) in RE2 syntax; ``Unsupported`` if it can't."""
    return _Translator(pattern, unicode).run()
