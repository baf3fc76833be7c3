"""Witnesses: concrete events that prove a compatibility finding.

A witness for a change is a whole event valid under the writer schema and invalid under the
reader schema, both checked with the real ``jsonschema`` validator of each side's dialect. The
writer is checked with format assertions on, so the event is valid even for consumers that
check formats. When no witness is found the result says so and why; nothing is invented.

The search, for one change: values valid under the writer node (``sample.candidates``, steered
by probes taken from the reader node: just past its bounds, the names it adds, the values its
``not`` forbids, the enum values it dropped) that the reader node rejects are put at the
change's instance path into an event built from the writer root, and the whole event is
verified; then the same one level up, and so on to the whole event. Every step is bounded and
deterministic: the same inputs always give the same witness.

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
from itertools import chain, islice
from typing import Any, Final

from evreg.contracts.compat.candidate_streams import NO_HINTS, Hints, Sampler, put
from evreg.contracts.compat.constraints import MISSING, Node, Nodes, canon
from evreg.contracts.compat.jsonschema_diff import EXTRA_PROPERTY
from evreg.contracts.compat.regex_strings import regex_strings
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.witness_sides import Side, proves, rejects, side_for
from evreg.contracts.model import SchemaRef

__all__ = ["WitnessFinder", "WitnessResult"]

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
# Searches one finder makes: a change of thousands of properties gives thousands of findings,
# each one a search (~0.4 ms to a few ms); past this many, findings say that none was searched.
MAX_SEARCHES: Final = 200
_NAMED_BY_PATH: Final = (
    *("properties", "required", "dependencies", "dependentRequired", "dependentSchemas"),
)
_FRESH: Final = ("extra", *(f"extra{i}" for i in range(2, 100)))


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
    """One side as this finder uses it: the shared side, and this finder's own sampler."""

    __slots__ = ("node", "ref", "root", "sampler")

    def __init__(self, side: Side) -> None:
        self.ref = side.ref
        self.node = side.node
        self.root = side.root
        self.sampler = Sampler(side.ref.draft, side.memo)


@dataclass(slots=True)
class _Budget:
    events: int = 0
    local: int = 0

    @property
    def spent(self) -> bool:
        return self.events >= _MAX_EVENTS or self.local >= _MAX_LOCAL


# nodes, instance path, reader node, hints (made when first needed), most candidates to try
_Stage = tuple[Nodes, tuple[str | int, ...], Node | None, Callable[[], Hints], int | None]


