"""Avro schemas compared by Avro's own schema resolution (the specification's "Schema
Resolution"): can a reader holding one schema read every datum written with the other?

Each case of the resolution algorithm is a rule (``AVRO_*`` in ``rules/ids.py``); a change's
path is a JSON Pointer into the reader document (the writer's for what the reader lacks:
removed fields, symbols, union branches). Each change also carries the *route* from the
writer's root to the datum that makes the reader fail (which field, union branch, array item,
map value, enum symbol), from which ``witness/avro.py`` builds the datum.

Union branches are chosen as Avro's specification and fastavro do: the first reader branch
whose type matches the writer's (same primitive or a promotion, same unqualified name or an
alias, arrays and maps by their items and values).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.avro.schema import AvroSchema, Node
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import RULES, Policy, RuleId

R = RuleId

# writer type -> the reader types that read it (Avro's promotions)
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}

# A step from a writer node to a part of its datum: ("field", name), ("branch", index),
# ("item",), ("value",), ("symbol", symbol), ("not-utf8",) (bytes that are not UTF-8).
Step = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class AvroChange:
    """A change and the route (from the writer's root) to a datum that exercises it."""

    change: Change
    route: tuple[Step, ...]


def diff_avro(
    writer: AvroSchema,
    reader: AvroSchema,
    prefix: str = "",
    *,
    policy: Policy = Policy.STRICT,
    breaking_only: bool = False,
) -> list[AvroChange]:
    """Every resolution case where ``reader`` differs from ``writer``, in document order.

    ``prefix``: prepended to every pointer (an AsyncAPI payload's place in its document).
    ``breaking_only``: stop at the first change ``policy`` refuses (a caller asking "does it
    break?").
    """
    differ = _Differ(writer, reader, prefix, breaking_only, policy)
    differ.compare(writer.root(), reader.root(), ())
    return differ.changes


class _Stop(Exception):
    pass


class _Differ:
    def __init__(
        self, writer: AvroSchema, reader: AvroSchema, prefix: str, first: bool, policy: Policy
    ) -> None:
        self.policy = policy
        self.writer = writer
        self.reader = reader
        self.prefix = prefix
        self.first = first
        self.changes: list[AvroChange] = []
        self.seen: set[tuple[str, str]] = set()  # named pairs compared (recursive types)

    def compare(self, w: Node, r: Node, route: tuple[Step, ...]) -> None:
        try:
            self._compare(w, r, route)
        except _Stop:
            return

    def add(
        self,
        rule: RuleId,
        at: str,
        route: tuple[Step, ...],
        w: Node,
        r: Node | None,
        old: Any = None,
        new: Any = None,
    ) -> None:
        path = "#" + self.prefix + at[1:] if self.prefix else at
        change = Change(
            rule,
            path,
            old=old,
            new=new,
            writer_node=w.pointer,
            reader_node=None if r is None else r.pointer,
        )
        breaking = not RULES[rule].accepted(self.policy)
        if self.first and not breaking:
            return
        self.changes.append(AvroChange(change, route))
        if self.first and breaking:
            raise _Stop

    def _compare(self, w: Node, r: Node, route: tuple[Step, ...]) -> None:
        if w.kind == "union":
            self._writer_union(w, r, route)
            return
        if r.kind == "union":
            branch = self.first_match(w, r)
            if branch is None:
                self.add(R.AVRO_TYPE_NOT_IN_UNION, r.pointer, route, w, r, _show(w), _show(r))
                return
            self.add(R.AVRO_TYPE_WIDENED_TO_UNION, r.pointer, route, w, r, _show(w), _show(r))
            self._compare(w, branch, route)
            return
        if w.kind == r.kind:
            self._same_kind(w, r, route)
        elif w.kind == "bytes" and r.kind == "string":
            here = (*route, ("not-utf8",))
            self.add(R.AVRO_BYTES_READ_AS_STRING, r.pointer, here, w, r, w.kind, r.kind)
        elif r.kind in PROMOTIONS.get(w.kind, ()):
            self.add(R.AVRO_TYPE_PROMOTED, r.pointer, route, w, r, w.kind, r.kind)
        else:
            self.add(R.AVRO_TYPE_CHANGED, r.pointer, route, w, r, _show(w), _show(r))

    def _writer_union(self, w: Node, r: Node, route: tuple[Step, ...]) -> None:
        branches = [
            self.writer.resolve(b, pointer.join(w.pointer, i), w.namespace)
            for i, b in enumerate(w.node)
        ]
        if r.kind != "union":
            for i, branch in enumerate(branches):
                here = (*route, ("branch", i))
                if self.matches(branch, r):
                    self._compare(branch, r, here)
                else:
                    self.add(
                        R.AVRO_UNION_BRANCH_REMOVED, branch.pointer, here, branch, r, _show(branch)
                    )
            return
        readers = [
            self.reader.resolve(b, pointer.join(r.pointer, i), r.namespace)
            for i, b in enumerate(r.node)
        ]
        used: set[int] = set()
        for i, branch in enumerate(branches):
            here = (*route, ("branch", i))
            index = next((j for j, rb in enumerate(readers) if self.matches(branch, rb)), None)
            if index is None:
                self.add(
                    R.AVRO_UNION_BRANCH_REMOVED, branch.pointer, here, branch, r, _show(branch)
                )
                continue
            used.add(index)
            self._compare(branch, readers[index], here)
        for j, rb in enumerate(readers):
            if j not in used and not any(self.matches(b, rb) for b in branches):
                self.add(R.AVRO_UNION_BRANCH_ADDED, rb.pointer, route, w, rb, None, _show(rb))

    def first_match(self, w: Node, union: Node) -> Node | None:
        for j, b in enumerate(union.node):
            branch = self.reader.resolve(b, pointer.join(union.pointer, j), union.namespace)
            if self.matches(w, branch):
                return branch
        return None

    def matches(self, w: Node, r: Node) -> bool:
        """Avro's (and fastavro's) branch match: would the reader pick ``r`` for ``w``?"""
        if w.kind == "union" or r.kind == "union":
            return True
        if w.kind == r.kind:
            if w.kind == "array":
                return self.matches(self._items(w, self.writer), self._items(r, self.reader))
            if w.kind == "map":
                return self.matches(self._values(w, self.writer), self._values(r, self.reader))
            if w.kind == "fixed" and w.node.get("size") != r.node.get("size"):
                return False
            if w.fullname is not None:
                return self.same_name(w, r) is not None
            return True
        return r.kind in PROMOTIONS.get(w.kind, ())

    @staticmethod
    def same_name(w: Node, r: Node) -> str | None:
        """'name' when the unqualified names agree, 'alias' when a reader alias names the
        writer's type, None otherwise."""
        if w.name == r.name:
            return "name"
        aliases = r.node.get("aliases") or []
        space = (r.fullname or "").rpartition(".")[0]
        full = {a if "." in a or not space else f"{space}.{a}" for a in aliases}
        if w.fullname in full or w.name in aliases:
            return "alias"
        return None

    def _items(self, node: Node, side: AvroSchema) -> Node:
        return side.resolve(node.node["items"], pointer.join(node.pointer, "items"), node.namespace)

    def _values(self, node: Node, side: AvroSchema) -> Node:
        return side.resolve(
            node.node["values"], pointer.join(node.pointer, "values"), node.namespace
        )

    def _same_kind(self, w: Node, r: Node, route: tuple[Step, ...]) -> None:
        kind = w.kind
        if kind == "array":
            self._compare(
                self._items(w, self.writer), self._items(r, self.reader), (*route, ("item",))
            )
            return
        if kind == "map":
            self._compare(
                self._values(w, self.writer), self._values(r, self.reader), (*route, ("value",))
            )
            return
        if w.fullname is None:
            return  # the same primitive
        key = (f"{w.fullname}{w.pointer}", f"{r.fullname}{r.pointer}")
        if key in self.seen:
            return
        self.seen.add(key)
        how = self.same_name(w, r)
        if how is None:
            self.add(R.AVRO_NAME_CHANGED, r.pointer, route, w, r, w.fullname, r.fullname)
            return
        if how == "alias":
            self.add(R.AVRO_NAME_CHANGED_WITH_ALIAS, r.pointer, route, w, r, w.fullname, r.fullname)
        if kind == "fixed":
            if w.node.get("size") != r.node.get("size"):
                self.add(
                    R.AVRO_FIXED_SIZE_CHANGED,
                    pointer.join(r.pointer, "size"),
                    route,
                    w,
                    r,
                    w.node.get("size"),
                    r.node.get("size"),
                )
        elif kind == "enum":
            self._enum(w, r, route)
        elif kind == "record":
            self._record(w, r, route)

    def _enum(self, w: Node, r: Node, route: tuple[Step, ...]) -> None:
        reader_symbols = list(r.node.get("symbols") or [])
        has_default = "default" in r.node
        for symbol in w.node.get("symbols") or []:
            if symbol in reader_symbols:
                continue
            at = pointer.join(w.pointer, "symbols", w.node["symbols"].index(symbol))
            here = (*route, ("symbol", symbol))
            rule = (
                R.AVRO_ENUM_SYMBOL_REMOVED_WITH_DEFAULT
                if has_default
                else (R.AVRO_ENUM_SYMBOL_REMOVED)
            )
            self.add(rule, at, here, w, r, symbol, r.node.get("default"))
        writer_symbols = set(w.node.get("symbols") or [])
        for i, symbol in enumerate(reader_symbols):
            if symbol not in writer_symbols:
                at = pointer.join(r.pointer, "symbols", i)
                self.add(R.AVRO_ENUM_SYMBOL_ADDED, at, route, w, r, None, symbol)

    def _record(self, w: Node, r: Node, route: tuple[Step, ...]) -> None:
        writer_fields = list(_fields(w))
        by_name = {f["name"]: (i, f) for i, f in writer_fields}
        matched: set[str] = set()
        for j, field in _fields(r):
            at = pointer.join(r.pointer, "fields", j)
            found = by_name.get(field["name"])
            if found is None:
                found = next((by_name[a] for a in field.get("aliases") or [] if a in by_name), None)
                if found is not None:
                    self.add(
                        R.AVRO_FIELD_RENAMED_WITH_ALIAS,
                        at,
                        route,
                        w,
                        r,
                        found[1]["name"],
                        field["name"],
                    )
            if found is None:
                rule = (
                    R.AVRO_FIELD_ADDED_WITH_DEFAULT
                    if "default" in field
                    else (R.AVRO_FIELD_ADDED_WITHOUT_DEFAULT)
                )
                self.add(rule, at, route, w, r, None, field["name"])
                continue
            i, wfield = found
            matched.add(wfield["name"])
            if "default" in field and "default" in wfield and field["default"] != wfield["default"]:
                self.add(
                    R.AVRO_FIELD_DEFAULT_CHANGED,
                    pointer.join(at, "default"),
                    route,
                    w,
                    r,
                    wfield["default"],
                    field["default"],
                )
            wtype = self.writer.resolve(
                wfield["type"], pointer.join(w.pointer, "fields", i, "type"), w.namespace
            )
            rtype = self.reader.resolve(field["type"], pointer.join(at, "type"), r.namespace)
            self._compare(wtype, rtype, (*route, ("field", wfield["name"])))
        for i, wfield in writer_fields:
            if wfield["name"] not in matched:
                at = pointer.join(w.pointer, "fields", i)
                self.add(R.AVRO_FIELD_REMOVED, at, route, w, r, wfield["name"], None)


def _fields(node: Node) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, field in enumerate(node.node.get("fields") or []):
        if isinstance(field, dict):
            yield i, field


def _show(node: Node) -> str:
    return node.kind if node.fullname is None else f"{node.kind} {node.fullname}"
