"""The walk of an inclusion proof: the reader's references, the writer's conjunction, its
``anyOf``/``oneOf`` alternatives, the memo of what is proven, disjointness.

``InclusionWalk`` holds everything of ``inclusion.Inclusion`` but the one check per reader
keyword, which ``Inclusion`` defines and hands over as ``_checks``: a reader keyword without a
check there is "not proven". What a writer's conjunction allows is read by
``writer_facts.Writer``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, ClassVar, Final

from evreg.contracts import pointer
from evreg.contracts.compat.matching import validator_class
from evreg.contracts.compat.proofs.json_values import draft_version, is_plain, ref_free
from evreg.contracts.compat.proofs.quick_check import QuickCheck, quick_check
from evreg.contracts.compat.proofs.writer_facts import (
    NOWHERE,
    Members,
    Unknown,
    Writer,
    as_dict,
    json_eq,
    may_overlap,
    types_named,
    value_type,
)
from evreg.contracts.model import SchemaRef

__all__ = ["InclusionWalk"]


_MAX_STEPS: Final = 20_000  # inclusions one Inclusion checks; past that: not proven
_MAX_REFS: Final = 32
_MAX_ENUM: Final = 64  # a writer enum up to this size is checked value by value
# keywords that never reject a value (formats are annotations for the reader, see guard docs)
_ANNOTATIONS: Final = frozenset(
    {
        *("title", "description", "default", "examples", "$comment", "deprecated"),
        *("readOnly", "writeOnly", "contentEncoding", "contentMediaType", "contentSchema"),
        *("format", "$id", "id", "$schema", "$anchor", "$dynamicAnchor", "$defs"),
        *("definitions", "$vocabulary", "then", "else", "minContains", "maxContains"),
    }
)


# reader keywords whose check reads the others of its group too (the whole reader schema
# object): the check is run once for the schema, not once per keyword of the group
_SHARED: Final = frozenset(
    {
        *("items", "prefixItems", "additionalItems"),
        *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
        *("dependencies", "dependentRequired", "dependentSchemas"),
    }
)


@lru_cache(maxsize=16)
def _vocabulary(draft: str) -> frozenset[str]:
    return frozenset(validator_class(draft).VALIDATORS)


@lru_cache(maxsize=64)
def _drafts(writer: str, reader: str) -> tuple[bool, int, frozenset[str], QuickCheck, QuickCheck]:
    """What a proof between a ``writer`` and a ``reader`` dialect reads, made once per pair:
    same draft, the reader's version, its constraining keywords, the two quick checks."""
    vocabulary = _vocabulary(reader)
    return (
        writer == reader,
        draft_version(reader),
        vocabulary - _ANNOTATIONS,
        quick_check(reader, formats=False),
        # formats read as annotations (the default): a verdict never rests on asserting them
        quick_check(writer, formats=False),
    )


class _Empty(Exception):
    """The writer's conjunction accepts no value."""


