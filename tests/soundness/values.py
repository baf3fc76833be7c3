"""Values for a JSON Schema: the fuzzer's own generator (it shares nothing with evreg's).

``hypothesis-jsonschema`` pins an old hypothesis, so this is written here: a seeded generator
that aims at values *valid* under one schema (the writer of a pair), leaning on what makes a
change visible:

- **boundaries**: a bound's value and its neighbours, lengths at ``minLength``/``maxLength``,
  tuples one member longer than the writer's;
- **constants of both schemas** (:class:`Hints`): enum and const values, numbers in bounds,
  property names, pattern samples, so an enum value the reader dropped or a property the reader
  declares comes up often;
- **the edited places** (``focus``): optional properties and combinator branches on the way to
  a sub-schema the mutation touched are taken, so the change is reached;
- **other types where no ``type`` is given** (keywords do not imply a type).

A schema is read as a conjunction of parts: ``allOf`` members, a ``$ref``'s target, one chosen
``anyOf``/``oneOf`` branch, ``if``+``then`` or ``else``. Nothing here has to be exact: every
candidate is judged by the real validators (:mod:`oracle`). Strings for ``pattern`` come from
``rstr``'s ``xeger`` with repetitions kept short.
"""

from __future__ import annotations

import copy
import random
import re
import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rstr.xeger import Xeger

from .schema_walk import children, escape, resolve, subschemas

Part = tuple[str, Any]  # (JSON Pointer, schema)

ALL_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
ALPHABET = string.ascii_lowercase + string.digits + "ü-_ "
MAX_DEPTH = 6
MAX_EXPANSIONS = 40


class ShortXeger(Xeger):
    """``rstr``'s regex sampler with repetitions of at most ``limit`` beyond their minimum."""

    def __init__(self, rng: random.Random, limit: int = 6) -> None:
        super().__init__(rng)
        self.limit = limit

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return super()._handle_repeat(start_range, min(end_range, start_range + self.limit), value)


def format_sample(fmt: str, rng: random.Random) -> str:
    day = f"20{rng.randint(10, 39)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    samples = {
        "date-time": f"{day}T{clock}Z",
        "date": day,
        "time": f"{clock}Z",
        "email": f"user{rng.randint(0, 99)}@example.com",
        "idn-email": "user@example.com",
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "uri": f"https://example.com/{rng.randint(0, 99)}",
        "uri-reference": "/a/b",
        "ipv4": f"10.0.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
        "ipv6": "::1",
        "hostname": "example.com",
        "regex": "^a+$",
        "duration": "P1D",
    }
    return samples.get(fmt, "x")


@dataclass
class Hints:
    """Constants of both schemas of a pair: the values most likely to tell them apart."""

    numbers: list[int | float] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)


NUMERIC = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)


def mine(schemas: Sequence[Any], rng: random.Random) -> Hints:
    """The constants of ``schemas``: bounds and their neighbours, enum/const/default values,
    property names (declared, required, in dependencies), pattern and format samples."""
    hints = Hints()
    numbers: set[int | float] = {0, 1, -1}
    strings: set[str] = {"", "a"}
    names: set[str] = set()
    values: list[Any] = []
    xeger = ShortXeger(rng)
    for schema in schemas:
        for _, node in subschemas(schema):
            for key in NUMERIC:
                v = node.get(key)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    numbers.update((v, v - 1, v + 1, v + 0.5, v - 0.5))
            for v in [*(node.get("enum") or []), *([node["const"]] if "const" in node else [])]:
                values.append(v)
                if isinstance(v, str):
                    strings.add(v)
                elif isinstance(v, int | float) and not isinstance(v, bool):
                    numbers.add(v)
            for key in ("properties", "dependentRequired", "dependentSchemas", "dependencies"):
                if isinstance(node.get(key), dict):
                    names.update(node[key])
            if isinstance(node.get("required"), list):
                names.update(n for n in node["required"] if isinstance(n, str))
            for key in ("pattern", *(node.get("patternProperties") or {})):
                regex = node.get("pattern") if key == "pattern" else key
                if isinstance(regex, str):
                    sample = _xeger(xeger, regex)
                    if sample is not None:
                        strings.add(sample)
                        if key != "pattern":
                            names.add(sample)
            if isinstance(node.get("format"), str):
                strings.add(format_sample(node["format"], rng))
            if "default" in node:
                values.append(node["default"])
    hints.numbers = sorted(numbers, key=repr)
    hints.strings = sorted(strings)
    hints.names = sorted(names)
    hints.values = values
    return hints


