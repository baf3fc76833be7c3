"""Deterministic instances for JSON Schema nodes: a minimal valid one and boundary probes.

``sample`` builds a small instance valid under a schema node. ``candidates`` streams a bounded
number of diverse instances valid under it: each type it allows, boundary lengths and numbers,
every enum value, objects with each optional property present or absent and with extra
properties of every JSON type, arrays at their size limits, tuples with extra items, and so on.

Generation is heuristic, validity is not: every value is checked with ``Context.accepts`` (a real
validator) before it is returned. There is no randomness: the same inputs give the same output.
``$ref``/``allOf`` are merged, ``anyOf``/``oneOf`` branches explored, recursion is cut off.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache
from itertools import islice
from typing import Any, Final, Protocol
from urllib.parse import unquote

from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for

from evreg.contracts.model import DRAFT2020, Schema


class Context(Protocol):
    """Where a schema node lives: how its ``$ref``s resolve and how values are validated."""

    def resolve(self, ref: str) -> tuple[Schema, Context] | None:
        """The node a ``$ref`` written in this scope points to, and the scope it lives in."""
        ...

    def accepts(self, schema: Schema, value: Any) -> bool:
        """Whether ``value`` is valid under ``schema``, a node of this scope."""
        ...


Node = tuple[Schema, Context]
Nodes = tuple[Node, ...]  # a conjunction: a value must be valid under every node


class NoSample(ValueError):
    """No instance valid under the schema could be built."""


class _Missing(Enum):
    MISSING = 0


MISSING: Final = _Missing.MISSING

_ANY_TYPES: Final = ("string", "integer", "number", "boolean", "null", "object", "array")
_LIMITS: Final = (200, 16, 4)  # candidates per node, by nesting depth; deeper: the sample only
_MAX_FLATS: Final = 16
_MAX_LEN: Final = 100_000
_FRESH: Final = ("extra", *(f"extra{i}" for i in range(2, 200)))
_WORDS: Final = ("a", "", "x", "A", "0", "ab", "abc", "hello", " ", "a b", "-", "Z9", "é")
_NUMBERS: Final[tuple[int | float, ...]] = (
    *(0, 1, -1, 2, 0.5, 1.5, -0.5, 3, 5, 7, 10, 11, 13, 100, 101, 1000, 0.25, 0.1, 1.1, 3.14),
    *(1e6, -1e6, 2**31, 2**53),
)
_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "date-time": ("2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999+01:00"),
    "date": ("2024-01-01", "2024-12-31"),
    "time": ("00:00:00Z", "23:59:59+01:00"),
    "duration": ("P1D", "PT1H"),
    "email": ("a@example.com", "first.last@example.org"),
    "idn-email": ("a@example.com",),
    "hostname": ("example.com", "a"),
    "idn-hostname": ("example.com",),
    "ipv4": ("192.0.2.1", "0.0.0.0"),
    "ipv6": ("2001:db8::1", "::1"),
    "uri": ("https://example.com/", "urn:x:y"),
    "uri-reference": ("https://example.com/", "/a"),
    "iri": ("https://example.com/",),
    "iri-reference": ("/a",),
    "uri-template": ("https://example.com/{id}",),
    "uuid": ("00000000-0000-4000-8000-000000000000", "123e4567-e89b-42d3-a456-426614174000"),
    "json-pointer": ("/a", ""),
    "relative-json-pointer": ("0", "1/a"),
    "regex": (".*", "^a$"),
}


# -- regular expressions ------------------------------------------------------------------------

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


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


def search(pattern: str, text: str) -> bool:
    """``pattern`` matches somewhere in ``text`` (JSON Schema's ``pattern`` semantics)."""
    rx = _compiled(pattern)
    return rx is not None and rx.search(text) is not None


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
            part = None if unit is None else unit * count
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
        if sum(map(len, parts)) > _MAX_LEN:
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
            if search(_CATEGORY_RX.get(key, "(?!)"), ch):
                return True
    return False


_CATEGORY_RX: Final = {
    "DIGIT": r"\d",
    "NOT_DIGIT": r"\D",
    "SPACE": r"\s",
    "NOT_SPACE": r"\S",
    "WORD": r"\w",
    "NOT_WORD": r"\W",
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


def draft_version(draft: str) -> int:
    """4, 6, 7, 2019 or 2020 for a dialect URI (unknown dialects count as 2020-12)."""
    for marker, version in (("draft-03", 4), ("draft-04", 4), ("draft-06", 6), ("draft-07", 7)):
        if marker in draft:
            return version
    return 2019 if "2019-09" in draft else 2020


class PlainContext:
    """A standalone schema document: local ``#...`` refs, a real validator asserting formats."""

    def __init__(self, document: Schema, draft: str = DRAFT2020) -> None:
        cls = validator_for({"$schema": draft}, default=Draft202012Validator)
        self._doc = document
        root = document if isinstance(document, dict) else {}
        self._root: Validator = cls(root, format_checker=cls.FORMAT_CHECKER)
        self._validators: dict[int, tuple[Schema, Validator]] = {}

    def resolve(self, ref: str) -> tuple[Schema, Context] | None:
        if not ref.startswith("#"):
            return None
        node = walk(self._doc, ref[1:])
        return None if node is MISSING else (node, self)

    def accepts(self, schema: Schema, value: Any) -> bool:
        entry = self._validators.get(id(schema))
        if entry is None:
            entry = self._validators[id(schema)] = (schema, self._root.evolve(schema=schema))
        return entry[1].is_valid(value)


def walk(document: Any, pointer: str) -> Any:
    """The value at a JSON Pointer (``/a/0``, without ``#``) in ``document``, or MISSING."""
    node = document
    for raw in unquote(pointer).split("/")[1:] if pointer else ():
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def sample(schema: Schema, ctx: Context | None = None, *, draft: str = DRAFT2020) -> Any:
    """A small instance valid under ``schema``; raises NoSample when none could be built."""
    value = Sampler(draft).sample(((schema, ctx or PlainContext(schema, draft)),))
    if value is MISSING:
        raise NoSample("no instance valid under the schema could be built")
    return value


def candidates(
    schema: Schema,
    ctx: Context | None = None,
    *,
    draft: str = DRAFT2020,
    names: Sequence[str] = (),
    hints: Hints | None = None,
) -> Iterator[Any]:
    """Up to 200 diverse instances valid under ``schema``, the sample first.

    ``names`` are property names worth trying as extra properties of the top object (e.g. the
    names another version of the schema declares); ``hints`` more probes of that kind.
    """
    node: Node = (schema, ctx or PlainContext(schema, draft))
    probes = Hints(names=tuple(names)) if hints is None else hints.add_names(names)
    return iter(Sampler(draft).candidates((node,), probes))


@dataclass(frozen=True, slots=True)
class Hints:
    """Probes suggested from outside (by the reader schema) for the top-level values.

    Property names to add, values to try, string lengths, numbers, array sizes and property
    counts: typically just outside the reader's bounds (``Sampler.probes``).
    """

    names: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    lengths: tuple[int, ...] = ()
    numbers: tuple[float, ...] = ()
    items: tuple[int, ...] = ()
    props: tuple[int, ...] = ()

    def key(self) -> tuple[Any, ...]:
        values = tuple(canon(v) for v in self.values)
        return (self.names, values, self.lengths, self.numbers, self.items, self.props)

    def add_names(self, names: Iterable[str]) -> Hints:
        merged = tuple(dict.fromkeys((*self.names, *names)))
        return Hints(merged, self.values, self.lengths, self.numbers, self.items, self.props)


NO_HINTS: Final = Hints()


@dataclass(slots=True)
class _Flat:
    """The keywords of a conjunction of nodes, merged (one ``anyOf``/``oneOf`` branch chosen)."""

    false: bool = False
    types: tuple[str, ...] | None = None
    enum: tuple[Any, ...] | None = None
    min_len: int = 0
    max_len: int | None = None
    patterns: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    lo: float | None = None
    lo_ex: bool = False
    hi: float | None = None
    hi_ex: bool = False
    mults: tuple[float, ...] = ()
    props: dict[str, Nodes] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    pattern_props: tuple[tuple[str, Node], ...] = ()
    additional: Nodes = ()
    closed: bool = False
    min_props: int = 0
    max_props: int | None = None
    dep_required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dep_names: tuple[str, ...] = ()  # properties whose presence triggers a dependency
    prefix: list[Nodes] = field(default_factory=list)
    rest: Nodes = ()
    rest_false: bool = False
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    contains: Nodes = ()
    min_contains: int = 1
    nots: Nodes = ()  # ``not`` schemas (only filtered against, and mined for probes)

    @property
    def usable(self) -> bool:
        return not self.false and self.types != () and self.enum != ()

    def child(self, name: str) -> Nodes | None:
        """The nodes a property ``name`` must satisfy, None when it is forbidden."""
        nodes = self.props.get(name, ())
        matched = tuple(node for pattern, node in self.pattern_props if search(pattern, name))
        if name not in self.props and not matched:
            return None if self.closed else self.additional
        return nodes + matched

    def item(self, index: int) -> Nodes | None:
        """The nodes the item at ``index`` must satisfy, None when there can be no such item."""
        if index < len(self.prefix):
            return self.prefix[index]
        return None if self.rest_false else self.rest

    def type_order(self) -> tuple[str, ...]:
        if self.types is not None:
            return self.types
        hinted: list[str] = []
        if self.props or self.required or self.pattern_props or self.closed or self.min_props:
            hinted.append("object")
        if self.prefix or self.rest or self.rest_false or self.min_items or self.contains:
            hinted.append("array")
        if self.min_len or self.max_len is not None or self.patterns or self.formats:
            hinted.append("string")
        if self.lo is not None or self.hi is not None or self.mults:
            hinted.append("number")
        return (*hinted, *(t for t in _ANY_TYPES if t not in hinted))

    def declares(self, name: str) -> bool:
        """``name`` is a declared property or matches a patternProperties regex."""
        return name in self.props or any(search(p, name) for p, _ in self.pattern_props)

    def fresh_names(self) -> Iterator[str]:
        """Property names neither declared nor matched by patternProperties."""
        return (n for n in _FRESH if not self.declares(n))


def _meet_types(old: tuple[str, ...] | None, new: Iterable[str]) -> tuple[str, ...]:
    new = tuple(new)
    if old is None:
        return new
    out: list[str] = []
    for t in old:
        if t in new:
            out.append(t)
        elif (t == "number" and "integer" in new) or (t == "integer" and "number" in new):
            out.append("integer")
    return tuple(dict.fromkeys(out))


def canon(value: Any) -> str:
    """A canonical text of a JSON value (distinguishes 1, 1.0 and true), to compare values."""
    if isinstance(value, str):
        return "s" + value
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def _meet_enum(old: tuple[Any, ...] | None, new: Sequence[Any]) -> tuple[Any, ...]:
    if old is None:
        return tuple(new)
    keys = {canon(v) for v in new}
    return tuple(v for v in old if canon(v) in keys)


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    number = _num(value)
    return int(number) if number is not None and number >= 0 else None


class _Collector:
    """Merges the keywords of nodes into a _Flat, following ``$ref`` and ``allOf``."""

    def __init__(self, version: int, choices: dict[int, int]) -> None:
        self.version = version
        self.choices = choices
        self.flat = _Flat()
        self.pending: list[tuple[int, int]] = []  # (id of an anyOf/oneOf list, its length)

    def collect(self, node: Node, guard: frozenset[int]) -> None:
        schema, ctx = node
        if schema is False:
            self.flat.false = True
        if not isinstance(schema, dict) or not schema:
            return
        for kw in ("$ref", "$dynamicRef", "$recursiveRef"):
            ref = schema.get(kw)
            if isinstance(ref, str) and id(schema) not in guard:
                target = ctx.resolve(ref)
                if target is not None:
                    self.collect(target, guard | {id(schema)})
        if "$ref" in schema and self.version < 2019:
            return  # siblings of $ref are ignored before 2019-09
        self._apply(schema, ctx)
        for sub in _list(schema.get("allOf")):
            self.collect((sub, ctx), guard)
        for kw in ("anyOf", "oneOf"):
            branches = _list(schema.get(kw))
            if branches:
                chosen = self.choices.get(id(branches))
                if chosen is None:
                    self.pending.append((id(branches), len(branches)))
                else:
                    self.collect((branches[chosen], ctx), guard)

    def _apply(self, s: dict[str, Any], ctx: Context) -> None:
        f = self.flat
        kind = s.get("type")
        if isinstance(kind, str | list):
            listed = [kind] if isinstance(kind, str) else kind
            f.types = _meet_types(f.types, (t for t in listed if isinstance(t, str)))
        if "const" in s and self.version >= 6:
            f.enum = _meet_enum(f.enum, [s["const"]])
        if isinstance(s.get("enum"), list):
            f.enum = _meet_enum(f.enum, s["enum"])
        if "not" in s:
            f.nots += ((s["not"], ctx),)
        self._strings(s)
        self._numbers(s)
        self._objects(s, ctx)
        self._arrays(s, ctx)

    def _strings(self, s: dict[str, Any]) -> None:
        f = self.flat
        if (n := _count(s.get("minLength"))) is not None:
            f.min_len = max(f.min_len, n)
        if (n := _count(s.get("maxLength"))) is not None:
            f.max_len = n if f.max_len is None else min(f.max_len, n)
        if isinstance(s.get("pattern"), str):
            f.patterns += (s["pattern"],)
        if isinstance(s.get("format"), str):
            f.formats += (s["format"],)

    def _numbers(self, s: dict[str, Any]) -> None:
        f = self.flat
        if (x := _num(s.get("minimum"))) is not None:
            self._lower(x, s.get("exclusiveMinimum") is True)
        if (x := _num(s.get("exclusiveMinimum"))) is not None:
            self._lower(x, True)
        if (x := _num(s.get("maximum"))) is not None:
            self._upper(x, s.get("exclusiveMaximum") is True)
        if (x := _num(s.get("exclusiveMaximum"))) is not None:
            self._upper(x, True)
        if (x := _num(s.get("multipleOf"))) is not None and x > 0:
            f.mults += (x,)

    def _lower(self, value: float, exclusive: bool) -> None:
        f = self.flat
        if f.lo is None or value > f.lo or (value == f.lo and exclusive):
            f.lo, f.lo_ex = value, exclusive

    def _upper(self, value: float, exclusive: bool) -> None:
        f = self.flat
        if f.hi is None or value < f.hi or (value == f.hi and exclusive):
            f.hi, f.hi_ex = value, exclusive

    def _objects(self, s: dict[str, Any], ctx: Context) -> None:
        f = self.flat
        for name, sub in _dict(s.get("properties")).items():
            f.props[name] = (*f.props.get(name, ()), (sub, ctx))
        required = [r for r in _list(s.get("required")) if isinstance(r, str)]
        f.required = tuple(dict.fromkeys((*f.required, *required)))
        f.pattern_props += tuple(
            (p, (sub, ctx)) for p, sub in _dict(s.get("patternProperties")).items()
        )
        extra = s.get("additionalProperties")
        if extra is False or s.get("unevaluatedProperties") is False:
            f.closed = True
        elif isinstance(extra, dict):
            f.additional += ((extra, ctx),)
        if (n := _count(s.get("minProperties"))) is not None:
            f.min_props = max(f.min_props, n)
        if (n := _count(s.get("maxProperties"))) is not None:
            f.max_props = n if f.max_props is None else min(f.max_props, n)
        for kw in ("dependencies", "dependentRequired", "dependentSchemas"):
            for key, deps in _dict(s.get(kw)).items():
                f.dep_names = tuple(dict.fromkeys((*f.dep_names, key)))
                if isinstance(deps, list):
                    got = (*f.dep_required.get(key, ()), *(d for d in deps if isinstance(d, str)))
                    f.dep_required[key] = tuple(dict.fromkeys(got))

    def _arrays(self, s: dict[str, Any], ctx: Context) -> None:
        f = self.flat
        items = s.get("items")
        if self.version >= 2020:
            prefix, rest = _list(s.get("prefixItems")), items
        elif isinstance(items, list):
            prefix, rest = items, s.get("additionalItems")
        else:
            prefix, rest = [], items
        if prefix or rest is not None:
            self._items([(p, ctx) for p in prefix], rest, ctx)
        if s.get("unevaluatedItems") is False:
            self._items([], False, ctx)
        if (n := _count(s.get("minItems"))) is not None:
            f.min_items = max(f.min_items, n)
        if (n := _count(s.get("maxItems"))) is not None:
            f.max_items = n if f.max_items is None else min(f.max_items, n)
        f.unique = f.unique or s.get("uniqueItems") is True
        if "contains" in s and self.version >= 6:
            f.contains += ((s["contains"], ctx),)
            if (n := _count(s.get("minContains"))) is not None and self.version >= 2019:
                f.min_contains = n

    def _items(self, prefix: list[Node], rest: Any, ctx: Context) -> None:
        f = self.flat
        rest_nodes: Nodes = ((rest, ctx),) if isinstance(rest, dict) else ()
        rest_false = rest is False
        merged: list[Nodes] = []
        for i in range(max(len(f.prefix), len(prefix))):
            mine = f.item(i)
            theirs = (prefix[i],) if i < len(prefix) else (None if rest_false else rest_nodes)
            if mine is None or theirs is None:
                f.rest_false = True
                break
            merged.append(mine + theirs)
        f.prefix = merged
        f.rest += rest_nodes
        f.rest_false = f.rest_false or rest_false


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _roundrobin(streams: Sequence[Iterator[Any]]) -> Iterator[Any]:
    live = list(streams)
    while live:
        for stream in list(live):
            try:
                yield next(stream)
            except StopIteration:
                live.remove(stream)


class _Lazy:
    """A memoised iterator that can be walked many times."""

    __slots__ = ("_done", "_it", "_items")

    def __init__(self, it: Iterator[Any]) -> None:
        self._it, self._items, self._done = it, list[Any](), False

    def __iter__(self) -> Iterator[Any]:
        i = 0
        while True:
            if i < len(self._items):
                yield self._items[i]
                i += 1
            elif self._done:
                return
            else:
                try:
                    self._items.append(next(self._it))
                except StopIteration:
                    self._done = True


def _key(nodes: Nodes) -> tuple[int, ...]:
    return tuple(id(schema) for schema, _ in nodes)


def _mul(k: int, m: float) -> int | float:
    if isinstance(m, int):
        return k * m
    try:
        return float(Decimal(k) * Decimal(repr(m)))
    except InvalidOperation:  # pragma: no cover - repr of a float is always a decimal
        return k * m


def _tidy(value: float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def _multiple(value: float, m: float) -> bool:
    if isinstance(m, float) or isinstance(value, float):
        quotient = value / m
        return math.isfinite(quotient) and quotient == int(quotient)
    return value % m == 0


def _put(container: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of ``container`` with ``value`` at ``path`` (containers copied along the path)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(container) if isinstance(container, list) else []
        items.extend([None] * (head + 1 - len(items)))
        items[head] = _put(items[head], rest, value)
        return items
    obj = dict(container) if isinstance(container, dict) else {}
    obj[head] = _put(obj.get(head), rest, value)
    return obj


def put(container: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of ``container`` with ``value`` set at ``path``, sharing everything else."""
    return _put(container, path, value)


class Sampler:
    """Samples and candidates for nodes of one dialect, memoised per node."""

    def __init__(self, draft: str = DRAFT2020) -> None:
        self.version = draft_version(draft)
        self._flats: dict[tuple[int, ...], list[_Flat]] = {}
        self._samples: dict[tuple[int, ...], Any] = {}
        self._cands: dict[tuple[tuple[int, ...], int, tuple[Any, ...], bool], _Lazy] = {}
        self._busy: set[tuple[int, ...]] = set()
        self._scalar_cache: dict[tuple[int, str], tuple[Any, ...]] = {}
        self._guard_hits = 0

    # -- public -------------------------------------------------------------------------------

    def sample(self, nodes: Nodes) -> Any:
        """A small value valid under every node, or MISSING."""
        key = _key(nodes)
        if key in self._samples:
            return self._samples[key]
        if key in self._busy:
            self._guard_hits += 1
            return MISSING
        self._busy.add(key)
        hits = self._guard_hits
        result: Any = MISSING
        try:
            for flat in self.flats(nodes):
                result = next((v for v in self._firsts(flat) if self.accepts(nodes, v)), MISSING)
                if result is not MISSING:
                    break
        finally:
            self._busy.discard(key)
        if result is not MISSING or self._guard_hits == hits:
            self._samples[key] = result
        return result

    def candidates(
        self, nodes: Nodes, hints: Hints = NO_HINTS, depth: int = 0, *, checked: bool = True
    ) -> _Lazy:
        """A memoised stream of values valid under every node, the sample first.

        ``hints`` apply to the top-level values only. ``checked=False`` skips the validation of
        the top-level values (nested ones are still checked), for a caller that validates them
        anyway, in a cheaper order.
        """
        key = (_key(nodes), depth, hints.key(), checked)
        lazy = self._cands.get(key)
        if lazy is None:
            lazy = self._cands[key] = _Lazy(self._stream(nodes, hints, depth, checked))
        return lazy

    def accepts(self, nodes: Nodes, value: Any) -> bool:
        if value is MISSING:
            return False
        try:
            return all(schema is True or ctx.accepts(schema, value) for schema, ctx in nodes)
        except Exception:  # an unresolvable $ref, a bad regex...: not provably valid
            return False

    def flats(self, nodes: Nodes) -> list[_Flat]:
        """The merged keyword sets of ``nodes``, one per ``anyOf``/``oneOf`` branch choice."""
        key = _key(nodes)
        cached = self._flats.get(key)
        if cached is not None:
            return cached
        out: list[_Flat] = []
        todo: list[dict[int, int]] = [{}]
        steps = 0
        while todo and len(out) < _MAX_FLATS and steps < 4 * _MAX_FLATS:
            steps += 1
            choices = todo.pop()
            collector = _Collector(self.version, choices)
            for node in nodes:
                collector.collect(node, frozenset())
            if collector.pending:
                list_id, size = collector.pending[0]
                todo.extend({**choices, list_id: k} for k in reversed(range(size)))
            elif collector.flat.usable:
                out.append(collector.flat)
        self._flats[key] = out
        return out

    def probes(self, nodes: Nodes) -> Hints:
        """Probes just outside the bounds of ``nodes``: what a value must be to be rejected.

        Lengths, numbers, sizes and counts one step past each bound, the property names the
        nodes declare, and the values their ``not`` schemas forbid.
        """
        lengths: list[int] = []
        numbers: list[float] = []
        items: list[int] = []
        props: list[int] = []
        values: list[Any] = []
        for flat in self.flats(nodes):
            lengths += _beyond(flat.min_len, flat.max_len)
            items += _beyond(flat.min_items, flat.max_items)
            props += _beyond(flat.min_props, flat.max_props)
            if flat.hi is not None:
                numbers += [flat.hi, flat.hi + 1, flat.hi + 0.5]
            if flat.lo is not None:
                numbers += [flat.lo, flat.lo - 1, flat.lo - 0.5]
            for sub in self.flats(flat.nots):
                values += sub.enum or ()
                for pattern in sub.patterns:
                    values += regex_strings(pattern)[:3]
        return Hints(
            names=self.property_names(nodes),
            values=tuple(values[:50]),
            lengths=tuple(dict.fromkeys(lengths))[:8],
            numbers=tuple(dict.fromkeys(numbers))[:8],
            items=tuple(dict.fromkeys(items))[:8],
            props=tuple(dict.fromkeys(props))[:8],
        )

    def property_names(self, nodes: Nodes) -> tuple[str, ...]:
        """Names the nodes declare or constrain: properties, required, dependencies, patterns."""
        names: list[str] = []
        for flat in self.flats(nodes):
            names += [*flat.props, *flat.required, *flat.dep_names]
            for key, deps in flat.dep_required.items():
                names += [key, *deps]
            for pattern, _ in flat.pattern_props:
                names += [s for s in regex_strings(pattern)[:2] if s]
        return tuple(dict.fromkeys(names))

    def enum_values(self, nodes: Nodes) -> tuple[Any, ...] | None:
        """Every value ``nodes`` allow when each branch is an enum (or const), else None."""
        flats = self.flats(nodes)
        if not flats or any(flat.enum is None for flat in flats):
            return None
        if len(flats) == 1:
            return flats[0].enum
        return tuple({canon(v): v for flat in flats for v in flat.enum or ()}.values())

    def declares(self, nodes: Nodes, name: str) -> bool:
        """Some branch of ``nodes`` declares ``name`` (properties or patternProperties)."""
        return any(flat.declares(name) for flat in self.flats(nodes))

    def _routes(self, nodes: Nodes, seg: str | int) -> list[tuple[_Flat, Nodes]]:
        """The branches of ``nodes`` in which ``seg`` can exist, declaring ones first."""
        kind = "object" if isinstance(seg, str) else "array"
        routes: list[tuple[int, _Flat, Nodes]] = []
        for flat in self.flats(nodes):
            if flat.types is not None and kind not in flat.types:
                continue
            if isinstance(seg, str):
                child, declared = flat.child(seg), flat.declares(seg)
            else:
                child, declared = flat.item(seg), seg < len(flat.prefix)
            if child is not None:
                routes.append((0 if declared else 1, flat, child))
        routes.sort(key=lambda route: route[0])  # stable: branch order otherwise
        return [(flat, child) for _, flat, child in routes]

    def nodes_at(self, nodes: Nodes, path: Sequence[str | int]) -> Nodes | None:
        """The nodes an instance at ``path`` must satisfy (the first branch allowing it)."""
        for seg in path:
            routes = self._routes(nodes, seg)
            if not routes:
                return None
            nodes = routes[0][1]
        return nodes

    def with_path(self, nodes: Nodes, path: Sequence[str | int], limit: int = 4) -> list[Any]:
        """Up to ``limit`` values of ``nodes`` in which ``path`` exists (its leaf a placeholder).

        Required siblings along the way are filled with samples, so that putting a value valid
        at ``path`` into one of them is likely to give a valid whole.
        """
        if not path:
            found = self.sample(nodes)
            return [None if found is MISSING else found]
        seg, rest = path[0], path[1:]
        out: list[Any] = []
        for flat, child in self._routes(nodes, seg):
            if isinstance(seg, str):
                shell = self._object(flat, (seg,), skip=seg)
            else:
                shell = self._array(flat, seg + 1, skip=seg)
            if shell is not MISSING:
                out += [_put(shell, (seg,), sub) for sub in self.with_path(child, rest, 2)]
            if len(out) >= limit:
                break
        return out[:limit]

    # -- generation -----------------------------------------------------------------------------

    def _stream(self, nodes: Nodes, hints: Hints, depth: int, checked: bool) -> Iterator[Any]:
        limit = _LIMITS[depth] if depth < len(_LIMITS) else 1
        first = self.sample(nodes)
        streams: list[Iterator[Any]] = [iter(() if first is MISSING else (first,))]
        if limit > 1:
            streams.append(iter(hints.values))
            for flat in self.flats(nodes):
                if flat.enum is not None:
                    streams.append(iter(flat.enum))
                else:
                    typed = [self._typed(flat, t, depth, hints) for t in flat.type_order()]
                    streams.append(_roundrobin([self._hinted(flat, hints), *typed]))
        seen: set[str] = set()
        produced = tried = 0
        for value in _roundrobin(streams):
            if value is MISSING:
                continue
            key = canon(value)
            if key in seen:
                continue
            seen.add(key)
            tried += 1
            if tried > 4 * limit + 16:
                return
            if value is first or not checked or self.accepts(nodes, value):
                yield value
                produced += 1
                if produced >= limit:
                    return

    def _firsts(self, flat: _Flat) -> Iterator[Any]:
        """A few simple values to try as the sample of ``flat``."""
        if flat.enum is not None:
            yield from flat.enum
            return
        for kind in flat.type_order():
            if kind == "object":
                yield self._object(flat)
            elif kind == "array":
                yield self._array(flat)
            else:
                yield from islice(self._scalars(flat, kind), 6)

    def _typed(self, flat: _Flat, kind: str, depth: int, hints: Hints) -> Iterator[Any]:
        if kind == "object":
            return self._objects(flat, depth, hints.names)
        if kind == "array":
            return self._arrays(flat, depth)
        return self._scalars(flat, kind)

    def _scalars(self, flat: _Flat, kind: str) -> Iterator[Any]:
        key = (id(flat), kind)
        values = self._scalar_cache.get(key)
        if values is None:
            if kind == "null":
                values = (None,)
            elif kind == "boolean":
                values = (True, False)
            elif kind == "string":
                values = tuple(_strings(flat))
            elif kind in ("integer", "number"):
                values = tuple(_numbers(flat, kind == "integer"))
            else:
                values = ()
            self._scalar_cache[key] = values  # flats are memoised, so their ids are stable
        return iter(values)

    def _object(self, flat: _Flat, force: Sequence[str] = (), skip: str | None = None) -> Any:
        """The smallest object of ``flat`` with the ``force``d keys (``skip``: a None slot)."""
        keys = list(dict.fromkeys((*flat.required, *force)))
        i = 0
        while i < len(keys):
            keys += [d for d in flat.dep_required.get(keys[i], ()) if d not in keys]
            i += 1
        extras = [k for k in flat.props if k not in keys]
        while len(keys) < flat.min_props and extras:
            keys.append(extras.pop(0))
        obj: dict[str, Any] = {}
        for k in keys:
            child = flat.child(k)
            value = None if k == skip else MISSING if child is None else self.sample(child)
            if value is MISSING:
                return MISSING
            obj[k] = value
        fresh = flat.fresh_names()
        while len(obj) < flat.min_props and not flat.closed:
            name = next(fresh, "")
            obj[name] = self.sample(flat.child(name) or ())
        return MISSING if MISSING in obj.values() else obj

    def _hinted(self, flat: _Flat, hints: Hints) -> Iterator[Any]:
        """Values of ``flat`` at the hinted lengths, numbers, sizes and property counts."""
        kinds = flat.type_order()
        if "string" in kinds:
            stems = [""] if not flat.patterns else list(regex_strings(flat.patterns[0])[:3])
            for n in hints.lengths:
                yield from (stem + "a" * (n - len(stem)) for stem in stems if len(stem) <= n)
        if "number" in kinds or "integer" in kinds:
            yield from (_tidy(x) for x in hints.numbers)
        if "array" in kinds:
            yield from (self._array(flat, n) for n in hints.items)
        if "object" in kinds:
            yield from (self._object_of(flat, n) for n in hints.props)

    def _object_of(self, flat: _Flat, size: int) -> Any:
        """An object of ``flat`` with ``size`` properties (declared ones first), if it can be."""
        obj = self._object(flat)
        if obj is MISSING or len(obj) >= size:
            return obj
        optional = [k for k in flat.props if k not in obj]
        obj = self._object(flat, optional[: size - len(obj)])
        fresh = flat.fresh_names()
        while obj is not MISSING and len(obj) < size and not flat.closed:
            obj = {**obj, next(fresh, ""): "x"}
        return obj

    def _objects(self, flat: _Flat, depth: int, names: tuple[str, ...]) -> Iterator[Any]:
        base = self._object(flat)
        if base is MISSING:
            return
        yield base
        for name in names:  # the caller's hints come first: they are the likeliest witnesses
            yield from self._vary_prop(flat, name, depth)
        extra_names = [] if flat.closed else [next(flat.fresh_names(), "")]
        for pattern, _ in flat.pattern_props:
            extra_names += [s for s in regex_strings(pattern)[:3] if s and s not in flat.props][:1]
        yield from (next(iter(self._vary_prop(flat, k, depth)), MISSING) for k in extra_names)
        optional = [k for k in flat.props if k not in base]
        if optional:
            yield self._object(flat, optional)
            for k in optional:
                yield self._object(flat, (k,))
        for name in flat.dep_names:
            if name not in flat.props:
                yield from self._vary_prop(flat, name, depth)
        names = (*extra_names, *flat.props)  # extra properties and each declared one, in turn
        yield from _roundrobin([self._vary_prop(flat, k, depth) for k in names])
        if flat.max_props is not None and not flat.closed:
            full = self._object(flat, list(flat.props))
            if full is not MISSING:
                fresh = flat.fresh_names()
                for _ in range(max(0, flat.max_props - len(full))):
                    full = {**full, next(fresh, ""): "x"}
                yield full

    def _vary_prop(self, flat: _Flat, name: str, depth: int) -> Iterator[Any]:
        child = flat.child(name)
        shell = MISSING if child is None else self._object(flat, (name,), skip=name)
        if child is None or shell is MISSING:
            return
        for value in self.candidates(child, depth=depth + 1):
            yield {**shell, name: value}

    def _array(self, flat: _Flat, length: int = 0, skip: int | None = None) -> Any:
        """The smallest array of ``flat`` with at least ``length`` items."""
        size = max(flat.min_items, length, flat.min_contains if flat.contains else 0)
        if flat.max_items is not None and size > flat.max_items:
            return MISSING
        items: list[Any] = []
        seen: set[str] = set()
        for i in range(size):
            child = flat.item(i)
            if child is None:
                return MISSING
            if i == skip:
                items.append(None)
                continue
            if flat.unique:
                value = next(
                    (v for v in self.candidates(child, depth=1) if canon(v) not in seen), MISSING
                )
            else:
                value = self.sample(child)
            if value is MISSING:
                return MISSING
            seen.add(canon(value))
            items.append(value)
        if flat.contains and flat.min_contains:
            hits = [i for i, v in enumerate(items) if self.accepts(flat.contains, v)]
            spots = [i for i in range(size) if i != skip and i not in hits]
            for i in spots[: max(0, flat.min_contains - len(hits))]:
                items[i] = self.sample((*(flat.item(i) or ()), *flat.contains))
        return MISSING if MISSING in items else items

    def _arrays(self, flat: _Flat, depth: int) -> Iterator[Any]:
        base = self._array(flat)
        if base is MISSING:
            return
        yield base
        yield []
        width = len(flat.prefix)
        for n in range(len(base) + 1, width + 1):  # partial, then full tuples
            yield self._array(flat, n)
        first = base[-1] if base else self.sample(flat.item(0) or ())
        if first is not MISSING:  # a duplicate
            yield [*base, first] if base else [first, first]
        sizes = [flat.min_items + 1, max(width, flat.min_items) + 2]
        if flat.max_items is not None and flat.max_items <= 1000:
            sizes.insert(0, flat.max_items)
        for n in sizes:
            yield self._array(flat, n)
        positions = list(range(max(width, 1)))
        if not flat.rest_false and width:
            positions.append(width)  # an item after the tuple
        yield from _roundrobin([self._vary_item(flat, i, depth) for i in positions])

    def _vary_item(self, flat: _Flat, index: int, depth: int) -> Iterator[Any]:
        child = flat.item(index)
        shell = MISSING if child is None else self._array(flat, index + 1, skip=index)
        if child is None or shell is MISSING:
            return
        for value in self.candidates(child, depth=depth + 1):
            yield _put(shell, (index,), value)


def _beyond(low: int, high: int | None) -> list[int]:
    """The sizes one step outside ``[low, high]``."""
    return ([low - 1] if low > 0 else []) + ([high + 1] if high is not None else [])


def _strings(flat: _Flat) -> list[str]:
    lo, hi = flat.min_len, flat.max_len
    pool: list[str] = []
    for fmt in flat.formats:
        pool += _FORMATS.get(fmt, ())
    if flat.patterns:
        for s in regex_strings(flat.patterns[0]):
            pad = "a" * max(0, lo - len(s))
            pool += [s, s + pad, pad + s]
        # for what the generator cannot follow (lookaheads, several patterns): mixed strings
        pool += [*_WORDS, *(("Aa1-" * n)[:n] for n in (*range(1, 17), 24, 32, 64, lo, lo + 1))]
    else:
        short = max(lo, 1) if hi is None or hi >= max(lo, 1) else lo
        pool += ["a" * short, "", "a" * lo, "a" * (lo + 1)]
        if hi is not None and hi <= _MAX_LEN:
            pool += ["a" * hi, "a" * max(hi - 1, 0)]
        pool += _WORDS
    top = _MAX_LEN if hi is None else hi
    return [
        s
        for s in dict.fromkeys(pool)
        if lo <= len(s) <= top and all(search(p, s) for p in flat.patterns)
    ]


def _numbers(flat: _Flat, integer: bool) -> list[int | float]:
    lo, hi = flat.lo, flat.hi
    edges: list[float] = []
    if lo is not None:
        edges += [lo, lo + 1, lo + 0.5, lo + 0.001, lo + 2]
    if hi is not None:
        edges += [hi, hi - 1, hi - 0.5, hi - 0.001, hi - 2]
    for m in flat.mults:
        ks = [1, 2, 3, 4, 5, 6, 7, 10, 12, -1, 0]
        if lo is not None and abs(lo / m) < 2**53:
            ks += [math.ceil(lo / m) + j for j in range(3)]
        if hi is not None and abs(hi / m) < 2**53:
            ks += [math.floor(hi / m) - j for j in range(3)]
        edges += [_mul(k, m) for k in ks]
    valid: list[int | float] = []
    for raw in (*edges, *_NUMBERS):
        value = _tidy(raw)
        if integer and not isinstance(value, int):
            continue
        if lo is not None and (value < lo or (flat.lo_ex and value == lo)):
            continue
        if hi is not None and (value > hi or (flat.hi_ex and value == hi)):
            continue
        if all(_multiple(value, m) for m in flat.mults):
            valid.append(value)
    valid = list(dict.fromkeys(valid))
    if not valid:
        return []
    first = min(valid, key=lambda v: (abs(v), v < 0))
    fraction = next((v for v in valid if isinstance(v, float)), first)
    return [first, fraction, *(v for v in valid if v is not first and v is not fraction)]
