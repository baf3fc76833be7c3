"""Diff two JSON Schemas into change types, the way the Confluent registry names them.

``diff_schemas(writer, reader, policy)`` walks both schemas together (writer = the schema
events were written with, reader = the schema that must read them) and returns every
:class:`Change`. Which changes break is the policy's business (``rules``); the walk only
consults the policy where the change *type* depends on whether a sub-comparison is compatible
(combinator matching, properties covered by a partially open content model).

The walk compares typed nodes (``schema_view``): two nodes of the same kind are compared by the
mixin for that kind (``values``, ``objects``, ``arrays``, ``combinators``); nodes of different
kinds are a ``TYPE_CHANGED``, unless one side is a combinator the other fits into. Sub-schema
pairs are memoised, so shared and recursive ``$ref``s are compared once.

``breaking_only=True`` returns exactly the changes of the full diff that ``policy`` does not
accept, in the same order, without building the accepted ones where the walk can tell cheaply
(a property added to or removed from an object): a caller that only needs the verdict does not
pay for listing every accepted change.
"""

from __future__ import annotations

from typing import Any

from evreg.contracts.compat.diff import changes
from evreg.contracts.compat.diff.arrays import ArrayRules
from evreg.contracts.compat.diff.base import RULE_OF, DiffCache, unchanged
from evreg.contracts.compat.diff.changes import InstancePath, Path, rebase
from evreg.contracts.compat.diff.combinators import CombinatorRules
from evreg.contracts.compat.diff.objects import ObjectRules
from evreg.contracts.compat.diff.schema_view import Kinds, Node
from evreg.contracts.compat.diff.semantics import types_beyond
from evreg.contracts.compat.diff.values import ValueRules
from evreg.contracts.compat.proofs import Inclusion
from evreg.contracts.compat.proofs.json_values import is_plain
from evreg.contracts.compat.report import Change, Policy
from evreg.contracts.compat.rules import RuleId
from evreg.contracts.model import SchemaRef

__all__ = ["DiffCache", "Differ", "diff_schemas"]


def diff_schemas(
    writer: SchemaRef,
    reader: SchemaRef,
    policy: Policy = Policy.STRICT,
    prefix: str = "",
    cache: DiffCache | None = None,
    breaking_only: bool = False,
    inclusion: Inclusion | None = None,
) -> list[Change]:
    """Every change from ``writer`` to ``reader``; paths start with ``prefix`` (a pointer).

    ``cache`` is shared by the calls of one check (the caller keeps the SchemaRefs alive, since
    views are keyed by their ``id``): a transitive check types the new version once and compares
    each unchanged sub-schema of the older versions once.

    ``breaking_only`` keeps only the changes ``policy`` does not accept (see the module note).

    ``inclusion``: the proofs between these two schemas, when the caller has them already (the
    witness finder of the same pair): what the diff proves, its searches need not prove again.
    """
    if _same(writer, reader):
        return []  # written the same: nothing to compare (not even what the rules would say)
    shared = DiffCache(share=False) if cache is None else cache
    writer_view, reader_view = shared.view(writer), shared.view(reader)
    if inclusion is None or inclusion.refs[0] is not writer or inclusion.refs[1] is not reader:
        inclusion = Inclusion(writer, reader, reader_view.plain)
    differ = Differ(policy, shared, breaking_only, inclusion)
    return differ.compare(writer_view.root(), reader_view.root(), prefix.rstrip("/"), ())


