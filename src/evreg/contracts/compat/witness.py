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
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urldefrag, urljoin, urlsplit

import referencing.jsonschema
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for
from referencing import Registry
from referencing.exceptions import Unresolvable

from evreg.contracts.compat.candidate_streams import NO_HINTS, Hints, Sampler, put
from evreg.contracts.compat.constraints import MISSING, Node, Nodes, canon, walk
from evreg.contracts.compat.jsonschema_diff import EXTRA_PROPERTY
from evreg.contracts.compat.regex_strings import regex_strings
from evreg.contracts.compat.report import Change
from evreg.contracts.model import Schema, SchemaRef

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by referencing

__all__ = ["WitnessFinder", "WitnessResult"]

_MAX_EVENTS: Final = 600  # whole events validated by one find()
_MAX_LOCAL: Final = 3000  # candidates checked against the reader node by one find()
_MAX_GAP: Final = 100  # enum values missing from the reader, tried first
_NAMED_BY_PATH: Final = (
    *("properties", "required", "dependencies", "dependentRequired", "dependentSchemas"),
)
_FRESH: Final = ("extra", *(f"extra{i}" for i in range(2, 100)))


@dataclass(frozen=True, slots=True)
class WitnessResult:
    found: bool
    value: Any = None  # the whole event, when found
    note: str | None = None  # why there is none, when not found


class _Scope:
    """A sample.Context: one base URI among one side's documents."""

    __slots__ = ("_refs", "_resolver", "_side")

    def __init__(self, side: _Side, resolver: Resolver[Any]) -> None:
        self._side, self._resolver = side, resolver
        self._refs: dict[str, tuple[Schema, _Scope] | None] = {}

    def resolve(self, ref: str) -> tuple[Schema, _Scope] | None:
        if ref not in self._refs:
            try:
                resolved = self._resolver.lookup(ref)
            except Unresolvable:
                self._refs[ref] = None
            else:
                self._refs[ref] = (resolved.contents, self._side.scope(resolved.resolver))
        return self._refs[ref]

    def accepts(self, schema: Schema, value: Any) -> bool:
        return self._side.validator(schema, self._resolver).is_valid(value)


class _Side:
    """The writer or the reader: its documents, validators and sampler, built lazily."""

    def __init__(self, ref: SchemaRef, name: str, *, formats: bool) -> None:
        self.ref = ref
        self.sampler = Sampler(ref.draft)
        self._urn = f"urn:evreg:{name}"
        self._cls = validator_for({"$schema": ref.draft}, default=Draft202012Validator)
        self._formats = formats
        self._base = self._urn
        self._resolver: Resolver[Any] | None = None
        self._proto: Validator | None = None
        self._scopes: dict[str, _Scope] = {}
        self._nodes: dict[str, Node | None] = {}
        self._validators: dict[int, tuple[Schema, Validator]] = {}

    def _root_resolver(self) -> Resolver[Any]:
        if self._resolver is None:
            self._resolver = self._registry().resolver(base_uri=self._base)
        return self._resolver

    def _registry(self) -> Registry[Any]:
        spec = referencing.jsonschema.specification_with(
            self.ref.draft, default=referencing.jsonschema.DRAFT202012
        )
        doc = spec.create_resource(self.ref.document)
        registry: Registry[Any] = Registry().with_resource(self._urn, doc)
        root_id = doc.id() if self.ref.pointer in ("", "#") else None
        root_id = urldefrag(root_id).url if root_id else None
        if root_id:
            registry = registry.with_resource(root_id, doc)
            if urlsplit(root_id).scheme:  # relative refs in the schema resolve against its $id
                self._base = root_id
        for name, contents in self.ref.resources.items():
            res = spec.create_resource(contents)
            for uri in (name, res.id(), urljoin(root_id, name) if root_id else None):
                if uri:
                    registry = registry.with_resource(urldefrag(uri).url, res)
        return registry

    def node(self, pointer: str) -> Node | None:
        """The schema node at a JSON Pointer (``#/properties/a``) into this side's document."""
        if pointer not in self._nodes:
            fragment = pointer if pointer.startswith("#") else f"#{pointer}"
            found: Node | None = None
            if walk(self.ref.document, fragment[1:]) is not MISSING:
                try:
                    resolved = self._root_resolver().lookup(self._base + fragment)
                except Unresolvable:
                    pass
                else:
                    found = (resolved.contents, self.scope(resolved.resolver))
            self._nodes[pointer] = found
        return self._nodes[pointer]

    def root(self) -> Node | None:
        return self.node(self.ref.pointer)

    def scope(self, resolver: Resolver[Any]) -> _Scope:
        key = str(getattr(resolver, "_base_uri", ""))
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = _Scope(self, resolver)
        return scope

    def validator(self, schema: Schema, resolver: Resolver[Any]) -> Validator:
        entry = self._validators.get(id(schema))
        if entry is None:
            if self._proto is None:
                checker = self._cls.FORMAT_CHECKER if self._formats else None
                self._proto = self._cls({}, format_checker=checker)
            validator = self._proto.evolve(schema=schema, _resolver=resolver)
            entry = self._validators[id(schema)] = (schema, validator)
        return entry[1]


