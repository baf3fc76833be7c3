"""Witnesses: concrete events that prove a compatibility finding.

A witness for a change is a whole event valid under the writer schema and invalid under the
reader schema, both checked with the real ``jsonschema`` validator of each side's dialect. The
writer is checked with format assertions on, so the event is valid even for consumers that
check formats. When no witness is found the result says so and why; nothing is invented.

The search, for one change: values valid under the writer node (``sample.candidates``, steered
by probes taken from the reader node: just past its bounds, the names it adds, the values its
``not`` forbids, the enum values it dropped) that the reader node rejects are put at the
change's instance path into an event built from the writer root, and the whole event is
verified; then the same one level up, and so on to the whole event; last, the changed node's
children that both sides give a schema (a finding about a node as a whole, such as a type wrapped
in ``anyOf``, often breaks only below it). Every step is bounded and deterministic: the same
inputs always give the same witness.

Cost: the writer's sample is tried before the hinted candidate stream is built (it is the
witness about half the time); node-level checks and most whole-event checks are answered by
``quick_check`` (a three-valued check of the common keywords; when it is unsure ``jsonschema``
decides), but an event is reported only after ``jsonschema`` has validated it under both roots.
The levels above the changed node get ``_MAX_ENCLOSING`` candidates, and a level is given up
after ``_MAX_FUTILE`` values in a row that pass the node checks yet prove nothing. Registries,
validators and pure samples live in ``witness_sides``, shared by the finders of a thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain, filterfalse, islice
from typing import Any, Final

from evreg.contracts import pointer
from evreg.contracts.compat.diff import EXTRA_PROPERTY
from evreg.contracts.compat.diff.schema_view import view_for
from evreg.contracts.compat.matching import PatternError
from evreg.contracts.compat.proofs.inclusion import Inclusion
from evreg.contracts.compat.report import Change, slot_init
from evreg.contracts.compat.witness.candidates import NO_HINTS, Hints, Sampler, put
from evreg.contracts.compat.witness.constraints import MISSING, Node, Nodes, canon, nodes_key
from evreg.contracts.compat.witness.reasons import no_event_reason
from evreg.contracts.compat.witness.regex_strings import regex_strings
from evreg.contracts.compat.witness.sides import Root, Side, proves, rejects, side_for
from evreg.contracts.model import SchemaRef

__all__ = ["SEARCH", "Limits", "WitnessFinder", "WitnessResult"]

_MAX_EVENTS: Final = 600  # whole events validated by one find()
_MAX_LOCAL: Final = 3000  # candidates checked against the reader node by one find()
_MAX_GAP: Final = 100  # enum values missing from the reader, tried first
# Candidates tried at each enclosing level, once the changed node's own candidates are spent.
# A witness found there is found among the first few (the stream starts with the sample and the
# reader's probes); past that the search is almost always hopeless, and was its costliest part.
_MAX_ENCLOSING: Final = 32
# Values in a row that pass the node-level checks and still give no witness in any event: the
# changed node does not decide the whole event there (a witness, when there is one, is nearly
# always the first such value), so the level is given up.
_MAX_FUTILE: Final = 12
# Stages below the changed node (its children both sides give a schema, two levels down), tried
# last, each with _MAX_ENCLOSING candidates
_MAX_BELOW: Final = 8
_MAX_BELOW_DEPTH: Final = 2
# Searches one finder makes: a change of thousands of properties gives thousands of findings,
# each one a search (~0.4 ms to a few ms); past this many, findings say that none was searched.
MAX_SEARCHES: Final = 200
_NAMED_BY_PATH: Final = (
    *("properties", "required", "dependencies", "dependentRequired", "dependentSchemas"),
)
_DEPENDENCY_KEYWORDS: Final = ("dependencies", "dependentSchemas")
_FRESH: Final = ("extra", *(f"extra{i}" for i in range(2, 100)))
_NONE: Final[frozenset[str]] = frozenset()
NO_EVENT: Final = (
    "no event can show this change: the reader's schema here accepts every value the writer's "
    "allows (the policy calls the change breaking all the same)"
)


@slot_init
@dataclass(frozen=True, slots=True)
class WitnessResult:
    found: bool
    value: Any = None  # the whole event, when found
    note: str | None = None  # why there is none, when not found


def _named(path: str) -> str | None:
    """The property a change path names (``#/properties/a~1b`` -> ``a/b``), if any."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[-2] in _NAMED_BY_PATH:
        return parts[-1].replace("~1", "/").replace("~0", "~")
    return None


class _Role:
    """One side as this finder uses it: the shared side, and this finder's own sampler (made
    on first use: a search that succeeds with the writer's sample never reads the reader's)."""

    __slots__ = ("_sampler", "side")

    def __init__(self, side: Side) -> None:
        self.side = side
        self._sampler: Sampler | None = None

    @property
    def sampler(self) -> Sampler:
        if self._sampler is None:
            self._sampler = Sampler(self.side.ref.draft, self.side.memo)
        return self._sampler


@dataclass(frozen=True, slots=True, eq=False)
class Limits:
    """The bounds of one search (see the constants above). Compared and hashed by identity:
    a finder's memo of results is keyed by the limits its searches were made with."""

    events: int = _MAX_EVENTS
    local: int = _MAX_LOCAL
    enclosing: int = _MAX_ENCLOSING
    futile: int = _MAX_FUTILE
    explore: bool = True  # False: only the focused candidates (Sampler.focused)
    # focused only: at the changed node's own stage (of the first instance path), the first
    # `head` values of the exploring candidate stream after the focused ones (see _FIRST)
    head: int = 0


SEARCH: Final = Limits()  # a witness for a finding
# The focused first search also tries, at the changed node itself, the head of the stream the
# exploring search tries there first: where the focused values miss (a narrowed number type, an
# additionalProperties removed, an item added to a tuple), the witness is nearly always among its
# first values, and is then found without a second search. The exploring search would report the
# same event: it tries the same values at the same stage first (the enum gap, the sample, then
# this stream), with looser bounds, and any of them it reaches before the first one that proves
# the change the focused search tried too (or a focused value equal to it, which proved nothing).
_FIRST: Final = Limits(events=8, local=32, enclosing=4, futile=4, explore=False, head=12)


class _Budget:
    """What one search has spent: whole events validated, candidates checked."""

    __slots__ = ("events", "limits", "local")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.events = 0
        self.local = 0

    @property
    def spent(self) -> bool:
        return self.events >= self.limits.events or self.local >= self.limits.local


# nodes, instance path, reader node, hints (made when first needed), most candidates to try
_Stage = tuple[Nodes, tuple[str | int, ...], Node | None, Callable[[], Hints], int | None]


class WitnessFinder:
    """Finds witnesses for changes between one writer and one reader schema.

    Built once per (writer, reader) pair and cheap to build: registries, validators, samples
    and candidates are created on first use and memoised for later ``find`` calls.
    """

    def __init__(
        self, writer: SchemaRef, reader: SchemaRef, plain: Callable[[Any], bool] | None = None
    ) -> None:
        """``plain``: the reader's view's ``plain`` (``schema_view``), when the caller has the
        view at hand already."""
        self._refs = (writer, reader)
        self._plain = plain
        self._inclusion: Inclusion | None = None
        self._ready = False  # the rest is made on first use: most finders are never asked
        self._writer: _Role
        self._reader: _Role
        self._roots: tuple[Root | None, Root | None] | None  # read when first searched
        self._formats: bool | None  # a `format` keyword on either side (read when needed)
        self._mixed: bool  # an event proved the change under one reading of `format` only
        self._results: dict[tuple[Any, ...], WitnessResult]
        self._shells: dict[tuple[str | int, ...], list[Any]]
        self._proven: dict[str, bool]  # the real validator's verdicts on whole events
        self._either: dict[str, bool]  # the same with the other reading of `format`

    def _prepare(self) -> None:
        writer_ref, reader_ref = self._refs
        writer, reader = side_for(writer_ref, writer=True), side_for(reader_ref, writer=False)
        self._writer, self._reader = _Role(writer), _Role(reader)
        self._roots = None
        self._formats = None
        self._mixed = False
        self._results, self._shells, self._proven, self._either = {}, {}, {}, {}
        self._ready = True

    def verify(self, instance: Any) -> bool:
        """``instance`` is valid under the writer schema and invalid under the reader schema."""
        if not self._ready:
            self._prepare()
        writer, reader = self._both_roots()
        if writer is None or reader is None:
            return False
        return proves(writer, reader, instance)

    def _both_roots(self) -> tuple[Root | None, Root | None]:
        """The writer's and the reader's roots, read on first use (in a search, whose errors
        become the finding's note: a root may fail to resolve)."""
        roots = self._roots
        if roots is None:
            roots = self._roots = (self._writer.side.root(), self._reader.side.root())
        return roots

    @property
    def inclusion(self) -> Inclusion:
        """The inclusion proofs between this writer and reader (memoised across calls)."""
        if self._inclusion is None:
            plain = self._plain or view_for(self._refs[1]).plain
            self._inclusion = Inclusion(*self._refs, plain)
        return self._inclusion

    def _included(self, change: Change) -> bool:
        """The reader's node accepts every value of the writer's node: no event can show the
        change (the policy calls it breaking all the same, e.g. an equivalent pattern)."""
        if change.writer_node is None or change.reader_node is None:
            return False
        writer_ref, reader_ref = self._refs
        try:
            writer = pointer.resolve(writer_ref.document, change.writer_node)
            reader = pointer.resolve(reader_ref.document, change.reader_node)
        except LookupError:
            return False
        return self.inclusion.holds(reader, writer)

    def _either_format_reading(self, event: Any) -> bool:
        """``event`` proves the change whether ``format`` is read as an assertion (as the
        search does for the writer) or as an annotation (the default): valid under the writer
        and rejected by the reader both ways."""
        if self._formats is None:
            self._formats = self._writer.side.uses_formats() or self._reader.side.uses_formats()
        if not self._formats:
            return True  # no `format` anywhere: both readings are the same
        key = json.dumps(event, sort_keys=True, default=str)
        known = self._either.get(key)
        if known is None:
            writer_ref, reader_ref = self._refs
            writer = side_for(writer_ref, writer=False).root()
            reader = side_for(reader_ref, writer=True).root()
            known = writer is not None and reader is not None and proves(writer, reader, event)
            self._either[key] = known
        return known

    def find(self, change: Change, limits: Limits = SEARCH) -> WitnessResult:
        """A whole event proving ``change`` breaks, or found=False with the reason."""
        if not self._ready:
            self._prepare()
        path = tuple(change.instance_path)
        key = (change.writer_node, change.reader_node, path, change.path, limits)
        result = self._results.get(key)
        if result is None and len(self._results) >= MAX_SEARCHES:
            return _none(
                f"not searched: witnesses were already searched for {MAX_SEARCHES} findings "
                "between these two schemas"
            )
        if result is None:
            try:
                result = self._first(change, path, limits)
            except RecursionError:
                result = _none("the schemas nest too deeply to search for a witness")
            except PatternError:
                raise  # a pattern that cannot be evaluated, or over budget: the check's error
            except Exception as exc:  # never let a witness search break a compatibility check
                result = _none(f"the witness search failed ({type(exc).__name__}: {exc})")
            self._results[key] = result
        if not result.found:
            return result
        return WitnessResult(True, _copy(result.value))

    def _first(self, change: Change, path: tuple[str | int, ...], limits: Limits) -> WitnessResult:
        """A focused search first (most witnesses are among its first values); then, unless
        inclusion proves that no event can show the change, the search within ``limits``.
        Before both: a place where no event can show a change (``reasons``) is not searched."""
        reason = no_event_reason(*self._refs, change.path, change.writer_node, change.reader_node)
        if reason is not None:
            return _none(reason)
        if limits.explore:
            quick = self._search(change, path, _FIRST)
            if quick.found:
                return quick
        writer = self._both_roots()[0]
        empty = writer is not None and self._writer.sampler.sample((writer,)) is MISSING
        if not empty and self._included(change):
            return _none(NO_EVENT)
        result = self._search(change, path, limits)
        if not result.found and self._mixed:
            return _none(
                "the only events found prove the change only if `format` is asserted on one "
                "side and not on the other, so none is reported"
            )
        return result

    def _search(self, change: Change, path: tuple[str | int, ...], limits: Limits) -> WitnessResult:
        writer, reader = self._both_roots()
        if writer is None or reader is None:
            role = self._writer if writer is None else self._reader
            which = "writer" if writer is None else "reader"
            return _none(f"the {which} schema could not be resolved at {role.side.ref.pointer}")
        budget = _Budget(limits)
        seen: set[tuple[Any, ...]] = set()
        head = limits.head
        concretes = (
            [path] if EXTRA_PROPERTY not in path else self._concrete(change, path, writer, reader)
        )
        for concrete in concretes:
            stages = self._stages(change, concrete, writer, reader, seen, limits.enclosing)
            if limits.explore:
                stages = chain(stages, self._below(change, concrete, seen, limits.enclosing))
            for nodes, at, reader_node, hints, limit in stages:
                # the head only where the exploring search tries its whole stream first: the
                # first stage of the first instance path, if it is the changed node's own
                own = head if limit is None and at == concrete else 0
                head = 0
                event = self._stage(
                    writer,
                    reader,
                    nodes,
                    at,
                    reader_node,
                    hints,
                    budget,
                    limit,
                    limits.explore,
                    own,
                )
                if event is not MISSING:
                    return WitnessResult(True, event)
                if budget.spent:
                    break
        if self._writer.sampler.sample((writer,)) is MISSING:
            return _none(
                "no event valid under the writer schema could be built (it may accept none), "
                "so no event can show this change"
            )
        return _none(
            "no event valid under the writer schema and rejected by the reader schema was "
            f"found among {budget.local} candidates ({budget.events} whole events checked): "
            "the change may be safe in practice"
        )

    def _concrete(
        self, change: Change, path: tuple[str | int, ...], writer: Node, reader: Node
    ) -> list[tuple[str | int, ...]]:
        """Instance paths with the diff's "some undeclared property" key (in ``path``) made a
        real name.

        A name matching a patternProperties regex of the changed nodes is tried first, then a
        name that neither side declares (one that additionalProperties governs).
        """
        patterns: list[str] = []
        for node_pointer in (change.writer_node, change.reader_node):
            parts = (node_pointer or "").split("/")
            patterns += [
                parts[i + 1].replace("~1", "/").replace("~0", "~")
                for i in range(len(parts) - 1)
                if parts[i] == "patternProperties"
            ]
        options: list[str | None] = [
            next((n for n in regex_strings(p) if n), None) for p in dict.fromkeys(patterns)
        ]
        out: list[tuple[str | int, ...]] = []
        for option in [*(o for o in options if o), None]:
            concrete: list[str | int] = []
            for seg in path:
                if seg == EXTRA_PROPERTY:
                    seg = option or self._fresh(tuple(concrete), writer, reader)
                concrete.append(seg)
            if tuple(concrete) not in out:
                out.append(tuple(concrete))
        return out[:3]

    def _fresh(self, at: tuple[str | int, ...], writer: Node, reader: Node) -> str:
        """A property name neither side declares in the objects at ``at``."""
        w_nodes = self._writer.sampler.nodes_at((writer,), at) or ()
        r_nodes = self._reader.sampler.nodes_at((reader,), at) or ()
        for name in _FRESH:
            if not self._writer.sampler.declares(w_nodes, name) and not (
                self._reader.sampler.declares(r_nodes, name)
            ):
                return name
        return EXTRA_PROPERTY

    def _stages(
        self,
        change: Change,
        path: tuple[str | int, ...],
        writer: Node,
        reader: Node,
        seen: set[tuple[Any, ...]],
        enclosing: int,
    ) -> Iterator[_Stage]:
        """Where to look: the changed node at its path, then each enclosing level to the root.

        Lazy, so that nothing is prepared for the levels a witness makes unnecessary.
        """
        w_node = self._writer.side.node(change.writer_node) if change.writer_node else None
        if change.writer_node is None or w_node is not None:
            r_node = self._reader.side.node(change.reader_node) if change.reader_node else None
            nodes: Nodes = (w_node,) if w_node is not None else ()
            if _fresh_stage(seen, nodes, path, r_node):
                yield nodes, path, r_node, partial(self._hints, change, nodes, r_node), None
            if not path and r_node is not None and r_node[0] is reader[0]:
                # the whole event was the changed node, checked against the reader root itself:
                # the root level would try the same values again, against the same schema
                _fresh_stage(seen, nodes, path, None)
        levels = range(len(path) - 1 if path else 0, -1, -1) if enclosing else range(0)
        for depth in levels:
            at = path[:depth]
            found = self._writer.sampler.nodes_at((writer,), at)
            if found is None or not _fresh_stage(seen, found, at, None):
                continue
            r_nodes = self._reader.sampler.nodes_at((reader,), at)
            r_at = r_nodes[0] if r_nodes and len(r_nodes) == 1 else None
            hints = partial(self._hints, change, found, r_at, at == path)
            yield found, at, None, hints, enclosing

    def _below(
        self,
        change: Change,
        path: tuple[str | int, ...],
        seen: set[tuple[Any, ...]],
        limit: int,
    ) -> Iterator[_Stage]:
        """Where to look last: the children of the changed node that both sides give a schema
        (a property the reader declares, an item), one and two levels down, each against the
        reader's child. A finding about the node as a whole (its type changed by a wrapping
        ``anyOf``, an ``if``/``then`` added) often breaks only below it."""
        if change.writer_node is None or change.reader_node is None:
            return
        w_node, r_node = (
            self._writer.side.node(change.writer_node),
            self._reader.side.node(change.reader_node),
        )
        if w_node is None or r_node is None:
            return
        level: list[tuple[tuple[str | int, ...], Nodes, Nodes]] = [(path, (w_node,), (r_node,))]
        stages = 0
        for _ in range(_MAX_BELOW_DEPTH):
            deeper: list[tuple[tuple[str | int, ...], Nodes, Nodes]] = []
            for at, w_nodes, r_nodes in level:
                for seg in self._shared_children(w_nodes, r_nodes):
                    w_child = self._writer.sampler.nodes_at(w_nodes, (seg,))
                    r_child = self._reader.sampler.nodes_at(r_nodes, (seg,))
                    if not w_child or not r_child:
                        continue
                    deeper.append(((*at, seg), w_child, r_child))
                    r_one = r_child[0] if len(r_child) == 1 else None
                    if r_one is None or not _fresh_stage(seen, w_child, (*at, seg), r_one):
                        continue
                    hints = partial(self._hints, change, w_child, r_one, False)
                    yield w_child, (*at, seg), r_one, hints, limit
                    stages += 1
                    if stages >= _MAX_BELOW:
                        return
            level = deeper

    def _shared_children(self, writer: Nodes, reader: Nodes) -> list[str | int]:
        """Instance steps below both nodes: the reader's declared properties that the writer
        declares or allows, and the first item of arrays on both sides."""
        w_flats, r_flats = self._writer.sampler.flats(writer), self._reader.sampler.flats(reader)
        if not w_flats or not r_flats:
            return []
        w_flat, r_flat = w_flats[0], r_flats[0]
        names = [name for name in r_flat.props if w_flat.child(name) is not None]
        out: list[str | int] = list(names[:_MAX_BELOW])
        if w_flat.item(0) is not None and (r_flat.prefix or r_flat.rest):
            out.append(0)
        return out

    def _hints(self, change: Change, nodes: Nodes, reader: Node | None, here: bool = True) -> Hints:
        """Probes from the reader node: just past its bounds, and the names it declares anew."""
        named = _named(change.path) if here else None
        probes = NO_HINTS if reader is None else self._reader.sampler.probes((reader,))
        if not named:  # (None, or the empty name, which the search never prepends)
            # the first 12 of the reader's names (distinct already) that the writer does not
            # declare, read no further (the reader may declare 100,000 names)
            declared = self._writer.sampler.declared_names(nodes) if probes.names else _NONE
            names = tuple(islice(filterfalse(declared.__contains__, probes.names), 12))
            present: tuple[str, ...] = ()
        else:
            names, present = self._named_hints(change, nodes, reader, named, probes)
        return Hints(
            names,
            probes.values,
            probes.lengths,
            probes.numbers,
            probes.items,
            probes.props,
            present,
            probes.named,
        )

    def _named_hints(
        self, change: Change, nodes: Nodes, reader: Node | None, named: str, probes: Hints
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The names to try and those always present, where the change names a property."""
        declared = self._writer.sampler.declared_names(nodes)
        # a schema dependency applies to the whole object once its property is there: the names
        # it constrains are where an object with that property can break it
        dependency = _dependency(change.path, reader)
        inner = () if dependency is None else self._reader.sampler.probes((dependency,)).names
        # lazily: the reader may declare 100,000 names, and only the first 12 new ones are used
        fresh = (n for n in chain(inner, probes.names) if n not in declared or n in inner)
        names = _first_distinct(chain((named,), fresh), 12)
        return names, (named,) if dependency is not None else ()

    def _enum_gap(self, nodes: Nodes, reader: Node) -> tuple[Any, ...]:
        """Values of a writer enum that a reader enum lacks (tried first: enums can be long)."""
        ours = self._writer.sampler.enum_values(nodes)
        theirs = None if ours is None else self._reader.sampler.enum_values((reader,))
        if ours is None or theirs is None:
            return ()
        kept = {canon(v) for v in theirs}
        return tuple(v for v in ours if canon(v) not in kept)[:_MAX_GAP]

    def _stage(
        self,
        writer: Root,
        reader: Root,
        nodes: Nodes,
        at: tuple[str | int, ...],
        reader_node: Node | None,
        hints: Callable[[], Hints],
        budget: _Budget,
        limit: int | None,
        explore: bool,
        more: int = 0,
    ) -> Any:
        """The first event of this stage (``writer`` and ``reader``: the roots) that proves the
        change, or MISSING. ``limit`` None: the changed node's own stage. ``more``: after the
        focused values, that many values of the exploring stream."""
        sampler = self._writer.sampler
        shells = self._shells.get(at)
        if shells is None:
            shells = self._shells[at] = sampler.with_path((writer,), at)
        if not shells:
            return MISSING
        first = sampler.sample(nodes)
        # the candidate stream starts with the sample: try it before building the stream,
        # whose hints take longer to make than most searches take to succeed
        head = () if first is MISSING else (first,)
        if explore:
            rest = _after(first, lambda: sampler.candidates(nodes, hints(), checked=False))
        elif more:
            rest = _distinct_after(first, lambda: _with_head(sampler, nodes, hints(), more))
        else:
            rest = _distinct_after(first, lambda: sampler.focused(nodes, hints()))
        gap = () if reader_node is None else self._enum_gap(nodes, reader_node)
        values = chain(gap, head, rest)
        # the quick screen of whole events (``proves``) pays where many events fail: at the
        # levels around the changed node, and in the exploring search (which runs where the
        # focused one failed). Not where the changed node is the whole event on both sides (the
        # node checks below are the whole event's quick checks already), nor at the changed
        # node in a focused search: there an event whose value passed the node checks nearly
        # always proves the change (and a focused search validates few events)
        screen = (explore or limit is not None) and not (
            not at and _is_root(nodes, writer) and _same_node(reader_node, reader)
        )
        limits = budget.limits
        proven = self._proven
        futile = 0
        for value in values if limit is None else islice(values, limit):
            if budget.events >= limits.events or budget.local >= limits.local:
                break
            budget.local += 1
            if reader_node is not None and not rejects(reader_node, value):
                continue  # most values are still read fine: check that first, it is cheaper
            if value is not first and not sampler.accepts(nodes, value):
                continue  # (the sample is valid: it was checked when it was made)
            for shell in shells:
                event = put(shell, at, value) if at else value  # (the root's shell is None)
                budget.events += 1
                if proves(writer, reader, event, proven, screen):
                    if self._either_format_reading(event):
                        return event
                    self._mixed = True
            futile += 1
            if futile >= limits.futile:
                break
        return MISSING


def _same_node(node: Node | None, other: Node) -> bool:
    return node is not None and node[0] is other[0] and node[1] is other[1]


def _is_root(nodes: Nodes, root: Node) -> bool:
    return len(nodes) == 1 and _same_node(nodes[0], root)


def _after(first: Any, stream: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """The values of ``stream()`` (made on first use) after its first one, ``first``."""
    values = iter(stream())
    if first is not MISSING:
        value = next(values, MISSING)
        if value is not first and value is not MISSING:  # pragma: no cover - samples are kept
            yield value
    yield from values


def _with_head(sampler: Sampler, nodes: Nodes, hints: Hints, head: int) -> Iterator[Any]:
    """The focused values, then the first ``head`` values of the exploring stream (made on
    first use; the exploring search, if it runs, reads the same memoised stream)."""
    yield from sampler.focused(nodes, hints)
    yield from islice(sampler.candidates(nodes, hints, checked=False), head)


def _distinct_after(first: Any, stream: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """The values of ``stream()`` (made on first use) without MISSING and without repeats (by
    canonical text), after its first one, ``first`` (``_after`` of those values)."""
    seen: set[str] = set()
    skip = first is not MISSING
    for value in stream():
        if value is MISSING:
            continue
        key = canon(value)
        if key in seen:
            continue
        seen.add(key)
        if skip:
            skip = False
            if value is first:
                continue
        yield value


def _dependency(path: str, reader: Node | None) -> Node | None:
    """The reader's schema dependency a change path names (``#/dependentSchemas/a``), if the
    reader node (the object) has it."""
    parts = path.split("/")
    if reader is None or len(parts) < 3 or parts[-2] not in _DEPENDENCY_KEYWORDS:
        return None
    schema, scope = reader
    deps = schema.get(parts[-2]) if isinstance(schema, dict) else None
    name = parts[-1].replace("~1", "/").replace("~0", "~")
    found = deps.get(name) if isinstance(deps, dict) else None
    return (found, scope) if isinstance(found, dict) else None


def _first_distinct(values: Iterable[str], count: int) -> tuple[str, ...]:
    """The first ``count`` distinct values, reading no further than needed."""
    out: dict[str, None] = {}
    for value in values:
        out[value] = None
        if len(out) >= count:
            break
    return tuple(out)


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (the caller may change the witness it gets)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _fresh_stage(
    seen: set[tuple[Any, ...]], nodes: Nodes, at: tuple[str | int, ...], reader: Node | None
) -> bool:
    key = (nodes_key(nodes), at, None if reader is None else id(reader[0]))
    if key in seen:
        return False
    seen.add(key)
    return True


def _none(note: str) -> WitnessResult:
    return WitnessResult(False, None, note)
