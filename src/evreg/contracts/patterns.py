"""JSON Schema patterns (ECMA-262 regular expressions), evaluated in linear time with a budget.

Every place evreg matches a ``pattern``, a ``patternProperties`` name or a ``format: regex``
value goes through this module (the validators of ``pattern_validators`` included):

- ``check(pattern)`` refuses, with ``PatternError`` and the reason, a pattern that is not
  ECMA-262 (``regress``, an ECMA-262 engine, decides: ``u`` mode as JSON Schema 2020-12
  recommends, else the Annex B grammar browsers accept) or that cannot be evaluated in linear
  time (see ``ecma_regex``: backreferences, lookbehind, lookahead other than right after a
  leading ``^``, inline modifiers, repetition counts over 1000, programs over RE2's memory
  budget). The loaders call it for every pattern of a new contract, so such a schema is refused
  at the pattern's JSON Pointer; a stored one meets the same error when it is evaluated.
- ``search(pattern, text)``: does ``pattern`` match anywhere in ``text`` (JSON Schema's
  unanchored semantics)? RE2 runs the translated pattern, in time linear in
  ``len(text) * program size``. Each search is charged that product (``units``, about 5 ns of
  CPU each at RE2's slowest); over the budget of the current ``budget()`` (or, outside one,
  over ``DEFAULT_BUDGET`` for the one search) it raises ``PatternBudgetError`` before searching.
- ``is_ecma(pattern)``: the ``format: regex`` assertion (valid ECMA-262, runnable or not).

Texts are matched as sequences of code points (the ``u`` flag's view, also for patterns only
valid without it); a lone surrogate in a text is read as U+FFFD. ``google-re2`` was chosen over
``regress`` for evaluating because ``regress`` backtracks: ``^(a+)+$`` against 30 characters
takes seconds, and it has no step limit. Compiled patterns are kept in a cache bounded by entry
count and by pattern bytes, and each RE2 object by RE2's own memory budget (``MAX_MEM``).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

import re2  # type: ignore[import-untyped]
import regress
from re2 import _re2

from evreg.contracts import pointer as pointers
from evreg.contracts.ecma_regex import Unsupported, translate
from evreg.contracts.errors import ContractError
from evreg.contracts.subschemas import subschemas

__all__ = [
    "DEFAULT_BUDGET",
    "Budget",
    "Compiled",
    "PatternBudgetError",
    "PatternError",
    "budget",
    "check",
    "check_patterns",
    "compile_pattern",
    "is_ecma",
    "locate",
    "search",
]

DEFAULT_BUDGET: Final = 200_000_000  # units (characters x RE2 instructions): ~1 s at worst
MAX_MEM: Final = 1 << 20  # RE2's memory budget per compiled pattern (program and DFA cache)
CACHE_ENTRIES: Final = 256
CACHE_PATTERN_BYTES: Final = 4 << 20
_SHOWN: Final = 80  # characters of a pattern quoted in an error message


def _shown(pattern: str) -> str:
    return repr(pattern if len(pattern) <= _SHOWN else pattern[: _SHOWN - 3] + "...")


class PatternError(ContractError):
    """A pattern that cannot be used: not ECMA-262, or not evaluable in linear time.

    ``pattern`` is the pattern's text and ``reason`` why; ``pointer`` names where the pattern
    sits once a caller knows (``at()``, ``locate()``).
    """

    def __init__(self, pattern: str, reason: str, *, pointer: str | None = None) -> None:
        self.pattern = pattern
        self.reason = reason
        super().__init__(self._message(), pointer=pointer)

    def _message(self) -> str:
        return f"the pattern {_shown(self.pattern)} cannot be used: {self.reason}"

    def at(self, pointer: str | None) -> PatternError:
        """This error naming ``pointer`` (unchanged when ``pointer`` is None)."""
        if pointer is None:
            return self
        return type(self)(self.pattern, self.reason, pointer=pointer)


class PatternBudgetError(PatternError):
    """Evaluating a pattern would pass the budget of the current check."""

    def _message(self) -> str:
        return f"evaluating the pattern {_shown(self.pattern)} ran out of budget: {self.reason}"


@dataclass(slots=True)
class Budget:
    """Units left to spend on searches (one unit: one character against one RE2 instruction)."""

    units: int
    spent: int = 0

    def charge(self, units: int, pattern: str) -> None:
        if self.spent + units > self.units:
            raise PatternBudgetError(
                pattern,
                f"the budget is {self.units:,} units (characters searched x RE2 program size) "
                f"and this search would bring the spending to {self.spent + units:,}",
            )
        self.spent += units


_current: ContextVar[Budget | None] = ContextVar("evreg_pattern_budget", default=None)


@contextlib.contextmanager
def budget(units: int = DEFAULT_BUDGET) -> Iterator[Budget]:
    """Searches inside the block share ``units`` (the innermost ``budget`` counts)."""
    spent = Budget(units)
    token = _current.set(spent)
    try:
        yield spent
    finally:
        _current.reset(token)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEM
    return options


_OPTIONS: Final = _options()
# The binding itself (``re2.compile`` adds a module-wide cache of 128 patterns and costs ~10x
# per call); its API is pinned by the dependency's major version and exercised by the tests.
_RE2: Final[Any] = _re2.RE2
_ANYWHERE: Final = _re2.RE2.Anchor.UNANCHORED
_AT_START: Final = _re2.RE2.Anchor.ANCHOR_START


def _re2_compile(text: str, pattern: str) -> Any:
    compiled = _RE2(text.encode(), _OPTIONS)
    if not compiled.ok():
        raise PatternError(pattern, f"RE2 cannot compile it ({compiled.error()})")
    return compiled


def _found(rx: Any, anchor: Any, text: bytes) -> bool:
    return bool(rx.Match(anchor, text, 0, len(text))[0][0] != -1)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A pattern ready to search: one RE2 expression, or anchored parts (leading lookahead)."""

    pattern: str
    unicode: bool  # valid in ECMA-262's u mode (else read with the Annex B grammar)
    size: int  # RE2 instructions in all parts: the cost of each character searched
    whole: Any  # RE2 program searched anywhere, or None
    must: tuple[Any, ...]
    must_not: tuple[Any, ...]
    rest: Any

    def search(self, text: str) -> bool:
        """``self.pattern`` matches somewhere in ``text``; charged to the current budget."""
        units = (len(text) + 1) * self.size
        current = _current.get()
        if current is not None:
            current.charge(units, self.pattern)
        elif units > DEFAULT_BUDGET:
            Budget(DEFAULT_BUDGET).charge(units, self.pattern)
        try:
            data = text.encode()
        except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8
            data = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()
        if self.whole is not None:
            return _found(self.whole, _ANYWHERE, data)
        return (
            all(_found(rx, _AT_START, data) for rx in self.must)
            and not any(_found(rx, _AT_START, data) for rx in self.must_not)
            and _found(self.rest, _AT_START, data)
        )


