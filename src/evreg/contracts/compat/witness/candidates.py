"""Candidate streams: a small valid instance of a schema node, and many diverse ones.

``Sampler.sample`` builds a small instance valid under a conjunction of nodes;
``Sampler.candidates`` streams a bounded number of diverse ones (each type allowed, boundary
lengths and numbers, every enum value, objects with each optional property present or absent
and with extra properties, arrays at their size limits, tuples with extra items...). Values are
built from the merged keywords (``constraints.Flat``) and checked with ``Context.accepts``.
``Sampler`` extends ``branches.Branches``, which merges the keywords (one set per branch choice)
and reads what needs no value built: probes, property names, the branches a path runs through.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, islice
from typing import Any, Final

from evreg.contracts.compat.matching import PatternError
from evreg.contracts.compat.witness.branches import Branches, SamplerMemo
from evreg.contracts.compat.witness.constraints import (
    MISSING,
    Flat,
    Nodes,
    canon,
    nodes_key,
)
from evreg.contracts.compat.witness.regex_strings import regex_strings
from evreg.contracts.compat.witness.scalars import numbers, strings, tidy
from evreg.contracts.compat.witness.streams import NO_HINTS, Hints, Lazy, put, roundrobin
from evreg.contracts.model import DRAFT2020

__all__ = ["NO_HINTS", "Hints", "Sampler", "put"]

_LIMITS: Final = (200, 16, 4)  # candidates per node, by nesting depth; deeper: the sample only
_MAX_VARIANTS: Final = 1000  # distinct values made up for a unique array
# focused candidates: branches, enum values, hinted names and values per name
_MAX_FOCUSED_FLATS: Final = 4
_MAX_FOCUSED_ENUM: Final = 16
_MAX_FOCUSED_NAMES: Final = 8
_MAX_FOCUSED_VALUES: Final = 4


class Sampler(Branches):
    """Samples and candidates for nodes of one dialect, memoised per node."""

    def __init__(self, draft: str = DRAFT2020, memo: SamplerMemo | None = None) -> None:
        memo = SamplerMemo() if memo is None else memo
        super().__init__(draft, memo)
        self._pure = memo.samples
        self._scalar_cache = memo.scalars
        self._samples: dict[tuple[int, ...], Any] = {}  # found while a recursion was cut
        self._cands: dict[tuple[tuple[int, ...], int, tuple[Any, ...], bool], Lazy] = {}
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
    ) -> Lazy:
        """A memoised stream of values valid under every node, the sample first.

        ``hints`` apply to the top-level values only. ``checked=False`` skips the validation of
        the top-level values (nested ones are still checked), for a caller that validates them
        anyway, in a cheaper order.
        """
        key = (nodes_key(nodes), depth, hints.key(), checked)
        lazy = self._cands.get(key)
        if lazy is None:
            lazy = self._cands[key] = Lazy(self._stream(nodes, hints, depth, checked))
        return lazy

    def focused(self, nodes: Nodes, hints: Hints) -> Iterator[Any]:
        """The values worth trying first, without exploring (unchecked, possibly repeated):
        the sample, the hinted values and sizes, each hinted name with a few values, each
        optional property present, the enum values, and one value of each type allowed."""
        first = self.sample(nodes)
        if first is not MISSING:
            yield first
        yield from hints.values
        for flat in self.flats(nodes)[:_MAX_FOCUSED_FLATS]:
            if flat.enum is not None:
                yield from flat.enum[:_MAX_FOCUSED_ENUM]
                continue
            yield from self._hinted(flat, hints)
            kinds = flat.type_order()
            if "object" in kinds:
                for name in hints.names[:_MAX_FOCUSED_NAMES]:
                    varied = self._vary_prop(flat, name, 1, hints.present)
                    yield from islice(varied, _MAX_FOCUSED_VALUES)
                base = self._object(flat)
                optional = [k for k in flat.props if base is MISSING or k not in base]
                for name in optional[:_MAX_FOCUSED_NAMES]:  # each optional property, present
                    yield next(iter(self._vary_prop(flat, name, 1)), MISSING)
            for kind in kinds:
                yield next(iter(self._firsts_of(flat, kind)), MISSING)

    def accepts(self, nodes: Nodes, value: Any) -> bool:
        if value is MISSING:
            return False
        try:
            if len(nodes) == 1:  # (the common case, without a generator)
                schema, ctx = nodes[0]
                return schema is True or ctx.accepts(schema, value)
            return all(schema is True or ctx.accepts(schema, value) for schema, ctx in nodes)
        except PatternError:
            raise  # a pattern that cannot be evaluated, or over budget: the check's error
        except Exception:  # an unresolvable $ref...: not provably valid
            return False

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
                out += [put(shell, (seg,), sub) for sub in self.with_path(child, rest, 2)]
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
                    streams.append(roundrobin([self._hinted(flat, hints), *typed]))
        seen: set[str] = set()
        produced = tried = 0
        for value in roundrobin(streams):
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
            yield from self._firsts_of(flat, kind)

    def _firsts_of(self, flat: Flat, kind: str) -> Iterator[Any]:
        if kind == "object":
            yield self._object(flat)
        elif kind == "array":
            yield self._array(flat)
        else:
            yield from islice(self._scalars(flat, kind), 6)

    def _typed(self, flat: Flat, kind: str, depth: int, hints: Hints) -> Iterator[Any]:
        if kind == "object":
            return self._objects(flat, depth, hints.names, hints.present)
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
        if len(obj) < flat.min_props:  # more: names a pattern matches, then fresh ones
            patterned = (s for p, _ in flat.pattern_props for s in regex_strings(p)[:3] if s)
            fresh = flat.fresh_names() if not flat.closed else iter(())
            for name in chain(patterned, fresh):
                if len(obj) >= flat.min_props:
                    break
                child = flat.child(name)
                if name not in obj and child is not None:
                    obj[name] = self.sample(child)
        return MISSING if MISSING in obj.values() else obj

    def _hinted(self, flat: Flat, hints: Hints) -> Iterator[Any]:
        """Values of ``flat`` at the hinted lengths, numbers, sizes and property counts."""
        kinds = flat.type_order()
        if "string" in kinds:
            stems = [""] if not flat.patterns else list(regex_strings(flat.patterns[0])[:3])
            for n in hints.lengths:
                yield from (stem + "a" * (n - len(stem)) for stem in stems if len(stem) <= n)
            # hinted strings (a `not` pattern's, an enum's) padded to this node's length bounds
            for value in hints.values:
                if isinstance(value, str):
                    for bound in (flat.min_len, flat.max_len):
                        if bound is not None and len(value) < bound <= len(value) + 64:
                            yield value + "a" * (bound - len(value))
        if "number" in kinds or "integer" in kinds:
            yield from (tidy(x) for x in hints.numbers)
        if "array" in kinds:
            yield from (self._array(flat, n) for n in hints.items)
        if "object" in kinds:
            yield from (self._object_of(flat, n) for n in hints.props)
            for name, values in hints.named:  # a property just past the reader's bounds
                if flat.child(name) is not None:
                    shell = self._object(flat, (*hints.present, name), skip=name)
                    if shell is not MISSING:
                        yield from ({**shell, name: value} for value in values)

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

    def _objects(
        self, flat: Flat, depth: int, names: tuple[str, ...], present: tuple[str, ...] = ()
    ) -> Iterator[Any]:
        base = self._object(flat)
        if base is MISSING:
            return
        yield base
        for name in names:  # the caller's hints come first: they are the likeliest witnesses
            yield from self._vary_prop(flat, name, depth, present)
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
        yield from roundrobin([self._vary_prop(flat, k, depth) for k in names])
        if flat.max_props is not None and not flat.closed:
            full = self._object(flat, list(flat.props))
            if full is not MISSING:
                fresh = flat.fresh_names()
                for _ in range(max(0, flat.max_props - len(full))):
                    full = {**full, next(fresh, ""): "x"}
                yield full

    def _vary_prop(
        self, flat: Flat, name: str, depth: int, present: tuple[str, ...] = ()
    ) -> Iterator[Any]:
        """Objects of ``flat`` with ``name`` (and the ``present`` names) holding each of a
        stream of values valid there."""
        child = flat.child(name)
        force = (*present, name) if name not in present else (name,)
        shell = MISSING if child is None else self._object(flat, force, skip=name)
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
                fresh = chain(self.candidates(child, depth=1), self._variants(child))
                value = next((v for v in fresh if canon(v) not in seen), MISSING)
            else:
                value = self.sample(child)
            if value is MISSING:
                return MISSING
            seen.add(canon(value))
            items.append(value)
        if flat.contains and flat.min_contains and MISSING not in items:
            return self._contained(flat, items, skip)
        return MISSING if MISSING in items else items

    def _contained(self, flat: Flat, items: list[Any], skip: int | None) -> Any:
        """``items`` with as many items matching ``contains`` as it needs: in place of others,
        or (where a tuple's items cannot match it) after them, within ``maxItems``."""
        hits = [i for i, v in enumerate(items) if self.accepts(flat.contains, v)]
        need = flat.min_contains - len(hits)
        for i in range(len(items)):
            if need <= 0:
                break
            if i != skip and i not in hits:
                value = self.sample((*(flat.item(i) or ()), *flat.contains))
                if value is not MISSING:
                    items[i] = value
                    need -= 1
        limit = len(items) + len(flat.prefix) + need
        while need > 0 and len(items) < limit:
            index = len(items)
            child = flat.item(index)
            if child is None or (flat.max_items is not None and index >= flat.max_items):
                return MISSING
            value = self.sample((*child, *flat.contains))
            if value is MISSING and index < len(flat.prefix):
                value = self.sample(child)  # a tuple's item that cannot match: fill it
            else:
                need -= 1
            if value is MISSING:
                return MISSING
            items.append(value)
        return MISSING if need > 0 else items

    def _variants(self, nodes: Nodes) -> Iterator[Any]:
        """More distinct values for a unique array than the candidate stream holds: the sample
        with a number appended (strings) or added (numbers), each checked."""
        first = self.sample(nodes)
        for i in range(_MAX_VARIANTS):
            if isinstance(first, str):
                value: Any = f"{first}{i}"
            elif isinstance(first, int) and not isinstance(first, bool):
                value = first + i + 1
            else:
                return
            if self.accepts(nodes, value):
                yield value

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
        yield from roundrobin([self._vary_item(flat, i, depth) for i in positions])

    def _vary_item(self, flat: Flat, index: int, depth: int) -> Iterator[Any]:
        child = flat.item(index)
        shell = MISSING if child is None else self._array(flat, index + 1, skip=index)
        if child is None or shell is MISSING:
            return
        for value in self.candidates(child, depth=depth + 1):
            yield put(shell, (index,), value)
