"""What every part of the diff walk shares: the policy, the caches, and the recursive calls.

The walk is one class, :class:`~evreg.contracts.compat.diff.walk.Differ`, assembled from one
mixin per family of keywords (``values``, ``combinators``, ``objects``, ``arrays``). Each mixin
derives from :class:`DifferBase`, which holds the state of one diff and declares the two
recursive calls the mixins make (``compare`` and ``pair``, defined in ``walk``).

Sides are named for what they are: the **writer** is the schema events were written with, the
**reader** the schema that must read them. A comparison asks whether every value the writer
node allows is read by the reader node.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Final

from evreg.contracts.compat.diff import changes
from evreg.contracts.compat.diff.changes import InstancePath, Memo, Path
from evreg.contracts.compat.diff.content_model import extra_schema
from evreg.contracts.compat.diff.schema_view import Node, SchemaView, view_for
from evreg.contracts.compat.diff.semantics import Prover
from evreg.contracts.compat.proofs import Inclusion
from evreg.contracts.compat.report import Change, Policy
from evreg.contracts.compat.rules import EXTRA_RULES, LENIENT_ACCEPTS, STRICT_ACCEPTS, RuleId
from evreg.contracts.model import SchemaRef

__all__ = ["RULE_OF", "DiffCache", "DifferBase", "unchanged"]

RULE_OF: Final = attrgetter("rule")  # a change's rule
_STRICT: Final = Policy.STRICT  # (a module constant: see schema_view.Kinds)


class DiffCache:
    """What the pairs of one check share: typed views of each schema, and the changes found
    between sub-schemas by their content. In a transitive check most sub-schemas of the older
    versions are written the same from one version to the next, so their comparison with the
    new version is done once (keys are canonical texts, so only `$ref`-free sub-schemas, whose
    meaning does not depend on their document, are shared).

    ``share=False`` (one pair, one direction): nothing is met twice, so no canonical text is
    made."""

    def __init__(self, share: bool = True) -> None:
        self.share = share
        self.views: dict[int, SchemaView] = {}
        # (writer text, reader text, draft, policy, breaking_only)
        self.by_content: dict[tuple[str, str, str, Policy, bool], Memo] = {}
        # (writer view, reader view, `$ref`) -> does it reach the same schemas in both?
        self._same: dict[tuple[int, int, str], bool] = {}

    def view(self, ref: SchemaRef) -> SchemaView:
        found = self.views.get(id(ref))
        if found is None:
            found = self.views[id(ref)] = view_for(ref)
        return found

    def same_with_refs(
        self, writer: SchemaView, reader: SchemaView, before: Any, after: Any
    ) -> bool:
        """Do two sub-schemas that hold local `$ref`s (``before`` in the writer's document,
        ``after`` in the reader's, the same draft) mean the same? Yes when they are written
        the same (as JSON: 1 is not true) and so is every schema their `$ref`s reach, in both
        documents, by the same pointers: the walk would then meet the same schemas on both
        sides, so there is nothing to compare (the case of a `$ref`'d definition unchanged
        between versions, in every property that uses it)."""
        if writer.written(before) != reader.written(after):
            return False
        refs = reader.local_refs(after)
        return refs is not None and all(self._same_ref(writer, reader, r) for r in refs)

    def _same_ref(self, writer: SchemaView, reader: SchemaView, ref: str) -> bool:
        """Does ``ref`` reach schemas written the same in both documents (and so on, through
        their own `$ref`s)? Memoised by the two views (which keep their documents alive)."""
        key = (id(writer), id(reader), ref)
        found = self._same.get(key)
        if found is None:
            found = self._same[key] = _reaches_the_same(writer, reader, ref)
        return found


_MAX_REACHED: Final = 64  # `$ref`s followed to tell that two sub-schemas mean the same


def _reaches_the_same(writer: SchemaView, reader: SchemaView, first: str) -> bool:
    pending, seen = [first], set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        if len(seen) > _MAX_REACHED:
            return False
        w_found, w_target = writer.pointer_target(ref)
        r_found, r_target = reader.pointer_target(ref)
        if not (w_found and r_found) or writer.written(w_target) != reader.written(r_target):
            return False
        more = reader.local_refs(r_target)
        if more is None:
            return False
        pending.extend(more)
    return True


class DifferBase:
    """The state of one diff between a writer and a reader schema.

    ``breaking_only`` drops the changes the policy accepts as soon as a comparison is done (the
    walk's own decisions only ask whether a comparison holds a change the policy refuses,
    :meth:`ok`, which dropping accepted changes does not alter).
    """

    def __init__(
        self,
        policy: Policy,
        cache: DiffCache,
        breaking_only: bool = False,
        inclusion: Inclusion | None = None,
    ) -> None:
        self.policy = policy
        self.inclusion = inclusion
        self.breaking_only = breaking_only
        self.cache = cache
        self.accepted: frozenset[RuleId] = STRICT_ACCEPTS if policy is _STRICT else LENIENT_ACCEPTS
        self.memo: dict[tuple[int, int], Memo] = {}
        self.active: set[tuple[int, int]] = set()
        self.prover = Prover()

    def ok(self, found: list[Change]) -> bool:
        """No change in ``found`` is refused by the policy."""
        return not found or self.accepted.issuperset(map(RULE_OF, found))

    # -- the recursive calls, defined by the walk ------------------------------------------------

    def compare(
        self, writer: Node | None, reader: Node | None, path: Path, at: InstancePath
    ) -> list[Change]:
        """The changes from the ``writer`` node to the ``reader`` node (None: no schema)."""
        raise NotImplementedError

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
        """The changes between the sub-schemas ``writer_raw`` and ``reader_raw``, found at
        ``segments`` below the ``writer`` and ``reader`` nodes, typing them only when needed."""
        raise NotImplementedError

    # -- shared by objects and arrays -------------------------------------------------------------

    def extra(
        self,
        writer: Node,
        reader: Node,
        keyword: str,
        family: str,
        path: Path,
        at: InstancePath,
        out: list[Change],
    ) -> None:
        """``additionalProperties``, ``unevaluatedProperties``, ``additionalItems`` (written
        ``items`` after ``prefixItems`` in 2020-12) or ``unevaluatedItems``: ``family`` names
        the rules (``EXTRA_RULES``), ``keyword`` where it is written."""
        before, after = writer.raw.get(keyword), reader.raw.get(keyword)
        if before == after and not isinstance(before, dict):
            return
        rules = EXTRA_RULES[family]
        p = f"{path}/{keyword}"
        writer_schema, reader_schema = extra_schema(before), extra_schema(after)
        writer_allows, reader_allows = before is not False, after is not False
        if writer_allows != reader_allows:
            rule = rules.added if reader_allows else rules.removed
            out.append(changes.change(rule, p, writer, reader, at[:-1], before, after))
        elif writer_allows:
            if writer_schema is None and reader_schema is not None:
                out.append(
                    changes.change(rules.narrowed, p, writer, reader, at[:-1], before, after)
                )
            elif writer_schema is not None and reader_schema is None:
                out.append(
                    changes.change(rules.extended, p, writer, reader, at[:-1], before, after)
                )
            elif writer_schema is not None and reader_schema is not None:
                out.extend(
                    self.compare(
                        writer.child(writer_schema, keyword),
                        reader.child(reader_schema, keyword),
                        p,
                        at,
                    )
                )


def unchanged(writer: Node, reader: Node, raw: Any) -> bool:
    """Does a sub-schema that is written the same on both sides also mean the same?

    Yes when it is plain (nothing in it resolves elsewhere), or when it is a local `$ref` whose
    targets are written the same and are plain (a shared definition, the common case)."""
    if reader.view.plain(raw):
        return True
    after = reader.view.local_target(raw)
    if after is None:
        return False
    before = writer.view.local_target(raw)
    return before is not None and before == after and reader.view.plain(after)
