"""Where two schemas differ: the points a counterexample search is steered to.

The walk reads the two documents as written, independently of the diff's rules: it follows
both schemas through the keywords that lead to a value inside an event (``properties``,
``items``, ``prefixItems``, ``additionalProperties``, ``patternProperties``) and through
``allOf``/``anyOf``/``oneOf`` alternatives, resolves local ``$ref``s on each side, and records a
point wherever the two sub-schemas are not written the same. A change the diff does not model
(or models wrongly) still makes its schemas differ there, so it still gets a point.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from evreg.contracts import pointer
from evreg.contracts.compat.diff import EXTRA_PROPERTY
from evreg.contracts.compat.diff.schema_view import is_pure_ref
from evreg.contracts.compat.proofs.json_values import is_plain
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, SchemaRef

__all__ = ["Point", "difference_points"]

InstancePath = tuple[str | int, ...]

_MAX_VISITS: Final = 2000  # node pairs one walk looks at
_MAX_REFS: Final = 32  # $refs followed in a chain
_OLD_DRAFTS: Final = frozenset({DRAFT4, DRAFT6, DRAFT7})
_ALTERNATIVES: Final = ("allOf", "anyOf", "oneOf")


@dataclass(frozen=True, slots=True)
class Point:
    """A place where the writer and reader schemas are written differently.

    ``at``: where a value validated there sits in an event; ``path``: the JSON Pointer of the
    place in the reader document, as findings write it; ``writer``/``reader``: the pointers of
    the two schema nodes (``$ref``s followed) in their documents.
    """

    at: InstancePath
    path: str
    writer: str
    reader: str
    writer_raw: Any = field(compare=False, repr=False)
    reader_raw: Any = field(compare=False, repr=False)


@dataclass(slots=True)
class _Side:
    ref: SchemaRef
    modern: bool

    def deref(self, raw: Any, ptr: str) -> tuple[Any, str]:
        """``raw`` with local ``$ref``s followed (those with siblings too, before 2019-09)."""
        for _ in range(_MAX_REFS):
            if not isinstance(raw, dict):
                break
            ref = raw.get("$ref")
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            if self.modern and not is_pure_ref(raw):
                break
            try:
                raw, ptr = pointer.resolve(self.ref.document, ref), ref
            except LookupError:
                break
        return raw, ptr


def difference_points(writer: SchemaRef, reader: SchemaRef, prefix: str = "") -> list[Point]:
    """The points where ``writer`` and ``reader`` differ, in document order (an enclosing
    point before the points inside it); ``prefix`` starts each point's ``path``."""
    sides = (
        _Side(writer, writer.draft not in _OLD_DRAFTS),
        _Side(reader, reader.draft not in _OLD_DRAFTS),
    )
    return list(_walk(sides, writer.schema, reader.schema, writer.pointer, reader.pointer, prefix))


def _walk(
    sides: tuple[_Side, _Side],
    writer_raw: Any,
    reader_raw: Any,
    writer_ptr: str,
    reader_ptr: str,
    prefix: str,
) -> Iterator[Point]:
    todo: list[tuple[Any, Any, str, str, str, InstancePath]] = [
        (writer_raw, reader_raw, writer_ptr, reader_ptr, prefix.rstrip("/"), ())
    ]
    seen: set[tuple[int, int, InstancePath]] = set()
    while todo and len(seen) < _MAX_VISITS:
        w_raw, r_raw, w_ptr, r_ptr, path, at = todo.pop()
        if w_raw == r_raw and is_plain(w_raw):
            continue
        w_raw, w_ptr = sides[0].deref(w_raw, w_ptr)
        r_raw, r_ptr = sides[1].deref(r_raw, r_ptr)
        key = (id(w_raw), id(r_raw), at)
        if key in seen or (w_raw == r_raw and is_plain(w_raw)):
            continue
        seen.add(key)
        yield Point(at, "#" + (path or "/"), w_ptr, r_ptr, w_raw, r_raw)
        if not isinstance(w_raw, dict) or not isinstance(r_raw, dict):
            continue
        below = list(_children(w_raw, r_raw))
        for segments, item, w_child, r_child in reversed(below):  # popped in document order
            suffix = "".join("/" + pointer.escape(s) for s in segments)
            todo.append(
                (
                    w_child,
                    r_child,
                    w_ptr + suffix,
                    r_ptr + suffix,
                    path + suffix,
                    at if item is None else (*at, item),
                )
            )


def _children(
    writer: dict[str, Any], reader: dict[str, Any]
) -> Iterator[tuple[tuple[str, ...], str | int | None, Any, Any]]:
    """(segments below both nodes, the instance step they lead to, writer child, reader child)
    for each sub-schema written on both sides."""
    for keyword in ("properties", "patternProperties"):
        w_map, r_map = writer.get(keyword), reader.get(keyword)
        if isinstance(w_map, dict) and isinstance(r_map, dict):
            for name, w_child in w_map.items():
                if name in r_map:
                    step = name if keyword == "properties" else EXTRA_PROPERTY
                    yield (keyword, name), step, w_child, r_map[name]
    w_extra, r_extra = writer.get("additionalProperties"), reader.get("additionalProperties")
    if isinstance(w_extra, dict) and isinstance(r_extra, dict):
        yield ("additionalProperties",), EXTRA_PROPERTY, w_extra, r_extra
    w_items, r_items = writer.get("items"), reader.get("items")
    if isinstance(w_items, dict) and isinstance(r_items, dict):
        both_tuples = "prefixItems" in writer and "prefixItems" in reader
        if not both_tuples and not ("prefixItems" in writer or "prefixItems" in reader):
            yield ("items",), 0, w_items, r_items
    for keyword in ("prefixItems", "items"):
        w_list, r_list = writer.get(keyword), reader.get(keyword)
        if isinstance(w_list, list) and isinstance(r_list, list):
            for i, (w_child, r_child) in enumerate(zip(w_list, r_list, strict=False)):
                yield (keyword, str(i)), i, w_child, r_child
    for keyword in _ALTERNATIVES:
        w_list, r_list = writer.get(keyword), reader.get(keyword)
        if isinstance(w_list, list) and isinstance(r_list, list):
            for i, (w_child, r_child) in enumerate(zip(w_list, r_list, strict=False)):
                yield (keyword, str(i)), None, w_child, r_child
