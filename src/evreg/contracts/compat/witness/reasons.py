"""Why no event can show a change, read from where the change is (before any search).

Some changes the policy calls breaking concern a keyword the validator ignores there, or a
sub-schema that no event can reach; searching for a witness would spend its whole budget and
say only "none found". :func:`no_event_reason` names such a place instead, so that the finding
says why it has no witness:

- ``additionalItems`` beside an ``items`` that is not an array, on both sides: draft-04 to
  2019-09 validators apply it only after a tuple (and 2020-12 has no such keyword), so no array
  is judged by it (Confluent's cases "Detect removed boolean additional items" and "Detect
  changes to additional items schema" still call the change breaking);
- ``unevaluatedItems`` beside an ``items`` schema on both sides (or in a draft before 2019-09,
  which ignores it): every item is evaluated already, so it judges none (the diff already
  reads ``unevaluatedProperties`` beside ``additionalProperties`` so);
- a ``dependencies``/``dependentSchemas`` schema that accepts no object on the writer's side
  (``{"type": "string"}``, ``false``): it applies to the object that has the property, so no
  valid event has that property and none can show how the reader treats it (Confluent's case
  "Detect incompatible changes to dependencies schemas").

Each answer is a fact about the two documents, never a guess: where it cannot tell, it says
nothing and the search runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from evreg.contracts import pointer
from evreg.contracts.model import DRAFT2019, DRAFT2020, SchemaRef

__all__ = ["no_event_reason"]

_ITEMS_NOTE: Final = (
    "no event can show this change: `additionalItems` applies only after an `items` array "
    "(a tuple), and neither version has one here, so validators ignore it (the policy calls "
    "the change breaking all the same)"
)
_DEPENDENCY_NOTE: Final = (
    "no event can show this change: the writer's dependency schema for `{name}` accepts no "
    "object, so no valid event has `{name}` (the policy calls the change breaking all the same)"
)
_UNEVALUATED_ITEMS_NOTE: Final = (
    "no event can show this change: `unevaluatedItems` judges only items nothing else "
    "evaluated, and here an `items` beside it evaluates every item in both versions (or the "
    "draft has no such keyword)"
)
_OBJECT_TYPES: Final = frozenset({"object"})


def no_event_reason(
    writer: SchemaRef,
    reader: SchemaRef,
    path: str,
    writer_node: str | None,
    reader_node: str | None,
) -> str | None:
    """Why no event can show the change at ``path`` (between the nodes at ``writer_node`` and
    ``reader_node``), or None when these two documents give no such reason."""
    if writer_node is None or reader_node is None:
        return None
    if "Items" in path:  # (`additionalItems` or `unevaluatedItems` may be a segment)
        return _moot_reason(writer, reader, path, writer_node, reader_node)
    if "dependen" in writer_node:  # (a `dependencies`/`dependentSchemas` entry)
        return _dependency_reason(writer, writer_node)
    return None


def _moot_reason(
    writer: SchemaRef, reader: SchemaRef, path: str, writer_node: str, reader_node: str
) -> str | None:
    for keyword, moot, note in _MOOT:
        if _segment(path.split("/"), keyword) is None:
            continue
        before = _owner(writer.document, writer_node, path, keyword)
        after = _owner(reader.document, reader_node, path, keyword)
        if (
            before is not None
            and after is not None
            and moot(before, writer.draft)
            and moot(after, reader.draft)
        ):
            return note
        return None
    return _dependency_reason(writer, writer_node)


def _dependency_reason(writer: SchemaRef, writer_node: str) -> str | None:
    parts = writer_node.split("/")
    if len(parts) >= 3 and parts[-2] in ("dependencies", "dependentSchemas"):
        schema = _resolve(writer.document, writer_node)
        if schema is not _UNKNOWN and _accepts_no_object(schema):
            name = parts[-1].replace("~1", "/").replace("~0", "~")
            return _DEPENDENCY_NOTE.format(name=name)
    return None


_UNKNOWN: Final = object()
# segments after which a keyword's name is a name (a property, a definition), not the keyword
_NAMING: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
)


def _resolve(document: Any, at: str) -> Any:
    try:
        return pointer.resolve(document, at)
    except LookupError:
        return _UNKNOWN


def _segment(parts: list[str], keyword: str) -> int | None:
    """The index of the last segment that is ``keyword`` used as a keyword, if any."""
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] == keyword and parts[i - 1] not in _NAMING:
            return i
    return None


def _owner(document: Any, node: str, path: str, keyword: str) -> dict[str, Any] | None:
    """The schema object in which ``keyword`` (the one at stake at ``path``) is written: the
    node itself (the keyword changed) or the node above the keyword (a change inside it). None
    when it cannot be read (or holds a ``$ref``, which could bring other keywords)."""
    parts = node.split("/")
    at = _segment(parts, keyword)
    if at is not None:
        owner = "/".join(parts[:at]) or "#"
    elif path.endswith("/" + keyword):
        owner = node
    else:
        return None
    schema = _resolve(document, owner)
    if not isinstance(schema, dict) or "$ref" in schema:
        return None
    return schema


def _no_tuple(owner: dict[str, Any], draft: str) -> bool:
    """``additionalItems`` is ignored: no ``items`` array before it (2020-12 has no such
    keyword at all)."""
    return draft == DRAFT2020 or not isinstance(owner.get("items"), list)


def _items_evaluated(owner: dict[str, Any], draft: str) -> bool:
    """``unevaluatedItems`` judges no item: drafts before 2019-09 ignore it; later, an
    ``items`` schema beside it (or an ``items`` array and ``additionalItems`` in 2019-09)
    evaluates every item."""
    if draft not in _UNEVALUATED_DRAFTS:
        return True
    items = owner.get("items")
    if draft == DRAFT2020:
        return "items" in owner and not isinstance(items, list)
    if isinstance(items, list):
        return "additionalItems" in owner
    return "items" in owner


_UNEVALUATED_DRAFTS: Final = frozenset({DRAFT2019, DRAFT2020})
_MOOT: Final[tuple[tuple[str, Callable[[dict[str, Any], str], bool], str], ...]] = (
    ("additionalItems", _no_tuple, _ITEMS_NOTE),
    ("unevaluatedItems", _items_evaluated, _UNEVALUATED_ITEMS_NOTE),
)


def _accepts_no_object(schema: Any) -> bool:
    if schema is False:
        return True
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind != "object"
    if isinstance(kind, list) and kind and all(isinstance(k, str) for k in kind):
        return _OBJECT_TYPES.isdisjoint(kind)
    return False
