"""Candidate streams: a small valid instance of a schema node, and many diverse ones.

``Sampler.sample`` builds a small instance valid under a conjunction of nodes;
``Sampler.candidates`` streams a bounded number of diverse ones (each type allowed, boundary
lengths and numbers, every enum value, objects with each optional property present or absent
and with extra properties, arrays at their size limits, tuples with extra items...). Values are
built from the merged keywords (``constraints.Flat``) and checked with ``Context.accepts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final

from evreg.contracts.compat.constraints import (
    MISSING,
    Collector,
    Flat,
    Nodes,
    canon,
    draft_version,
    nodes_key,
)
from evreg.contracts.compat.regex_strings import regex_strings
from evreg.contracts.compat.scalars import beyond, numbers, strings, tidy
from evreg.contracts.model import DRAFT2020

__all__ = ["NO_HINTS", "Hints", "Sampler", "SamplerMemo", "put"]

_LIMITS: Final = (200, 16, 4)  # candidates per node, by nesting depth; deeper: the sample only
_MAX_FLATS: Final = 16


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


class SamplerMemo:
    """What samplers learn that depends on the nodes alone: merged keywords, samples built
    without cutting a recursion, scalar pools, probes. Samplers of the same documents (and
    scopes) may share one.
    """

    __slots__ = ("declared", "flats", "names", "probes", "samples", "scalars")

    def __init__(self) -> None:
        self.flats: dict[tuple[int, ...], list[Flat]] = {}
        self.samples: dict[tuple[int, ...], Any] = {}
        self.scalars: dict[tuple[int, str], tuple[Any, ...]] = {}
        self.probes: dict[tuple[int, ...], Hints] = {}
        self.names: dict[tuple[int, ...], tuple[str, ...]] = {}
        self.declared: dict[tuple[int, ...], frozenset[str]] = {}


class Sampler:
    """Samples and candidates for nodes of one dialect, memoised per node."""

    def __init__(self, draft: str = DRAFT2020, memo: SamplerMemo | None = None) -> None:
        self.version = draft_version(draft)
        memo = SamplerMemo() if memo is None else memo
        self._flats = memo.flats
        self._pure = memo.samples
        self._scalar_cache = memo.scalars
        self._probes = memo.probes
        self._names = memo.names
        self._declared = memo.declared
        self._samples: dict[tuple[int, ...], Any] = {}  # found while a recursion was cut
        self._cands: dict[tuple[tuple[int, ...], int, tuple[Any, ...], bool], _Lazy] = {}
        self._busy: set[tuple[int, ...]] = set()
        self._taint = 0  # recursion cut-offs met, and values read that depended on one

    # -- public -------------------------------------------------------------------------------

    def sample(self, nodes: Nodes) -> Any:
        """A small value valid under every node, or MISSING."""
        key = nodes_key(nodes)
        if key in self._pure:
            return self._pure[key]
        if key in self._samples:
            self._taint += 1
            return self._samples[key]
        if key in self._busy:
            self._taint += 1
            return MISSING
        self._busy.add(key)
        taint = self._taint
        result: Any = MISSING
        try:
            for flat in self.flats(nodes):
                result = next((v for v in self._firsts(flat) if self.accepts(nodes, v)), MISSING)
                if result is not MISSING:
                    break
        finally:
            self._busy.discard(key)
        if self._taint == taint:  # a function of the nodes alone: shared through the memo
            self._pure[key] = result
        elif result is not MISSING:
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
        key = (nodes_key(nodes), depth, hints.key(), checked)
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

    def flats(self, nodes: Nodes) -> list[Flat]:
        """The merged keyword sets of ``nodes``, one per ``anyOf``/``oneOf`` branch choice."""
        key = nodes_key(nodes)
        cached = self._flats.get(key)
        if cached is not None:
            return cached
        out: list[Flat] = []
        todo: list[dict[int, int]] = [{}]
        steps = 0
        while todo and len(out) < _MAX_FLATS and steps < 4 * _MAX_FLATS:
            steps += 1
            choices = todo.pop()
            collector = Collector(self.version, choices)
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
        key = nodes_key(nodes)
        found = self._probes.get(key)
        if found is None:
            found = self._probes[key] = self._find_probes(nodes)
        return found

    def _find_probes(self, nodes: Nodes) -> Hints:
        lengths: list[int] = []
        numbers: list[float] = []
        items: list[int] = []
        props: list[int] = []
        values: list[Any] = []
        for flat in self.flats(nodes):
            lengths += beyond(flat.min_len, flat.max_len)
            items += beyond(flat.min_items, flat.max_items)
            props += beyond(flat.min_props, flat.max_props)
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
        """Names the nodes declare or constrain: properties, required, dependencies, patterns.

        Memoised: a finder asks for them once per finding, and an object may declare 100,000.
        """
        key = nodes_key(nodes)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = self._property_names(nodes)
        return found

    def declared_names(self, nodes: Nodes) -> frozenset[str]:
        """``property_names`` as a set (memoised too)."""
        key = nodes_key(nodes)
        found = self._declared.get(key)
        if found is None:
            found = self._declared[key] = frozenset(self.property_names(nodes))
        return found

    def _property_names(self, nodes: Nodes) -> tuple[str, ...]:
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

    def _routes(self, nodes: Nodes, seg: str | int) -> list[tuple[Flat, Nodes]]:
        """The branches of ``nodes`` in which ``seg`` can exist, declaring ones first."""
        kind = "object" if isinstance(seg, str) else "array"
        routes: list[tuple[int, Flat, Nodes]] = []
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
            return [None]  # the leaf: the caller puts its own value there
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

    def _firsts(self, flat: Flat) -> Iterator[Any]:
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

    def _typed(self, flat: Flat, kind: str, depth: int, hints: Hints) -> Iterator[Any]:
        if kind == "object":
            return self._objects(flat, depth, hints.names)
        if kind == "array":
            return self._arrays(flat, depth)
        return self._scalars(flat, kind)

    def _scalars(self, flat: Flat, kind: str) -> Iterator[Any]:
        key = (id(flat), kind)
        values = self._scalar_cache.get(key)
        if values is None:
            if kind == "null":
                values = (None,)
            elif kind == "boolean":
                values = (True, False)
            elif kind == "string":
                values = tuple(strings(flat))
            elif kind in ("integer", "number"):
                values = tuple(numbers(flat, kind == "integer"))
            else:
                values = ()
            self._scalar_cache[key] = values  # flats are memoised, so their ids are stable
        return iter(values)

    def _object(self, flat: Flat, force: Sequence[str] = (), skip: str | None = None) -> Any:
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

    def _hinted(self, flat: Flat, hints: Hints) -> Iterator[Any]:
        """Values of ``flat`` at the hinted lengths, numbers, sizes and property counts."""
        kinds = flat.type_order()
        if "string" in kinds:
            stems = [""] if not flat.patterns else list(regex_strings(flat.patterns[0])[:3])
            for n in hints.lengths:
                yield from (stem + "a" * (n - len(stem)) for stem in stems if len(stem) <= n)
        if "number" in kinds or "integer" in kinds:
            yield from (tidy(x) for x in hints.numbers)
        if "array" in kinds:
            yield from (self._array(flat, n) for n in hints.items)
        if "object" in kinds:
            yield from (self._object_of(flat, n) for n in hints.props)

    def _object_of(self, flat: Flat, size: int) -> Any:
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

    def _objects(self, flat: Flat, depth: int, names: tuple[str, ...]) -> Iterator[Any]:
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

    def _vary_prop(self, flat: Flat, name: str, depth: int) -> Iterator[Any]:
        child = flat.child(name)
        shell = MISSING if child is None else self._object(flat, (name,), skip=name)
        if child is None or shell is MISSING:
            return
        for value in self.candidates(child, depth=depth + 1):
            yield {**shell, name: value}

    def _array(self, flat: Flat, length: int = 0, skip: int | None = None) -> Any:
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
                self._taint += 1  # read from a stream, which may have met a recursion cut-off
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

    def _arrays(self, flat: Flat, depth: int) -> Iterator[Any]:
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

    def _vary_item(self, flat: Flat, index: int, depth: int) -> Iterator[Any]:
        child = flat.item(index)
        shell = MISSING if child is None else self._array(flat, index + 1, skip=index)
        if child is None or shell is MISSING:
            return
        for value in self.candidates(child, depth=depth + 1):
            yield _put(shell, (index,), value)