def _ecma_mode(pattern: str) -> bool:
    """True: valid in u mode; False: valid with the Annex B grammar only; else PatternError."""
    try:
        regress.Regex(pattern, "u")
        return True
    except regress.RegressError:
        pass
    try:
        regress.Regex(pattern)
        return False
    except regress.RegressError as exc:
        raise PatternError(pattern, f"it is not an ECMA-262 regular expression ({exc})") from None


def _compile(pattern: str) -> Compiled:
    unicode = _ecma_mode(pattern)
    try:
        translated = translate(pattern, unicode=unicode)
    except Unsupported as exc:
        raise PatternError(pattern, str(exc)) from None
    if translated.search is not None:
        whole = _re2_compile(translated.search, pattern)
        return Compiled(pattern, unicode, whole.ProgramSize(), whole, (), (), None)
    must = tuple(_re2_compile(p, pattern) for p in translated.must)
    must_not = tuple(_re2_compile(p, pattern) for p in translated.must_not)
    rest = _re2_compile(translated.rest, pattern)
    size = sum(rx.ProgramSize() for rx in (*must, *must_not, rest))
    return Compiled(pattern, unicode, size, None, must, must_not, rest)


class _Cache:
    """Compiled patterns (and refusals) by text, least recently used first out."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Compiled | PatternError] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, pattern: str) -> Compiled | PatternError:
        with self._lock:
            found = self._items.get(pattern)
            if found is not None:
                self._items.move_to_end(pattern)
                return found
        try:
            made: Compiled | PatternError = _compile(pattern)
        except PatternError as exc:
            made = exc
        with self._lock:
            if pattern not in self._items:
                self._items[pattern] = made
                self._bytes += len(pattern)
            while len(self._items) > CACHE_ENTRIES or self._bytes > CACHE_PATTERN_BYTES:
                old, _ = self._items.popitem(last=False)
                self._bytes -= len(old)
        return made

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


_cache = _Cache()


def compile_pattern(pattern: str) -> Compiled:
    """``pattern`` compiled (cached); ``PatternError`` if it cannot be used."""
    found = _cache.get(pattern)
    if isinstance(found, PatternError):
        raise found
    return found


def check(pattern: str) -> None:
    """Refuse (``PatternError``) a pattern that is not ECMA-262 or not evaluable in linear time."""
    compile_pattern(pattern)


def search(pattern: str, text: str) -> bool:
    """``pattern`` matches somewhere in ``text``, evaluated in linear time within the budget."""
    return compile_pattern(pattern).search(text)


def is_ecma(pattern: object) -> bool:
    """The ``format: regex`` assertion: ``pattern`` is an ECMA-262 regular expression."""
    if not isinstance(pattern, str):
        return True  # formats assert on strings only
    try:
        _ecma_mode(pattern)
    except PatternError:
        return False
    return True


def locate(document: Any, pattern: str, *, at: str = pointers.ROOT) -> str | None:
    """The JSON Pointer of ``pattern`` in ``document``: a ``pattern`` value or a name in
    ``patternProperties`` (the first in document order), or None."""
    stack: list[tuple[Any, str]] = [(document, at)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if node.get("pattern") == pattern:
                return pointers.join(where, "pattern")
            named = node.get("patternProperties")
            if isinstance(named, dict) and pattern in named:
                return pointers.join(where, "patternProperties", pattern)
            stack.extend((v, pointers.join(where, k)) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, pointers.join(where, i)) for i, v in reversed(list(enumerate(node))))
    return None


def check_patterns(schema: Any, *, at: str = pointers.ROOT) -> None:
    """``check`` every ``pattern`` and ``patternProperties`` name of ``schema`` and its
    subschemas; the ``PatternError`` names the first refused one's pointer (below ``at``)."""
    stack: list[tuple[Any, str]] = [(schema, at)]
    while stack:
        node, where = stack.pop()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("pattern"), str):
            try:
                check(node["pattern"])
            except PatternError as exc:
                raise exc.at(pointers.join(where, "pattern")) from None
        named = node.get("patternProperties")
        for name in named if isinstance(named, dict) else ():
            try:
                check(name)
            except PatternError as exc:
                raise exc.at(pointers.join(where, "patternProperties", name)) from None
        children = [(child, pointers.join(where, *keys)) for child, keys in subschemas(node)]
        stack.extend(reversed(children))
