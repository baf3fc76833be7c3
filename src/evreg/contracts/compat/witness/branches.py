"""The merged keyword sets of schema nodes, one per branch choice, and what can be read from
them without building a value.

``Branches.flats`` merges the keywords of a conjunction of nodes (``constraints.Flat``), one set
per ``anyOf``/``oneOf`` branch choice; from those, ``Branches`` reads probes just past their
bounds, the property names they declare or constrain, their enum values, and the branches a path
runs through. ``candidates.Sampler`` builds values on top of it; both share a ``SamplerMemo``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from evreg.contracts.compat.matching import search
from evreg.contracts.compat.witness.constraints import (
    Collector,
    Flat,
    Nodes,
    canon,
    draft_version,
    nodes_key,
)
from evreg.contracts.compat.witness.regex_strings import regex_strings
from evreg.contracts.compat.witness.scalars import FORMATS, beyond, tidy
from evreg.contracts.compat.witness.streams import Hints
from evreg.contracts.model import DRAFT2020

__all__ = ["Branches", "SamplerMemo"]

_MAX_FLATS: Final = 16
# probes for named properties (Hints.named): properties, and values per property
_MAX_NAMED: Final = 6
_MAX_NAMED_VALUES: Final = 2


# strings of different shapes, some of which a pattern does not match
_SHAPES: Final = ("aaaaaa", "a" * 33, "n_1", "1", "A", "a-b", "a b", "", "é", "!")


def _unmatched(patterns: Sequence[str]) -> list[str]:
    """A few strings that ``patterns`` do not all match (a value or name they would reject)."""
    return [s for s in _SHAPES if not all(search(p, s) for p in patterns)][:3] if patterns else []


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


class Branches:
    """Merged keyword sets of nodes of one dialect and what they tell, memoised per node."""

    def __init__(self, draft: str = DRAFT2020, memo: SamplerMemo | None = None) -> None:
        self.version = draft_version(draft)
        memo = SamplerMemo() if memo is None else memo
        self._flats = memo.flats
        self._probes = memo.probes
        self._names = memo.names
        self._declared = memo.declared

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
            if flat.rest_false and flat.prefix:
                items.append(len(flat.prefix) + 1)  # an item past a closed tuple
            props += beyond(flat.min_props, flat.max_props)
            if flat.hi is not None:
                numbers += [flat.hi, flat.hi + 1, flat.hi + 0.5]
            if flat.lo is not None:
                numbers += [flat.lo, flat.lo - 1, flat.lo - 0.5]
            # numbers that are no multiple of a `multipleOf` (between two multiples, past the
            # lower bound when there is one)
            start = 0 if flat.lo is None else flat.lo
            numbers += [start + m / 2 for m in flat.mults[:2]]
            values += _unmatched(flat.patterns)  # strings another version may have allowed
            for sub in self.flats(flat.nots):
                values += sub.enum or ()
                for pattern in sub.patterns:
                    values += regex_strings(pattern)[:3]
                for fmt in sub.formats:
                    values += FORMATS.get(fmt, ())[:1]
            for fmt in flat.formats:  # values of that format: another alternative may take them
                values += FORMATS.get(fmt, ())[:1]
        return Hints(
            names=self.property_names(nodes),
            values=tuple(values[:50]),
            lengths=tuple(dict.fromkeys(lengths))[:8],
            numbers=tuple(dict.fromkeys(numbers))[:8],
            items=tuple(dict.fromkeys(items))[:8],
            props=tuple(dict.fromkeys(props))[:8],
            named=self._named_probes(nodes),
        )

    def _named_probes(self, nodes: Nodes) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        """For the first declared properties whose schema (with the patternProperties matching
        the name) bounds a string's length or a number: the values just past those bounds."""
        flats = self.flats(nodes)
        if not flats:
            return ()
        out: list[tuple[str, tuple[Any, ...]]] = []
        flat = flats[0]
        for name in list(flat.props)[:_MAX_NAMED]:
            child = flat.child(name)
            if not child:
                continue
            values: list[Any] = []
            for sub in self.flats(child)[:1]:
                values += ["a" * n for n in beyond(sub.min_len, sub.max_len) if n <= 1000]
                if sub.hi is not None:
                    values.append(tidy(sub.hi + 1))
                if sub.lo is not None:
                    values.append(tidy(sub.lo - 1))
            if values:
                out.append((name, tuple(values[:_MAX_NAMED_VALUES])))
        return tuple(out)

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
            for sub in self.flats(flat.names):  # what propertyNames allows or forbids
                names += [v for v in sub.enum or () if isinstance(v, str)]
                if sub.max_len is not None and sub.max_len < 1000:
                    names.append("n" * (sub.max_len + 1))  # a name too long for it
                if sub.min_len > 1:
                    names.append("n")  # a name too short for it
                names += _unmatched(sub.patterns)
                for forbidden in self.flats(sub.nots):
                    names += [v for v in forbidden.enum or () if isinstance(v, str)]
            for key, deps in flat.dep_required.items():
                names += [key, *deps]
            for pattern, _ in flat.pattern_props:
                names += [s for s in regex_strings(pattern)[:2] if s]
        return tuple(dict.fromkeys(names))

    def enum_values(self, nodes: Nodes) -> tuple[Any, ...] | None:
        """Every value ``nodes`` allow when each branch is an enum (or const), else None."""
        flats = self.flats(nodes)
        if len(flats) == 1:  # (the common case: no branches)
            return flats[0].enum
        for flat in flats:
            if flat.enum is None:
                return None
        if not flats:
            return None
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