def _accepts(node: Node, value: Any) -> bool:
    try:
        return node[1].accepts(node[0], value)
    except Exception:  # an unresolvable $ref, a bad regex...: nothing is proven
        return False


def _rejects(node: Node, value: Any) -> bool:
    try:
        return not node[1].accepts(node[0], value)
    except Exception:
        return False


def _named(path: str) -> str | None:
    """The property a change path names (``#/properties/a~1b`` -> ``a/b``), if any."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[-2] in _NAMED_BY_PATH:
        return parts[-1].replace("~1", "/").replace("~0", "~")
    return None


@dataclass(slots=True)
class _Budget:
    events: int = 0
    local: int = 0

    @property
    def spent(self) -> bool:
        return self.events >= _MAX_EVENTS or self.local >= _MAX_LOCAL


_Stage = tuple[Nodes, tuple[str | int, ...], Node | None, Hints]


class WitnessFinder:
    """Finds witnesses for changes between one writer and one reader schema.

    Built once per (writer, reader) pair and cheap to build: registries, validators, samples
    and candidates are created on first use and memoised for later ``find`` calls.
    """

    def __init__(self, writer: SchemaRef, reader: SchemaRef) -> None:
        self._writer = _Side(writer, "writer", formats=True)
        self._reader = _Side(reader, "reader", formats=False)
        self._results: dict[tuple[Any, ...], WitnessResult] = {}
        self._shells: dict[tuple[str | int, ...], list[Any]] = {}

    def verify(self, instance: Any) -> bool:
        """``instance`` is valid under the writer schema and invalid under the reader schema."""
        writer, reader = self._writer.root(), self._reader.root()
        if writer is None or reader is None:
            return False
        return _rejects(reader, instance) and _accepts(writer, instance)

    def find(self, change: Change) -> WitnessResult:
        """A whole event proving ``change`` breaks, or found=False with the reason."""
        path = tuple(change.instance_path)
        key = (change.writer_node, change.reader_node, path, change.path)
        result = self._results.get(key)
        if result is None:
            try:
                result = self._search(change, path)
            except RecursionError:
                result = _none("the schemas nest too deeply to search for a witness")
            except Exception as exc:  # never let a witness search break a compatibility check
                result = _none(f"the witness search failed ({type(exc).__name__}: {exc})")
            self._results[key] = result
        if not result.found:
            return result
        return WitnessResult(True, copy.deepcopy(result.value))

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
            for nodes, at, reader_node, hints in stages:
                event = self._stage(nodes, at, reader_node, hints, budget)
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
                yield nodes, path, r_node, self._hints(change, nodes, r_node)
        for depth in range(len(path) - 1 if path else 0, -1, -1):
            at = path[:depth]
            found = self._writer.sampler.nodes_at((writer,), at)
            if found is None or not _fresh_stage(seen, found, at, None):
                continue
            r_nodes = self._reader.sampler.nodes_at((reader,), at)
            r_node = r_nodes[0] if r_nodes and len(r_nodes) == 1 else None
            yield found, at, None, self._hints(change, found, r_node, at == path)

    def _hints(self, change: Change, nodes: Nodes, reader: Node | None, here: bool = True) -> Hints:
        """Probes from the reader node: just past its bounds, and the names it declares anew."""
        named = _named(change.path) if here else None
        probes = NO_HINTS if reader is None else self._reader.sampler.probes((reader,))
        declared = set(self._writer.sampler.property_names(nodes))
        names = [n for n in probes.names if n not in declared]
        names = list(dict.fromkeys([named, *names] if named else names))[:12]
        return Hints(
            tuple(names), probes.values, probes.lengths, probes.numbers, probes.items, probes.props
        )

    def _enum_gap(self, nodes: Nodes, reader: Node | None) -> tuple[Any, ...]:
        """Values of a writer enum that a reader enum lacks (tried first: enums can be long)."""
        if reader is None:
            return ()
        ours = self._writer.sampler.enum_values(nodes)
        theirs = self._reader.sampler.enum_values((reader,))
        if ours is None or theirs is None:
            return ()
        kept = {canon(v) for v in theirs}
        return tuple(v for v in ours if canon(v) not in kept)[:_MAX_GAP]

    def _stage(
        self,
        nodes: Nodes,
        at: tuple[str | int, ...],
        reader_node: Node | None,
        hints: Hints,
        budget: _Budget,
    ) -> Any:
        writer, reader = self._writer.root(), self._reader.root()
        assert writer is not None and reader is not None
        shells = self._shells.get(at)
        if shells is None:
            shells = self._shells[at] = self._writer.sampler.with_path((writer,), at)
        if not shells:
            return MISSING
        sampler = self._writer.sampler
        values = sampler.candidates(nodes, hints, checked=False)
        for value in chain(self._enum_gap(nodes, reader_node), values):
            if budget.spent:
                break
            budget.local += 1
            if reader_node is not None and not _rejects(reader_node, value):
                continue  # most values are still read fine: check that first, it is cheaper
            if not sampler.accepts(nodes, value):
                continue
            for shell in shells:
                event = put(shell, at, value)
                budget.events += 1
                if _rejects(reader, event) and _accepts(writer, event):
                    return event
        return MISSING


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
