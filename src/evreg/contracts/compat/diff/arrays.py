"""The diff of array nodes: sizes, uniqueness, ``items``, tuples and their content models.

A tuple (``items`` as a list before 2020-12, ``prefixItems`` since) treats items past its end
the way an object treats undeclared properties: ``additionalItems`` (2020-12: ``items``) absent
or true is open, false is closed, a schema is partially open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evreg.contracts.compat.diff import changes
from evreg.contracts.compat.diff.base import DifferBase
from evreg.contracts.compat.diff.changes import InstancePath, Path, sub_node
from evreg.contracts.compat.diff.content_model import APPLICATORS, extra_schema
from evreg.contracts.compat.diff.schema_view import Kinds, Node
from evreg.contracts.compat.diff.values import bound
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import RuleId

__all__ = ["ArrayRules"]

R = RuleId


class ArrayRules(DifferBase):
    """Array nodes."""

    def array(
        self, writer: Node, reader: Node, path: Path, at: InstancePath, out: list[Change]
    ) -> None:
        bound(writer, reader, "maxItems", path, at, out)
        bound(writer, reader, "minItems", path, at, out)
        before_unique, after_unique = writer.raw.get("uniqueItems"), reader.raw.get("uniqueItems")
        if bool(before_unique) != bool(after_unique):
            rule = R.UNIQUE_ITEMS_ADDED if after_unique else R.UNIQUE_ITEMS_REMOVED
            p = path + "/uniqueItems"
            out.append(changes.change(rule, p, writer, reader, at, before_unique, after_unique))
        tuple_kw, extra_kw = (
            ("prefixItems", "items") if writer.view.prefix_items else ("items", "additionalItems")
        )
        writer_tuple, reader_tuple = _tuple(writer.raw, tuple_kw), _tuple(reader.raw, tuple_kw)
        writer_all = _all_items(writer.raw, tuple_kw)
        reader_all = _all_items(reader.raw, tuple_kw)
        items_path, item_at = path + "/items", (*at, 0)
        if writer_all is not None and reader_all is not None:
            out.extend(
                self.pair(writer, writer_all, reader, reader_all, ("items",), items_path, item_at)
            )
        elif writer_all is not None or reader_all is not None:
            out.extend(
                self.compare(
                    None if writer_all is None else writer.child(writer_all, "items"),
                    None if reader_all is None else reader.child(reader_all, "items"),
                    items_path,
                    item_at,
                )
            )
        for i in range(max(len(writer_tuple), len(reader_tuple))):
            p = f"{path}/{tuple_kw}/{i}"
            if i >= len(reader_tuple):
                writer_item = writer.child(writer_tuple[i], tuple_kw, str(i))
                self._item_removed(writer, reader, writer_item, extra_kw, p, (*at, i), out)
            elif i >= len(writer_tuple):
                reader_item = reader.child(reader_tuple[i], tuple_kw, str(i))
                self._item_added(writer, reader, reader_item, extra_kw, p, (*at, i), out)
            else:
                segments = (tuple_kw, str(i))
                out.extend(
                    self.pair(
                        writer, writer_tuple[i], reader, reader_tuple[i], segments, p, (*at, i)
                    )
                )
        if not writer.view.prefix_items or writer_tuple or reader_tuple:
            past = (*at, max(len(writer_tuple), len(reader_tuple)))
            self.extra(writer, reader, extra_kw, "additionalItems", path, past, out)
        unevaluated_at = (*at, len(reader_tuple))
        self.extra(
            writer, reader, "unevaluatedItems", "unevaluatedItems", path, unevaluated_at, out
        )
        if "contains" in writer.raw or "contains" in reader.raw:
            out.extend(
                self.compare(
                    sub_node(writer, "contains"),
                    sub_node(reader, "contains"),
                    path + "/contains",
                    item_at,
                )
            )
        bound(writer, reader, "maxContains", path, at, out)
        bound(writer, reader, "minContains", path, at, out)

    def _item_removed(
        self,
        writer: Node,
        reader: Node,
        writer_item: Node,
        extra_kw: str,
        p: Path,
        item_at: InstancePath,
        out: list[Change],
    ) -> None:
        """The reader's tuple ends before the writer's item: the reader's extra items read it."""
        extra_kw = _extra_items(reader, extra_kw)
        extra = reader.raw.get(extra_kw)
        schema = extra_schema(extra)
        if extra is not False and schema is None:
            rule = R.ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL
        elif schema is not None:
            inner = self.compare(writer_item, reader.child(schema, extra_kw), p, item_at)
            out.extend(inner)
            rule = (
                R.ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                if self.ok(inner)
                else R.ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            )
        elif writer_item.kind is Kinds.FALSE:
            rule = R.ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
        else:
            rule = R.ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL
        out.append(changes.change(rule, p, writer, reader, item_at[:-1]))

    def _item_added(
        self,
        writer: Node,
        reader: Node,
        reader_item: Node,
        extra_kw: str,
        p: Path,
        item_at: InstancePath,
        out: list[Change],
    ) -> None:
        """The reader's tuple declares an item past the writer's: the writer's extra items."""
        extra_kw = _extra_items(writer, extra_kw)
        extra = writer.raw.get(extra_kw)
        schema = extra_schema(extra)
        if extra is not False and schema is None:
            rule = (
                R.ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                if reader_item.kind is Kinds.EMPTY
                else R.ITEM_ADDED_TO_OPEN_CONTENT_MODEL
            )
        elif schema is not None:
            inner = self.compare(writer.child(schema, extra_kw), reader_item, p, item_at)
            out.extend(inner)
            rule = (
                R.ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                if self.ok(inner)
                else R.ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            )
        else:
            rule = R.ITEM_ADDED_TO_CLOSED_CONTENT_MODEL
        out.append(changes.change(rule, p, writer, reader, item_at[:-1]))


def _extra_items(node: Node, extra_kw: str) -> str:
    """The keyword that governs items past a tuple: ``extra_kw`` (``additionalItems``, or
    ``items`` in 2020-12), or ``unevaluatedItems`` where that is absent (2019-09 and later)."""
    raw = node.raw
    if (
        extra_kw not in raw
        and node.view.modern
        and "unevaluatedItems" in raw
        and raw.keys().isdisjoint(APPLICATORS)
    ):
        return "unevaluatedItems"
    return extra_kw


def _tuple(raw: Mapping[str, Any], keyword: str) -> list[Any]:
    value = raw.get(keyword)
    return value if isinstance(value, list) else []


def _all_items(raw: Mapping[str, Any], tuple_kw: str) -> Any:
    """The schema every item must match (`items` as one schema), or None."""
    items = raw.get("items")
    if items is None or isinstance(items, list):
        return None
    if tuple_kw == "prefixItems" and "prefixItems" in raw:
        return None  # 2020-12: with prefixItems, `items` plays additionalItems
    return items
