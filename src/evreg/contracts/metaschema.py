"""Meta-schemas shaped for speed: one document, references replaced by the objects they name.

The official meta-schemas are an ``allOf`` of seven vocabulary documents tied together with
``$dynamicRef``/``$recursiveRef``; ``jsonschema`` spends ~8 ms resolving those for one small
schema, against ~1 ms for the single-document draft-07 meta-schema. For checking a plain schema
(not a custom meta-schema) the dynamic references always land on the top meta-schema, so the
vocabularies can be merged into one document whose recursion is a plain ``$ref: "#"``. The same
keywords validate the same values, so errors and their instance paths are the same.

Then every ``{"$ref": "#..."}`` node (in every draft's meta-schema) is replaced by the object it
points to, so the meta-schema becomes a cyclic Python structure that ``jsonschema`` descends into
without a reference lookup per keyword: about twice as fast again.

If the bundled meta-schemas ever have a shape this merge does not expect, ``flat_meta_schema``
returns ``None`` and ``fast_meta_schema`` falls back to inlining the official one.
"""

from __future__ import annotations

import copy
import functools
from typing import Any
from urllib.parse import urljoin

from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]

from evreg.contracts import pointer
from evreg.contracts.model import DRAFT2019, DRAFT2020

_TOP_KEYS = {"$schema", "$id", "$vocabulary", "$dynamicAnchor", "$recursiveAnchor", "title"}
_TOP_KEYS |= {"$comment", "allOf", "type", "properties"}
_VOCAB_KEYS = {"$schema", "$id", "$vocabulary", "$dynamicAnchor", "$recursiveAnchor", "title"}
_VOCAB_KEYS |= {"type", "properties", "$defs"}
_TYPE = ["object", "boolean"]


class _Unexpected(Exception):
    pass


def _rewrite(node: Any, vocab: str) -> Any:
    """Copy a meta-schema node, turning its references into references within one document."""
    if isinstance(node, list):
        return [_rewrite(item, vocab) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if (key, value) in (("$dynamicRef", "#meta"), ("$recursiveRef", "#")):
            result["$ref"] = "#"
        elif key == "$ref":
            result["$ref"] = _local_ref(value, vocab)
        else:
            result[key] = _rewrite(value, vocab)
    return result


def _local_ref(ref: str, vocab: str) -> str:
    target, _, fragment = ref.partition("#")
    if target:  # "meta/validation#/$defs/stringArray"
        vocab = target.removeprefix("meta/")
    if not fragment.startswith("/$defs/") or fragment.count("/") != 2:
        raise _Unexpected(ref)
    return f"#/$defs/{vocab}__{fragment.removeprefix('/$defs/')}"


def _flatten(uri: str) -> dict[str, Any]:
    top = REGISTRY.contents(uri)
    if not isinstance(top, dict) or set(top) - _TOP_KEYS or top.get("type") != _TYPE:
        raise _Unexpected(uri)
    properties: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    parts: list[tuple[str, dict[str, Any]]] = [("", top)]
    for entry in top["allOf"]:
        ref = entry["$ref"]
        vocab = REGISTRY.contents(urljoin(uri, ref))
        if set(entry) != {"$ref"} or not isinstance(vocab, dict) or set(vocab) - _VOCAB_KEYS:
            raise _Unexpected(ref)
        if vocab.get("type") != _TYPE:
            raise _Unexpected(ref)
        parts.append((ref.removeprefix("meta/"), vocab))
    for name, part in parts:
        for key, value in part.get("properties", {}).items():
            if key in properties:
                raise _Unexpected(key)  # two vocabularies constrain one keyword
            properties[key] = _rewrite(value, name)
        for key, value in part.get("$defs", {}).items():
            defs[f"{name}__{key}"] = _rewrite(value, name)
    return {"type": list(_TYPE), "properties": properties, "$defs": defs}


def flat_meta_schema(draft: str) -> dict[str, Any] | None:
    """The merged meta-schema for ``draft`` (2019-09, 2020-12), or ``None``: use the real one."""
    if draft not in (DRAFT2019, DRAFT2020):
        return None
    try:
        return _flatten(draft)
    except (_Unexpected, KeyError, TypeError, AttributeError):
        return None


_ANNOTATIONS = {"$ref", "default", "description", "title", "$comment", "deprecated"}


def _is_local_ref(node: Any) -> bool:
    """``{"$ref": "#..."}``, maybe with annotations that do not change what validates."""
    return (
        isinstance(node, dict)
        and isinstance(node.get("$ref"), str)
        and node["$ref"][:1] == "#"
        and node.keys() <= _ANNOTATIONS
    )


def _inline(meta: dict[str, Any]) -> dict[str, Any]:
    """Replace ``{"$ref": "#/..."}`` nodes by their targets (in place; ``meta`` is our copy)."""

    def target(ref: str) -> Any:
        node: Any = meta
        for part in pointer.split(ref):
            node = node[part]
        return node

    seen: set[int] = set()
    stack: list[Any] = [meta]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        slots = node.items() if isinstance(node, dict) else enumerate(node)
        for slot, child in list(slots):
            if _is_local_ref(child):
                node[slot] = target(child["$ref"])
            elif isinstance(child, dict | list):
                stack.append(child)
    return meta


@functools.cache
def fast_meta_schema(draft: str) -> dict[str, Any]:
    """The meta-schema to check ``draft`` schemas with: flattened if possible, then inlined."""
    meta = flat_meta_schema(draft) or copy.deepcopy(REGISTRY.contents(draft.rstrip("#")))
    return _inline(meta)