class Differ(ValueRules, CombinatorRules, ObjectRules, ArrayRules):
    """One diff between a writer and a reader schema: the recursive walk over typed nodes."""

    def pair(
        self,
        writer: Node,
        writer_raw: Any,
        reader: Node,
        reader_raw: Any,
        segments: tuple[str, ...],
        path: Path,
        at: InstancePath,
    ) -> list[Change]:
        draft = writer.view.draft
        if draft != reader.view.draft:
            return self.compare(
                writer.child(writer_raw, *segments), reader.child(reader_raw, *segments), path, at
            )
        if writer_raw == reader_raw and unchanged(writer, reader, reader_raw):
            return []
        if not self.cache.share:
            return self.compare(
                writer.child(writer_raw, *segments), reader.child(reader_raw, *segments), path, at
            )
        writer_text, reader_text = writer.view.text(writer_raw), reader.view.text(reader_raw)
        if writer_text is None or reader_text is None:
            return self.compare(
                writer.child(writer_raw, *segments), reader.child(reader_raw, *segments), path, at
            )
        key = (writer_text, reader_text, draft, self.policy, self.breaking_only)
        memo = self.cache.by_content.get(key)
        if memo is not None:
            return rebase(memo, path, at)
        out = self.compare(
            writer.child(writer_raw, *segments), reader.child(reader_raw, *segments), path, at
        )
        self.cache.by_content[key] = (path, at, out)
        return out

    def compare(
        self, writer: Node | None, reader: Node | None, path: Path, at: InstancePath
    ) -> list[Change]:
        if writer is None or reader is None:
            if writer is None and reader is None:
                return []
            rule = RuleId.SCHEMA_ADDED if writer is None else RuleId.SCHEMA_REMOVED
            if self.breaking_only and rule in self.accepted:
                return []
            return [changes.change(rule, path, writer, reader, at)]
        key = (id(writer), id(reader))
        active = self.active
        if key in active:  # a recursive schema met itself: assume compatible
            return []
        memo = self.memo.get(key)
        if memo is not None:
            return rebase(memo, path, at)
        active.add(key)
        try:
            out = self._nodes(writer, reader, path, at)
        finally:
            active.discard(key)
        if out and not self.accepted.issuperset(map(RULE_OF, out)):  # (self.ok, inlined)
            out = self._no_event_breaks(writer, reader, path, at, out)
        if self.breaking_only:
            accepted = self.accepted
            out = [c for c in out if c.rule not in accepted]
        self.memo[key] = (path, at, out)
        return out

    def _no_event_breaks(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> list[Change]:
        """``out`` holds a change the policy refuses: unless no event can show it. No event has
        a value here (the writer accepts none), or the reader provably accepts every value the
        writer allows (the per-keyword rules are syntactic: an enum of 14, 30 and 60 gaining
        ``exclusiveMinimum: 0`` narrows nothing); then one accepted change says so instead."""
        if self.prover.accepts_nothing(writer):
            return [changes.change(RuleId.UNSATISFIABLE_SCHEMA_CHANGED, path, writer, reader, at)]
        whole = not writer.part and not reader.part  # a part's raw is its whole schema object
        inclusion = self.inclusion
        if whole and inclusion is not None and inclusion.holds(_raw(reader), _raw(writer)):
            refused = sorted({c.rule.value for c in out if c.rule not in self.accepted})
            rule = RuleId.SCHEMA_NOT_NARROWED
            return [changes.change(rule, path, writer, reader, at, refused, None)]
        return out

    def _nodes(self, writer: Node, reader: Node, path: Path, at: InstancePath) -> list[Change]:
        writer_combined = writer.kind is Kinds.COMBINED
        reader_combined = reader.kind is Kinds.COMBINED
        if reader_combined and not writer_combined:
            found = self.into_combined(writer, reader, path, at)
            if found is not None:
                return found
        elif writer_combined and not reader_combined:
            found = self.from_combined(writer, reader, path, at)
            if found is not None:
                return found
        if writer.kind is not reader.kind:
            if writer.kind is Kinds.FALSE or reader.kind is Kinds.EMPTY:
                return []
            return [changes.change(RuleId.TYPE_CHANGED, path, writer, reader, at)]
        out: list[Change] = []
        if reader.declared and not writer.declared and types_beyond(writer.raw, reader.raw):
            out.append(changes.change(RuleId.TYPE_DECLARED, path, writer, reader, at))
        if writer.meta is not None or reader.meta is not None:
            self.meta(writer, reader, path, at, out)
        kind = writer.kind
        if kind is Kinds.STRING:
            self.string(writer, reader, path, at, out)
        elif kind is Kinds.NUMBER:
            self.number(writer, reader, path, at, out)
        elif kind is Kinds.OBJECT:
            self.object(writer, reader, path, at, out)
        elif kind is Kinds.ARRAY:
            self.array(writer, reader, path, at, out)
        elif kind is Kinds.ENUM:
            self.enum(writer, reader, path, at, out)
        elif kind is Kinds.NOT:
            self.negation(writer, reader, path, at, out)
        elif kind is Kinds.COMBINED:
            self.combined(writer, reader, path, at, out)
        elif kind is Kinds.CONDITIONAL:
            self.conditional(writer, reader, path, at, out)
        return out


def _raw(node: Node) -> Any:
    """The schema a node was read from (``false`` and ``true`` as themselves)."""
    if node.kind is Kinds.FALSE:
        return False
    return node.raw if node.raw or node.kind is not Kinds.EMPTY else True


def _same(writer: SchemaRef, reader: SchemaRef) -> bool:
    """The two schemas mean the same: written the same, and their `$ref`s (if any) resolve in
    documents written the same."""
    if writer.draft != reader.draft or writer.schema != reader.schema:
        return False
    if is_plain(writer.schema):
        return True
    return writer.document == reader.document and writer.resources == reader.resources