def _xeger(xeger: Xeger, regex: str) -> str | None:
    try:
        return xeger.xeger(regex)
    except Exception:  # a construct the sampler does not know: no sample
        return None


def _types(node: dict[str, Any]) -> set[str] | None:
    t = node.get("type")
    if isinstance(t, str):
        t = [t]
    if not isinstance(t, list):
        return None
    out = {x for x in t if isinstance(x, str)}
    if "number" in out:
        out.add("integer")
    return out


def _kind_of_keywords(parts: Sequence[Part]) -> str | None:
    for _, node in parts:
        for keys, kind in (
            (("minLength", "maxLength", "pattern", "format"), "string"),
            (
                ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
                "number",
            ),
            (("properties", "required", "additionalProperties", "patternProperties"), "object"),
            (("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"), "array"),
        ):
            if any(k in node for k in keys):
                return kind
    return None


#: keywords under which a sub-schema still describes the same instance
SAME_INSTANCE = frozenset(("allOf", "anyOf", "oneOf", "not", "if", "then", "else"))


def _same_instance(at: str, place: str) -> bool:
    """``at`` is ``place``, or below it through combinators only (the same instance)."""
    if at == place:
        return True
    if not at.startswith(place + "/"):
        return False
    tokens = at[len(place) + 1 :].split("/")
    return all(t in SAME_INSTANCE or t.isdigit() for t in tokens)


def _existing(place: str, pointers: dict[str, Any]) -> str:
    """``place`` if ``pointers`` has it; else the same place without combinator steps (an edit
    of the other schema wrapped it), else its nearest existing ancestor."""
    if place in pointers:
        return place
    tokens = place.split("/")
    plain = [t for i, t in enumerate(tokens) if not _combinator_step(tokens, i)]
    if "/".join(plain) in pointers:
        return "/".join(plain)
    while tokens and "/".join(tokens) not in pointers:
        tokens.pop()
    return "/".join(tokens)


def _combinator_step(tokens: list[str], i: int) -> bool:
    t = tokens[i]
    if t in ("allOf", "anyOf", "oneOf"):
        return True
    return t.isdigit() and i > 0 and tokens[i - 1] in ("allOf", "anyOf", "oneOf")


def steering(root: Any, focus: Sequence[str]) -> tuple[set[str], set[str]]:
    """``(inside, toward)``: pointers of the sub-schemas that describe an edited place's
    instance, and of those leading to one (through ``$ref``s too, the edited ones included)."""
    edges: dict[str, list[str]] = {}
    for at, node in subschemas(root):
        targets = [child for child, _ in children(node, at)]
        ref = node.get("$ref")
        found = resolve(root, ref) if isinstance(ref, str) else None
        if found is not None:
            targets.append(found[0])
        edges[at] = targets
    places = [_existing(f, edges) for f in focus]
    inside = {at for at in edges if any(_same_instance(at, f) for f in places)}
    toward = set(inside)
    changed = True
    while changed:
        changed = False
        for at, targets in edges.items():
            if at not in toward and any(t in toward for t in targets):
                toward.add(at)
                changed = True
    return inside, toward


