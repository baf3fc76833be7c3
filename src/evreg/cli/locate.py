"""Map a JSON Pointer to a line in the YAML or JSON text it points into.

Findings carry pointers (``#/components/messages/OrderPlaced/payload/properties/total``); pull
request annotations and people want a line. ``yaml.compose`` keeps the position of every node,
and JSON is (for this purpose) YAML, so one walk serves both formats.

A pointer may pass through a local ``$ref`` (a finding about a payload property when the payload
is ``{$ref: '#/components/schemas/OrderPlacedPayload'}``): the walk follows such references.
"""

from __future__ import annotations

from urllib.parse import unquote

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MAX_REF_HOPS = 32
# libyaml's parser when PyYAML was built with it: the same nodes and marks, several times
# faster than the pure-Python one (`evreg compat` of a 3 MB JSON document refused at
# #/properties: 13.8 s -> 5.6 s of CPU, the line lookup being most of it)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def pointer_tokens(pointer: str) -> list[str]:
    """Split ``#/a/b~1c`` or ``/a/b~1c`` into unescaped reference tokens (``["a", "b/c"]``)."""
    if pointer.startswith("#"):
        pointer = pointer[1:]
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON Pointer: {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _child(node: Node, token: str) -> tuple[Node, int] | None:
    """The child of ``node`` named by ``token``, with the line (0-based) that names it."""
    if isinstance(node, MappingNode):
        # The fragment form of a pointer may be percent-encoded; try the literal token first.
        for candidate in dict.fromkeys((token, unquote(token))):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == candidate:
                    return value, key.start_mark.line
    elif isinstance(node, SequenceNode):
        if token.isdigit():
            index = int(token)
            if index < len(node.value):
                item: Node = node.value[index]
                return item, item.start_mark.line
        else:
            # The Confluent registry names array members by value: `#/required/phone`.
            for item in node.value:
                if isinstance(item, ScalarNode) and item.value == token:
                    return item, item.start_mark.line
    return None


def _local_ref(node: Node) -> str | None:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, ScalarNode)
                and key.value == "$ref"
                and isinstance(value, ScalarNode)
                and value.value.startswith("#")
            ):
                return str(value.value)
    return None


def _resolve(root: Node, tokens: list[str], hops: int) -> tuple[int, int]:
    """Walk ``tokens`` from ``root``; return (tokens consumed, 0-based line of the last one)."""
    node, line, depth = root, root.start_mark.line, 0
    while depth < len(tokens):
        found = _child(node, tokens[depth])
        if found is None:
            ref = _local_ref(node)
            if ref is None or hops >= _MAX_REF_HOPS:
                break
            try:
                target = pointer_tokens(ref)
            except ValueError:
                break
            # Follow the reference: the rest of the pointer continues from its target.
            consumed, target_line = _resolve(root, target + tokens[depth:], hops + 1)
            if consumed >= len(target):
                return depth + consumed - len(target), target_line
            break
        node, line = found
        depth += 1
    return depth, line


def line_of(source: str, pointer: str, *, nearest: bool = True) -> int | None:
    """The 1-based line of the node ``pointer`` names in ``source`` (YAML or JSON text).

    When the pointer names nothing there (a removed property, or a path the engine builds from
    several documents) and ``nearest`` is true, the line of the deepest node that exists on the
    way is returned; else ``None``. ``None`` too when ``source`` does not parse.
    """
    try:
        tokens = pointer_tokens(pointer)
        root = yaml.compose(source, Loader=_LOADER)
    except (ValueError, yaml.YAMLError):
        return None
    if root is None:
        return None
    consumed, line = _resolve(root, tokens, 0)
    if consumed < len(tokens) and not nearest:
        return None
    return line + 1