class WitnessFinder:
    """Finds witnesses for changes between one writer and one reader schema.

    Built once per (writer, reader) pair and cheap to build: registries, validators, samples
    and candidates are created on first use and memoised for later ``find`` calls.
    """

    def __init__(self, writer: SchemaRef, reader: SchemaRef) -> None:
        self._refs = (writer, reader)
        self._ready = False
        self._writer: _Role  # both built on first use: most finders are never asked
        self._reader: _Role
        self._results: dict[tuple[Any, ...], WitnessResult] = {}
        self._shells: dict[tuple[str | int, ...], list[Any]] = {}
        self._proven: dict[str, bool] = {}  # the real validator's verdicts on whole events
        self._either: dict[str, bool] = {}  # the same with the other reading of `format`

    def _prepare(self) -> None:
        if not self._ready:
            writer, reader = self._refs
            self._writer = _Role(side_for(writer, writer=True))
            self._reader = _Role(side_for(reader, writer=False))
            self._ready = True

    def verify(self, instance: Any) -> bool:
        """``instance`` is valid under the writer schema and invalid under the reader schema."""
        self._prepare()
        writer, reader = self._writer.root(), self._reader.root()
        if writer is None or reader is None:
            return False
        return proves(writer, reader, instance)

    def _either_format_reading(self, event: Any) -> bool:
        """``event`` proves the change whether ``format`` is read as an assertion (as the
        search does for the writer) or as an annotation (the default): valid under the writer
        and rejected by the reader both ways."""
        key = json.dumps(event, sort_keys=True, default=str)
        known = self._either.get(key)
        if known is None:
            writer_ref, reader_ref = self._refs
            writer = _Role(side_for(writer_ref, writer=False)).root()
            reader = _Role(side_for(reader_ref, writer=True)).root()
            known = writer is not None and reader is not None and proves(writer, reader, event)
            self._either[key] = known
        return known

    def find(self, change: Change) -> WitnessResult:
        """A whole event proving ``change`` breaks, or found=False with the reason."""
        self._prepare()
        path = tuple(change.instance_path)
        key = (change.writer_node, change.reader_node, path, change.path)
        result = self._results.get(key)
        if result is None and len(self._results) >= MAX_SEARCHES:
            return _none(
                f"not searched: witnesses were already searched for {MAX_SEARCHES} findings "
                "between these two schemas"
            )
        if result is None:
            try:
                result = self._search(change, path)
                if result.found and not self._either_format_reading(result.value):
                    result = _none(
                        "the only events found prove the change only if `format` is asserted "
                        "on one side and not on the other, so none is reported"
                    )
            except RecursionError:
                result = _none("the schemas nest too deeply to search for a witness")
            except Exception as exc:  # never let a witness search break a compatibility check
                result = _none(f"the witness search failed ({type(exc).__name__}: {exc})")
            self._results[key] = result
        if not result.found:
            return result
        return WitnessResult(True, _copy(result.value))

    def _search(self, change: Change, path: tuple[str | int, ...]) -> WitnessResult:
        writer, reader = self._writer.root(), self._reader.root()
        if writer is None or reader is None:
            side = self._writer if writer is None else self._reader
            which = "writer" if writer is None else "reader"
            return _none(f"the {which} schema could not be resolved at {side.ref.pointer}")
        budget = _Budget()
        seen: set[tuple[Any, ...]] = set()
        for concrete in self._concrete(change, path, writer, reader):
            stages = self._stages(change, concrete, writer, reader, seen)
            for nodes, at, reader_node, hints, limit in stages:
                event = self._stage(nodes, at, reader_node, hints, budget, limit)
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
        """Instance paths with the diff's "some undeclared property" key made a real name.

        A name matching a patternProperties regex of the changed nodes is tried first, then a
        name that neither side declares (one that additionalProperties governs).
        """
        if EXTRA_PROPERTY not in path:
            return [path]
        patterns: list[str] = []
        for pointer in (change.writer_node, change.reader_node):
            parts = (pointer or "").split("/")
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
    ) -> Iterator[_Stage]:
        """Where to look: the changed node at its path, then each enclosing level to the root.

        Lazy, so that nothing is prepared for the levels a witness makes unnecessary.
        """
        w_node = self._writer.node(change.writer_node) if change.writer_node else None
        if change.writer_node is None or w_node is not None:
            r_node = self._reader.node(change.reader_node) if change.reader_node else None
            nodes: Nodes = (w_node,) if w_node is not None else ()
            if _fresh_stage(seen, nodes, path, r_node):
                yield nodes, path, r_node, partial(self._hints, change, nodes, r_node), None
            if not path and r_node is not None and r_node[0] is reader[0]:
                # the whole event was the changed node, checked against the reader root itself:
                # the root level would try the same values again, against the same schema
                _fresh_stage(seen, nodes, path, None)
        for depth in range(len(path) - 1 if path else 0, -1, -1):
            at = path[:depth]
            found = self._writer.sampler.nodes_at((writer,), at)
            if found is None or not _fresh_stage(seen, found, at, None):
                continue
            r_nodes = self._reader.sampler.nodes_at((reader,), at)
            r_at = r_nodes[0] if r_nodes and len(r_nodes) == 1 else None
            hints = partial(self._hints, change, found, r_at, at == path)
            yield found, at, None, hints, _MAX_ENCLOSING

    def _hints(self, change: Change, nodes: Nodes, reader: Node | None, here: bool = True) -> Hints:
        """Probes from the reader node: just past its bounds, and the names it declares anew."""
        named = _named(change.path) if here else None
        probes = NO_HINTS if reader is None else self._reader.sampler.probes((reader,))
        declared = self._writer.sampler.declared_names(nodes)
        # lazily: the reader may declare 100,000 names, and only the first 12 new ones are used
        fresh = (n for n in probes.names if n not in declared)
        names = _first_distinct(chain((named,) if named else (), fresh), 12)
        return Hints(
            names, probes.values, probes.lengths, probes.numbers, probes.items, probes.props
        )

    def _enum_gap(self, nodes: Nodes, reader: Node | None) -> tuple[Any, ...]:
        """Values of a writer enum that a reader enum lacks (tried first: enums can be long)."""
        if reader is None:
            return ()
        ours = self._writer.sampler.enum_values(nodes)
        theirs = None if ours is None else self._reader.sampler.enum_values((reader,))
        if ours is None or theirs is None:
            return ()
        kept = {canon(v) for v in theirs}
        return tuple(v for v in ours if canon(v) not in kept)[:_MAX_GAP]

    def _stage(
        self,
        nodes: Nodes,
        at: tuple[str | int, ...],
        reader_node: Node | None,
        hints: Callable[[], Hints],
        budget: _Budget,
        limit: int | None,
    ) -> Any:
        writer, reader = self._writer.root(), self._reader.root()
        assert writer is not None and reader is not None
        shells = self._shells.get(at)
        if shells is None:
            shells = self._shells[at] = self._writer.sampler.with_path((writer,), at)
        if not shells:
            return MISSING
        sampler = self._writer.sampler
        first = sampler.sample(nodes)
        # the candidate stream starts with the sample: try it before building the stream,
        # whose hints take longer to make than most searches take to succeed
        head = () if first is MISSING else (first,)
        rest = _after(first, lambda: sampler.candidates(nodes, hints(), checked=False))
        values = chain(self._enum_gap(nodes, reader_node), head, rest)
        futile = 0
        for value in values if limit is None else islice(values, limit):
            if budget.spent:
                break
            budget.local += 1
            if reader_node is not None and not rejects(reader_node, value):
                continue  # most values are still read fine: check that first, it is cheaper
            if value is not first and not sampler.accepts(nodes, value):
                continue  # (the sample is valid: it was checked when it was made)
            for shell in shells:
                event = put(shell, at, value)
                budget.events += 1
                if proves(writer, reader, event, self._proven):
                    return event
            futile += 1
            if futile >= _MAX_FUTILE:
                break
        return MISSING


def _after(first: Any, stream: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """The values of ``stream()`` (made on first use) after its first one, ``first``."""
    values = iter(stream())
    if first is not MISSING:
        value = next(values, MISSING)
        if value is not first and value is not MISSING:  # pragma: no cover - samples are kept
            yield value
    yield from values


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
    key = (tuple(id(schema) for schema, _ in nodes), at, None if reader is None else id(reader[0]))
    if key in seen:
        return False
    seen.add(key)
    return True


def _none(note: str) -> WitnessResult:
    return WitnessResult(False, None, note)