class InclusionWalk:
    """Proves that sub-schemas of one reader accept every value of sub-schemas of one writer,
    given one check per reader keyword (``_checks``, set by ``inclusion.Inclusion``)."""

    # reader keyword -> does the writer imply it? (the first argument: the walk itself)
    _checks: ClassVar[Mapping[str, Callable[[Any, dict[str, Any], Writer], bool]]] = {}

    def __init__(
        self, writer: SchemaRef, reader: SchemaRef, plain: Callable[[Any], bool] | None = None
    ) -> None:
        self._writer, self._reader = writer, reader
        self.refs = (writer, reader)  # the writer's and the reader's documents
        # is a reader sub-schema plain (json_values.is_plain)? The caller may pass the
        # reader's view's answer, memoised by object across the checks of a thread
        self._plain = plain or is_plain
        (
            self._same_draft,
            self._version,
            self._constraining,
            self._quick,
            self._writer_quick,
        ) = _drafts(writer.draft, reader.draft)
        self._steps = 0
        # keyed by ids: each entry keeps the objects it names alive, so that no id is reused
        self._memo: dict[tuple[int, ...], tuple[bool, Any, Members]] = {}
        self._active: dict[tuple[int, ...], tuple[Any, Members]] = {}
        self._writers: dict[tuple[int, ...], Writer] = {}  # see _facts
        # `not` members made for oneOf alternatives, by the alternative's id (kept alive), and
        # schema objects without one keyword (allOf, anyOf, oneOf, $ref), by (id, keyword)
        self._stripped: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}
        self._negations: dict[int, tuple[Any, dict[str, Any]]] = {}

    def holds(self, reader: Any, writer: Any) -> bool:
        """Every value ``writer`` (a sub-schema of the writer document) allows is accepted by
        ``reader`` (a sub-schema of the reader document)."""
        return self._same_draft and self.includes(reader, (writer,))

    # -- the walk -------------------------------------------------------------------------------

    def includes(self, reader: Any, writers: Iterable[Any]) -> bool:
        """``reader`` accepts every value that every schema of ``writers`` accepts."""
        self._steps += 1
        if self._steps > _MAX_STEPS:
            return False
        if type(writers) is not tuple:
            writers = tuple(writers)
        same = reader == writers[0] if len(writers) == 1 else any(reader == w for w in writers)
        if same and self._plain(reader):
            return True  # written the same (and meaning the same): it accepts its own values
        try:
            if isinstance(reader, dict) and "$ref" in reader:
                reader = self._deref(reader, self._reader.document)
            members = self._members(writers)
        except _Empty:
            return True
        except Unknown:
            return False
        if reader is True:
            return True
        if not isinstance(reader, dict):
            return False  # false (or not a schema), and the writer accepts some value
        if self._constraining.isdisjoint(reader):
            return True
        for i, member in enumerate(members):  # a writer alternative: each must be included
            if "anyOf" not in member and "oneOf" not in member:
                continue
            for keyword in ("anyOf", "oneOf"):
                branches = member.get(keyword)
                if isinstance(branches, list):
                    rest = self._without(member, keyword)
                    others = (*members[:i], rest, *members[i + 1 :])
                    if keyword == "anyOf":
                        return all(self.includes(reader, (*others, b)) for b in branches)
                    return all(
                        self.includes(reader, (*others, *self._unmatched(branches, j), b))
                        for j, b in enumerate(branches)
                        if not self._shadowed(others, branches, j)
                    )
        if len(members) == 1:
            key: tuple[int, ...] = (id(reader), id(members[0]))
        else:
            key = (id(reader), *sorted(map(id, members)))
        known = self._memo.get(key)
        if known is not None:
            return known[0]
        if key in self._active:
            return True  # met again inside itself: assumed, as for recursive types
        self._active[key] = (reader, members)
        try:
            found = self._keywords(reader, self._facts(members))
        except Unknown:
            found = False
        finally:
            del self._active[key]
        self._memo[key] = (found, reader, members)
        return found

    def _facts(self, members: Members) -> Writer:
        """What the writer conjunction ``members`` allows, read once per check for the same
        members in the same order (a writer sub-schema is often proven against several reader
        sub-schemas: the alternatives of a combinator, each level above a refused change)."""
        key = tuple(map(id, members))
        found = self._writers.get(key)
        if found is None:  # (the Writer holds the members: their ids are not reused)
            found = self._writers[key] = Writer(members, self._version, self._writer_quick)
        return found

    def _shadowed(self, others: Members, branches: list[Any], j: int) -> bool:
        """Every value of ``oneOf`` alternative ``j`` (with the rest of the writer) matches
        another alternative too, so the ``oneOf`` rejects it: the alternative adds no value
        (`oneOf: [{type: [object, null]}, {type: null}]` allows objects only). Only an
        alternative without a ``$ref`` is read as the including one (this walk resolves a
        reader's references in the reader's document)."""
        mine = branches[j]
        for k, other in enumerate(branches):
            if (
                k != j
                and may_overlap(mine, other)
                and ref_free(other)
                and self.includes(other, (*others, mine))
            ):
                return True
        return False

    def _unmatched(self, branches: list[Any], j: int) -> Members:
        """What a value the ``oneOf`` accepts through alternative ``j`` also satisfies: it
        matches no other alternative (``{"not": other}`` each, the same object every time;
        alternatives with a ``$ref`` are left out, which only allows more)."""
        out = []
        for k, other in enumerate(branches):
            if k != j and may_overlap(branches[j], other) and ref_free(other):
                found = self._negations.get(id(other))
                if found is None:
                    found = self._negations[id(other)] = (other, {"not": other})
                out.append(found[1])
        return tuple(out)

    def _keywords(self, reader: dict[str, Any], writer: Writer) -> bool:
        values = writer.enum()
        if values is not None and len(values) <= _MAX_ENUM:
            answers = [self._quick.check(reader, NOWHERE, v) for v in values]
            if all(answer is True for answer in answers):
                return True
            if any(answer is False for answer in answers):
                return False
            # unsure of some value (a `$ref` it does not follow): keyword by keyword below
        constraining, checks = self._constraining, self._checks
        ran: list[Any] | None = None  # checks that read several keywords, run once each
        for keyword in reader:
            if keyword not in constraining:
                continue
            check = checks.get(keyword)
            if check is None:
                return False
            if keyword in _SHARED:
                if ran is not None and check in ran:
                    continue  # (`items` and `additionalItems`, `minimum` and `maximum`...)
                ran = [check] if ran is None else [*ran, check]
            if not check(self, reader, writer):
                return False
        return True

    def _writer_rejects(self, writer: Writer, value: Any) -> bool:
        """Surely not a value the writer allows (its type, or a member's keywords, rule it out)."""
        if value_type(value) not in writer.types():
            return True
        return any(self._writer_quick.check(m, NOWHERE, value) is False for m in writer.members)

    def _quick_accepts(self, reader: Any, value: Any) -> bool:
        return self._quick.check(reader, NOWHERE, value) is True

    def _constrains(self, raw: dict[str, Any]) -> bool:
        return not self._constraining.isdisjoint(raw)

    def _deref(self, raw: Any, document: Any) -> Any:
        for _ in range(_MAX_REFS):
            if not isinstance(raw, dict) or "$ref" not in raw:
                return raw
            ref = raw["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                raise Unknown
            if self._version >= 2019 and len(raw) > 1:
                return raw  # $ref beside other keywords: kept as a keyword (see _members)
            try:
                raw = pointer.resolve(document, ref)
            except LookupError:
                raise Unknown from None
        raise Unknown

    def _without(self, raw: dict[str, Any], keyword: str) -> dict[str, Any]:
        """``raw`` without ``keyword``: the same object each time (the memo is keyed by ids)."""
        key = (id(raw), keyword)
        found = self._stripped.get(key)
        if found is None:
            found = self._stripped[key] = (raw, {k: v for k, v in raw.items() if k != keyword})
        return found[1]

    def _members(self, writers: tuple[Any, ...]) -> Members:
        """The writer's conjunction as schema objects: ``allOf`` and ``$ref`` flattened."""
        if len(writers) == 1:  # the common case: one schema object, nothing to flatten
            raw = writers[0]
            if type(raw) is dict and "$ref" not in raw and not isinstance(raw.get("allOf"), list):
                return (raw,) if not self._constraining.isdisjoint(raw) else ()
        out: list[dict[str, Any]] = []
        todo = list(writers)
        while todo:
            raw = todo.pop()
            if raw is False:
                raise _Empty
            if not isinstance(raw, dict):
                continue
            if "$ref" in raw:
                target = self._deref({"$ref": raw["$ref"]}, self._writer.document)
                if self._version < 2019 or len(raw) == 1:
                    todo.append(target)
                    continue
                todo.append(target)
                raw = self._without(raw, "$ref")
            subs = raw.get("allOf")
            if isinstance(subs, list):
                todo.extend(subs)
                raw = self._without(raw, "allOf")
            if self._constrains(raw):
                out.append(raw)
        return tuple(out)

    def _disjoint(self, writer: Writer, other: Any) -> bool:
        """No value the writer allows is accepted by ``other`` (a reader sub-schema)."""
        try:
            other = self._deref(other, self._reader.document)
        except Unknown:
            return False
        if other is False:
            return True
        if not isinstance(other, dict):
            return False
        theirs = types_named(other.get("type"))
        if theirs is not None and not writer.types() & theirs:
            return True
        listed = Writer((other,), self._version).enum()
        finite = listed is not None and len(listed) <= _MAX_ENUM
        if finite and all(self._writer_rejects(writer, v) for v in listed or ()):
            return True  # the writer allows none of its enum (or const) values
        values = writer.enum()
        if values is not None and len(values) <= _MAX_ENUM:
            return all(self._quick.check(other, NOWHERE, v) is False for v in values)
        theirs_required = other.get("required")
        for name, sub in as_dict(other.get("properties")).items():
            required = name in writer.required() or (
                isinstance(theirs_required, list) and name in theirs_required
            )
            if not required or not isinstance(sub, dict) or "const" not in sub:
                continue
            mine = writer.property(name)
            if mine is None:
                return True  # the writer has no such property, which the other requires
            try:
                facts = Writer(self._members(tuple(mine)), self._version, self._writer_quick)
            except _Empty:
                return True
            except Unknown:
                continue
            if self._writer_rejects(facts, sub["const"]):
                return True  # the writer's property never has that value (its type, bounds...)
            accepted = facts.enum()
            if accepted is not None and all(not json_eq(v, sub["const"]) for v in accepted):
                return True  # a tagged union: the discriminator's values differ
        return False