class Generator:
    """Candidate values for ``root`` (the writer), steered by ``focus`` and ``hints``.

    Inside an edited sub-schema the generator *explores* (boundaries, constants of both
    schemas, other types where none is given, undeclared properties, longer tuples); elsewhere
    it stays *calm* (values meant to be valid: formats, patterns, enums and bounds kept), and
    on the way to an edit it takes the optional properties and branches that lead there.
    """

    def __init__(
        self, root: Any, rng: random.Random, hints: Hints, focus: Sequence[str] = ()
    ) -> None:
        self.root = root
        self.rng = rng
        self.hints = hints
        # per edited place, and for all of them at once (the last entry)
        places = sorted(set(focus))
        self.steers = [steering(root, [f]) for f in places] if len(places) > 1 else []
        self.steers.append(steering(root, places))
        self.inside, self.toward = self.steers[-1]
        self.draft7 = isinstance(root, dict) and "draft-0" in str(root.get("$schema", ""))
        self.xeger = ShortXeger(rng)

    def value(self) -> Any:
        """One candidate, exploring one edited place (now and then all of them)."""
        steer = self.steers[-1] if self.rng.random() < 0.2 else self.rng.choice(self.steers)
        self.inside, self.toward = steer
        return self.generate([("", self.root)], 0)

    # ------------------------------------------------------------------ schema parts

    def expand(self, parts: Sequence[Part]) -> list[Part] | None:
        """The conjunction ``parts`` stand for, combinators resolved; None if it holds a false."""
        out: list[Part] = []
        queue = list(parts)
        budget = MAX_EXPANSIONS
        while queue and budget:
            budget -= 1
            at, node = queue.pop(0)
            if node is False:
                return None
            if not isinstance(node, dict):
                continue
            ref = node.get("$ref")
            if isinstance(ref, str):
                found = resolve(self.root, ref)
                if found is not None:
                    queue.append(found)
                if self.draft7:
                    continue  # draft-07 ignores the siblings of $ref
            out.append((at, node))
            for i, sub in enumerate(node.get("allOf") or []):
                queue.append((f"{at}/allOf/{i}", sub))
            for key in ("anyOf", "oneOf"):
                alts = node.get(key)
                if isinstance(alts, list) and alts:
                    queue.append(self.branch(at, key, alts))
            if "if" in node and self.rng.random() < 0.5:
                queue.append((f"{at}/if", node["if"]))
                if "then" in node:
                    queue.append((f"{at}/then", node["then"]))
            elif "else" in node:
                queue.append((f"{at}/else", node["else"]))
        return out

    def branch(self, at: str, key: str, alts: list[Any]) -> Part:
        options = [(f"{at}/{key}/{i}", alt) for i, alt in enumerate(alts)]
        leading = [o for o in options if o[0] in self.toward]
        if leading and self.rng.random() < 0.8:
            return self.rng.choice(leading)
        return self.rng.choice(options)

    # ------------------------------------------------------------------ values

    def generate(self, parts: Sequence[Part], depth: int) -> Any:
        expanded = self.expand(parts)
        if expanded is None or depth > MAX_DEPTH + 2:
            return self.anything(depth)
        explore = any(at in self.inside for at, _ in expanded)
        rng = self.rng
        keep = 0.8 if explore else 1.0  # how often an enum/const/format/pattern is honoured
        for _, node in expanded:
            if "const" in node and rng.random() < keep:
                return copy.deepcopy(node["const"])
        enums = [node["enum"] for _, node in expanded if isinstance(node.get("enum"), list)]
        if enums and enums[0] and rng.random() < keep:
            common = [v for v in enums[0] if all(v in e for e in enums[1:])] or enums[0]
            return copy.deepcopy(rng.choice(common))
        allowed: set[str] | None = None
        for _, node in expanded:
            ts = _types(node)
            if ts is not None:
                allowed = ts if allowed is None else allowed & ts
        if explore and rng.random() < 0.1 and self.hints.values:
            return copy.deepcopy(rng.choice(self.hints.values))
        if allowed:
            kind = rng.choice(sorted(allowed))
            if kind == "integer" and "number" in allowed and rng.random() < 0.5:
                kind = "number"
        elif allowed is not None:
            return self.anything(depth)  # no type fits every part: nothing valid to aim at
        else:
            guess = _kind_of_keywords(expanded)
            if guess is not None and rng.random() < (0.5 if explore else 0.95):
                kind = guess
            else:  # keywords do not imply a type: any type is valid where none is given
                kind = rng.choice(ALL_TYPES if explore or depth < MAX_DEPTH else ALL_TYPES[:5])
        method: Callable[[Sequence[Part], int, bool], Any] = getattr(self, "gen_" + kind)
        return method(expanded, depth, explore)

    def anything(self, depth: int) -> Any:
        rng = self.rng
        if rng.random() < 0.25 and self.hints.values:
            return copy.deepcopy(rng.choice(self.hints.values))
        kind = rng.choice(ALL_TYPES if depth < MAX_DEPTH else ALL_TYPES[:5])
        if kind == "object":
            n = rng.randint(0, 2)
            return {self.some_name(): self.anything(depth + 1) for _ in range(n)}
        if kind == "array":
            return [self.anything(depth + 1) for _ in range(rng.randint(0, 2))]
        method: Callable[[Sequence[Part], int, bool], Any] = getattr(self, "gen_" + kind)
        return method([], depth, True)

    def size(self, have: int) -> int:
        """How many more members or characters to reach a size one of the schemas names."""
        sizes = [int(n) for n in self.hints.numbers if isinstance(n, int) and have < n <= 64]
        return (self.rng.choice(sizes) if sizes else have + 3) - have

    def some_name(self) -> str:
        if self.hints.names and self.rng.random() < 0.7:
            return self.rng.choice(self.hints.names)
        return self.rng.choice(("x", "extra", "a", "id", "ü"))

    def gen_null(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        return None

    def gen_boolean(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        return self.rng.random() < 0.5

    def gen_string(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        rng = self.rng
        lo = max([int(n["minLength"]) for _, n in parts if _num(n.get("minLength"))] or [0])
        his = [int(n["maxLength"]) for _, n in parts if _num(n.get("maxLength"))]
        hi = min(his) if his else None
        formats = [n["format"] for _, n in parts if isinstance(n.get("format"), str)]
        patterns = [n["pattern"] for _, n in parts if isinstance(n.get("pattern"), str)]
        keep = 0.7 if explore else 1.0
        if formats and rng.random() < keep:
            return format_sample(rng.choice(formats), rng)
        if patterns and rng.random() < keep:
            found = _xeger(self.xeger, rng.choice(patterns))
            if found is not None:
                return found
        if explore and self.hints.strings and rng.random() < 0.4:
            return rng.choice(self.hints.strings)
        top = hi if hi is not None else lo + 8
        if explore:
            length = rng.choice((lo, top, lo + 1, top - 1, rng.randint(lo, max(lo, top))))
            if rng.random() < 0.2:
                length = self.size(0)
        else:
            length = rng.randint(lo, max(lo, min(top, lo + 8)))
        length = max(0, min(length, 40))
        return "".join(rng.choice(ALPHABET) for _ in range(length))

    def gen_integer(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        value = self.number(parts, True, explore)
        return float(value) if explore and self.rng.random() < 0.1 else value

    def gen_number(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        return self.number(parts, False, explore)

    def number(self, parts: Sequence[Part], integer: bool, explore: bool) -> Any:
        rng = self.rng
        edges: list[float] = []
        lo: float | None = None
        hi: float | None = None
        for _, n in parts:
            for key, sign in (("minimum", 0), ("exclusiveMinimum", 1)):
                if _num(n.get(key)):
                    v = n[key] + (sign if integer else sign * 0.25)
                    lo = v if lo is None else max(lo, v)
                    edges += [n[key], n[key] + 1, n[key] + 0.5]
            for key, sign in (("maximum", 0), ("exclusiveMaximum", -1)):
                if _num(n.get(key)):
                    v = n[key] + (sign if integer else sign * 0.25)
                    hi = v if hi is None else min(hi, v)
                    edges += [n[key], n[key] - 1, n[key] - 0.5]
        steps = [n["multipleOf"] for _, n in parts if _num(n.get("multipleOf")) and n["multipleOf"]]
        base = -100.0 if lo is None else lo
        top = base + 200 if hi is None else hi
        if explore and rng.random() < 0.6:
            pick = rng.choice(
                [*edges, *self.hints.numbers, *[b for b in (lo, hi) if b is not None]]
            )
        elif lo is not None and rng.random() < 0.3:
            pick = lo
        else:
            pick = rng.uniform(base, max(base, top))
        if not explore and lo is not None and hi is not None and lo <= hi:
            pick = min(max(pick, lo), hi)
        if steps:
            step = steps[0]
            k = round(pick / step)
            if not explore and lo is not None and k * step < lo:
                k += 1
            pick = round(k * step, 10)
        if integer or rng.random() < 0.4:
            whole = round(pick)
            if not explore and lo is not None and whole < lo:
                whole += 1
            return int(whole)
        if explore and rng.random() < 0.3:
            pick = int(pick) + rng.choice((0.5, 0.25, 0.01))
        return pick

    def gen_object(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        rng = self.rng
        props: dict[str, list[Part]] = {}
        required: list[str] = []
        patterns: list[tuple[str, Part]] = []
        rest: list[Part] = []
        closed = False
        dep_required: dict[str, list[str]] = {}
        min_p, max_p = 0, None
        for at, n in parts:
            for name, sub in (n.get("properties") or {}).items():
                props.setdefault(name, []).append((f"{at}/properties/{escape(name)}", sub))
            required += [r for r in n.get("required") or [] if isinstance(r, str)]
            for regex, sub in (n.get("patternProperties") or {}).items():
                patterns.append((regex, (f"{at}/patternProperties/{escape(regex)}", sub)))
            for key in ("additionalProperties", "unevaluatedProperties"):
                if key in n:
                    closed = closed or n[key] is False
                    rest.append((f"{at}/{key}", n[key]))
            for key in ("dependentRequired", "dependencies"):
                for name, needs in (n.get(key) or {}).items():
                    if isinstance(needs, list):
                        dep_required.setdefault(name, []).extend(needs)
            if _num(n.get("minProperties")):
                min_p = max(min_p, int(n["minProperties"]))
            if _num(n.get("maxProperties")):
                top = int(n["maxProperties"])
                max_p = top if max_p is None else min(max_p, top)
        out: dict[str, Any] = {}
        shallow = depth >= MAX_DEPTH
        for name, subs in props.items():
            leads = any(at in self.toward for at, _ in subs)
            wanted = (
                name in required
                or (leads and rng.random() < 0.9)
                or (not shallow and rng.random() < (0.5 if explore else 0.3))
            )
            if wanted:
                out[name] = self.generate(subs, depth + 1)
        for name in required:
            if name not in out:
                out[name] = self.extra_value(name, patterns, rest, depth)
        extras = 0
        if explore and not shallow and (not closed or rng.random() < 0.1):
            extras = rng.choice((0, 1, 1, 2, 3))
            if rng.random() < 0.15:
                extras += self.size(len(out))
        elif not closed and not shallow and rng.random() < 0.05:
            extras = 1
        for i in range(extras):
            name = self.some_name()
            name = f"{name}{i}" if name in out else name
            out[name] = self.extra_value(name, patterns, rest, depth)
        if patterns and rng.random() < 0.5:
            regex, part = rng.choice(patterns)
            key = _xeger(self.xeger, regex)
            if key is not None:
                out[key] = self.generate([part], depth + 1)
        for name in list(out):
            for need in dep_required.get(name, []):
                if need not in out:
                    subs = props.get(need, [])
                    out[need] = self.generate(subs, depth + 1) if subs else self.anything(depth)
        while len(out) < min_p:
            out[f"{self.some_name()}{len(out)}"] = self.extra_value("", patterns, rest, depth)
        if max_p is not None:
            for name in [n for n in out if n not in required][: max(0, len(out) - max_p)]:
                del out[name]
        return out

    def extra_value(
        self, name: str, patterns: list[tuple[str, Part]], rest: list[Part], depth: int
    ) -> Any:
        matching = [part for regex, part in patterns if _search(regex, name)]
        if matching:
            return self.generate(matching, depth + 1)
        if rest and self.rng.random() < 0.9:
            return self.generate(rest, depth + 1)
        return self.anything(depth + 1)

    def gen_array(self, parts: Sequence[Part], depth: int, explore: bool) -> Any:
        rng = self.rng
        prefix: list[list[Part]] = []
        rest: list[Part] = []
        contains: list[Part] = []
        lo, hi, unique = 0, None, False
        for at, n in parts:
            tuple_key = "items" if isinstance(n.get("items"), list) else "prefixItems"
            members = n.get(tuple_key)
            if isinstance(members, list):
                for i, sub in enumerate(members):
                    while len(prefix) <= i:
                        prefix.append([])
                    prefix[i].append((f"{at}/{tuple_key}/{i}", sub))
                after = "additionalItems" if tuple_key == "items" else "items"
                if after in n:
                    rest.append((f"{at}/{after}", n[after]))
            elif "items" in n:
                rest.append((f"{at}/items", n["items"]))
            if "unevaluatedItems" in n and not rest:
                rest.append((f"{at}/unevaluatedItems", n["unevaluatedItems"]))
            if "contains" in n:
                contains.append((f"{at}/contains", n["contains"]))
            if _num(n.get("minItems")):
                lo = max(lo, int(n["minItems"]))
            if _num(n.get("maxItems")):
                hi = int(n["maxItems"]) if hi is None else min(hi, int(n["maxItems"]))
            unique = unique or n.get("uniqueItems") is True
        closed = any(p[1] is False for p in rest)
        leads = any(at in self.toward for part in [*prefix, rest] for at, _ in part)
        if explore:
            choices = [lo, lo + 1, len(prefix), len(prefix) + 1, rng.randint(0, 3)]
            choices += [hi, hi - 1] if hi is not None else []
            length = rng.choice(choices) if rng.random() < 0.85 else self.size(0)
        else:
            length = max(lo, len(prefix), 1 if leads else rng.randint(0, 2))
        if closed and rng.random() < 0.8:
            length = min(length, len(prefix))
        length = max(lo, length if hi is None else min(length, hi))
        length = min(length, (64 if explore else 6) if depth < MAX_DEPTH else lo)
        out = []
        for i in range(length):
            if i < len(prefix):
                out.append(self.generate(prefix[i], depth + 1))
            elif rest:
                out.append(self.generate(rest, depth + 1))
            else:
                out.append(self.anything(depth + 1))
        if contains and (out or rng.random() < 0.5):
            value = self.generate(contains, depth + 1)
            if out and rng.random() < 0.5:
                out[rng.randrange(len(out))] = value
            else:
                out.append(value)
        if explore and out and rng.random() < (0.05 if unique else 0.2):
            out.append(copy.deepcopy(rng.choice(out)))
        return out


def _search(regex: str, name: str) -> bool:
    try:
        return re.search(regex, name) is not None
    except re.error:
        return False


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
