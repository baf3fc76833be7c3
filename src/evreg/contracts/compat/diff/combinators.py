"""The diff of combinators: ``allOf``/``anyOf``/``oneOf``, ``not``, and ``if``/``then``/``else``.

Alternatives are matched as the Confluent registry matches them: a writer alternative is paired
with a reader alternative that reads it (a maximum bipartite matching of the compatible pairs).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from itertools import combinations
from typing import Any

from evreg.contracts.compat.diff import changes
from evreg.contracts.compat.diff.base import DifferBase
from evreg.contracts.compat.diff.changes import InstancePath, Path, json_eq, node_key, sub_node
from evreg.contracts.compat.diff.schema_view import Node
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import RuleId

__all__ = ["CombinatorRules"]

R = RuleId
Alternatives = tuple[tuple[str | None, Node], ...]


class CombinatorRules(DifferBase):
    """Combined, ``not`` and conditional nodes; and a single node meeting a combined one."""

    def into_combined(
        self, writer: Node, reader: Node, path: Path, at: InstancePath
    ) -> list[Change] | None:
        """A single writer schema became a combined reader: find where the writer fits.

        None when it fits nowhere (the caller then reports the kinds' difference)."""
        if reader.criterion == "allOf":
            acc: list[Change] = []
            for _, sub in reader.subs:
                found = self.compare(writer, sub, path, at)
                if not self.ok(found):
                    return None
                acc.extend(c for c in found if c not in acc)
            return acc
        for _, sub in reader.subs:
            found = self.compare(writer, sub, path, at)
            if self.ok(found):
                out = [*found, changes.change(R.SUM_TYPE_EXTENDED, path, writer, reader, at)]
                if reader.criterion == "oneOf" and self._overlap([writer], reader, {}):
                    out.append(
                        changes.change(R.ONE_OF_ALTERNATIVES_OVERLAP, path, writer, reader, at)
                    )
                return out
        return None

    def from_combined(
        self, writer: Node, reader: Node, path: Path, at: InstancePath
    ) -> list[Change] | None:
        """A combined writer schema became a single reader schema."""
        if writer.criterion == "allOf":
            for _, sub in writer.subs:
                found = self.compare(sub, reader, path, at)
                if self.ok(found) and not _accepts_nothing(found):
                    # (a part that accepts nothing empties the whole: said once, below)
                    return [
                        *found,
                        changes.change(R.PRODUCT_TYPE_NARROWED, path, writer, reader, at),
                    ]
            return None
        results = [self.compare(sub, reader, path, at) for _, sub in writer.subs]
        fitting = [r for r in results if self.ok(r)]
        if len(fitting) == len(results):
            acc: list[Change] = []
            for r in results:
                acc.extend(c for c in r if c not in acc)
            return acc
        if fitting:
            return [changes.change(R.SUM_TYPE_NARROWED, path, writer, reader, at)]
        return None

    def negation(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        """``not``: the reader's must reject everything the writer's rejects."""
        writer_not = writer.child(writer.raw.get("not"), "not")
        reader_not = reader.child(reader.raw.get("not"), "not")
        # compare reversed: the reader's `not` schema plays the writer
        inner = self.compare(reader_not, writer_not, path + "/not", at)
        if not inner and json_eq(writer.raw.get("not"), reader.raw.get("not")):
            return
        rule = R.NOT_TYPE_NARROWED if self.ok(inner) else R.NOT_TYPE_EXTENDED
        out.append(changes.change(rule, path + "/not", writer, reader, at))

    def combined(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        """Two combined nodes: the criterion, the number of alternatives, their matching."""
        if (
            writer.synthetic
            and reader.synthetic
            and writer.criterion == reader.criterion
            and self._by_kind(writer, reader, path, at, out)
        ):
            return
        writer_subs, reader_subs = _distinct(writer.subs), _distinct(reader.subs)
        criteria = _criteria_change(
            writer.criterion, reader.criterion, len(writer_subs), len(reader_subs)
        )
        criteria_args = (path, writer, reader, at, writer.criterion, reader.criterion)
        if criteria is R.COMBINED_TYPE_CHANGED and (writer.criterion, reader.criterion) == (
            "anyOf",
            "oneOf",
        ):
            # anyOf -> oneOf keeps its meaning when each alternative still fits one and no
            # value the writer allows matches two
            matched = self._matching(writer_subs, reader_subs, path, at)
            parts = [sub for _, sub in writer_subs]
            if len(matched) < len(writer_subs) or self._overlap(parts, reader, {}):
                out.append(changes.change(criteria, *criteria_args))
                return
            criteria = R.COMBINED_TYPE_MADE_EXCLUSIVE
        if criteria is not None:
            out.append(changes.change(criteria, *criteria_args))
            if criteria is R.COMBINED_TYPE_CHANGED:
                return
        counts = (len(writer_subs), len(reader_subs))
        if len(writer_subs) < len(reader_subs):
            rule = R.PRODUCT_TYPE_EXTENDED if reader.criterion == "allOf" else R.SUM_TYPE_EXTENDED
            out.append(changes.change(rule, path, writer, reader, at, *counts))
        elif len(writer_subs) > len(reader_subs):
            rule = R.PRODUCT_TYPE_NARROWED if writer.criterion == "allOf" else R.SUM_TYPE_NARROWED
            out.append(changes.change(rule, path, writer, reader, at, *counts))
        matching = self._matching(writer_subs, reader_subs, path, at)
        if len(matching) < min(len(writer_subs), len(reader_subs)):
            out.append(changes.change(R.COMBINED_TYPE_SUBSCHEMAS_CHANGED, path, writer, reader, at))
            return
        for _, found in sorted(matching.items()):
            out.extend(found[1])
        if reader.criterion == "oneOf" and not reader.synthetic:
            parts = [sub for _, sub in writer_subs] if writer.criterion != "allOf" else [writer]
            exempt = writer.criterion == "oneOf" and len(parts) > 1
            pairs = {i: j for i, (j, _) in matching.items()} if exempt else {}
            if self._overlap(parts, reader, pairs):
                out.append(changes.change(R.ONE_OF_ALTERNATIVES_OVERLAP, path, writer, reader, at))

    def _matching(
        self,
        writer_subs: list[tuple[str | None, Node]],
        reader_subs: list[tuple[str | None, Node]],
        path: Path,
        at: InstancePath,
    ) -> dict[int, tuple[int, list[Change]]]:
        """Writer alternative -> (the reader alternative that reads it, their changes), for
        as many writer alternatives as can be matched one to one."""
        table: dict[tuple[int, int], list[Change]] = {}
        for i, (seg, writer_sub) in enumerate(writer_subs):
            sub_path = path if seg is None else f"{path}/{seg}"
            for j, (_, reader_sub) in enumerate(reader_subs):
                found = self.compare(writer_sub, reader_sub, sub_path, at)
                if self.ok(found):
                    table[i, j] = found
        matching = _max_matching(len(writer_subs), len(reader_subs), table)
        return {i: (j, table[i, j]) for i, j in matching.items()}

    def _overlap(self, parts: list[Node], reader: Node, matched: dict[int, int]) -> bool:
        """Might a value the writer allows (a value of one of ``parts``, its alternatives)
        match two alternatives of the reader's ``oneOf`` (which then rejects it)?

        Not when, for each pair of distinct alternatives, they are disjoint or each writer part
        is disjoint from one of them. ``matched`` (writer part -> reader alternative, for a
        writer ``oneOf``): a pair read from two writer parts that overlap already is left
        alone, since the writer's ``oneOf`` rejected their common values too. An alternative
        written twice overlaps itself."""
        prover = self.prover
        alternatives = _distinct(reader.subs)
        if len(alternatives) < len(reader.subs):
            kept = {id(node) for _, node in alternatives}
            repeated = [node for _, node in reader.subs if id(node) not in kept]
            if any(not prover.disjoint(part, node) for part in parts for node in repeated):
                return True
        back = {j: i for i, j in matched.items()}
        for (j, (_, one)), (k, (_, other)) in combinations(enumerate(alternatives), 2):
            if prover.disjoint(one, other):
                continue
            if j in back and k in back and not prover.disjoint(parts[back[j]], parts[back[k]]):
                continue
            if any(
                not prover.disjoint(part, one) and not prover.disjoint(part, other)
                for part in parts
            ):
                return True
        return False

    def _by_kind(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> bool:
        """Pair the parts of two synthetic combinations by kind (`{type, enum}` vs `{type, enum}`).

        The user wrote one schema object, not a combinator: report the changes of its parts
        (ENUM_ARRAY_NARROWED at .../enum) rather than a matching failure of invisible parts.
        """
        writer_parts = {sub.kind: sub for _, sub in writer.subs}
        reader_parts = {sub.kind: sub for _, sub in reader.subs}
        if len(writer_parts) != len(writer.subs) or len(reader_parts) != len(reader.subs):
            return False
        product = writer.criterion == "allOf"
        for kind, writer_sub in writer_parts.items():
            if kind in reader_parts:
                out.extend(self.compare(writer_sub, reader_parts[kind], path, at))
            else:
                rule = R.PRODUCT_TYPE_NARROWED if product else R.SUM_TYPE_NARROWED
                name = kind.name.lower()
                out.append(changes.change(rule, path, writer_sub, reader, at, name, None))
        for kind, reader_sub in reader_parts.items():
            if kind not in writer_parts:
                rule = R.PRODUCT_TYPE_EXTENDED if product else R.SUM_TYPE_EXTENDED
                name = kind.name.lower()
                out.append(changes.change(rule, path, writer, reader_sub, at, None, name))
        return True

    def conditional(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        """``if``/``then``/``else``: the same ``if`` compares the branches, another is a change."""
        before_if, after_if = writer.raw.get("if"), reader.raw.get("if")
        if not json_eq(before_if, after_if):
            out.append(
                changes.change(
                    R.COMBINED_TYPE_CHANGED, path + "/if", writer, reader, at, before_if, after_if
                )
            )
            return
        for keyword in ("then", "else"):
            out.extend(
                self.compare(
                    sub_node(writer, keyword), sub_node(reader, keyword), f"{path}/{keyword}", at
                )
            )


def _distinct(subs: Alternatives) -> list[tuple[str | None, Node]]:
    """The alternatives, each written the same only once (synthetic parts are kept as they are)."""
    if len(subs) < 2 or subs[0][0] is None:
        return list(subs)
    seen: set[str] = set()
    out = []
    for seg, node in subs:
        key = node_key(node)
        if key not in seen:
            seen.add(key)
            out.append((seg, node))
    return out


def _criteria_change(
    before: str | None, after: str | None, n_before: int, n_after: int
) -> RuleId | None:
    if before == after:
        return None
    if after == "anyOf" or (before == "allOf" and after == "oneOf"):
        return R.COMBINED_TYPE_EXTENDED
    if after == "oneOf":  # from anyOf: only a single alternative keeps its meaning
        return R.COMBINED_TYPE_EXTENDED if n_before == 1 else R.COMBINED_TYPE_CHANGED
    # to allOf from anyOf/oneOf: equivalent only when both have a single sub-schema
    if n_before == 1 and n_after == 1:
        return R.COMBINED_TYPE_EXTENDED
    return R.COMBINED_TYPE_CHANGED


def _max_matching(n: int, m: int, edges: Mapping[tuple[int, int], Any]) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn's augmenting paths); returns left -> right.

    Each left node tries first the right nodes it has no change with (an alternative written
    the same pairs with itself), then the one at its own index, then the others."""

    def order(i: int, j: int) -> tuple[bool, bool, int]:
        return bool(edges[i, j]), j != i, j

    adj = [
        sorted((j for j in range(m) if (i, j) in edges), key=partial(order, i)) for i in range(n)
    ]
    right: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in adj[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in right or augment(right[j], seen):
                right[j] = i
                return True
        return False

    for i in range(n):
        augment(i, set())
    return {i: j for j, i in right.items()}


def _accepts_nothing(found: list[Change]) -> bool:
    """The comparison found only that its writer accepts no value."""
    return len(found) == 1 and found[0].rule is R.UNSATISFIABLE_SCHEMA_CHANGED
