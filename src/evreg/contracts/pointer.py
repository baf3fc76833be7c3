"""JSON Pointer helpers for the ``#/a/b`` locations that errors and ``SchemaRef`` carry."""

from __future__ import annotations

from urllib.parse import unquote

ROOT = "#"


def escape(segment: str | int) -> str:
    """Escape one reference token (RFC 6901: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    text = str(segment)
    if "~" not in text and "/" not in text:
        return text  # (the common case: nothing to escape)
    return text.replace("~", "~0").replace("/", "~1")


def join(base: str, *segments: str | int) -> str:
    """``join("#/a", "b/c", 0)`` -> ``"#/a/b~1c/0"``."""
    if not segments:
        return base
    return base + "/" + "/".join(escape(s) for s in segments)


def split(pointer: str) -> list[str]:
    """The unescaped tokens of a ``#/...`` fragment pointer (percent-decoded, like ``$ref``)."""
    fragment = pointer[1:] if pointer.startswith("#") else pointer
    if not fragment:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in unquote(fragment).split("/")[1:]]


def resolve(document: object, pointer: str) -> object:
    """The node at ``pointer`` (``#/a/b``) in ``document``; LookupError when there is none."""
    node = document
    for token in split(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise LookupError(f"{pointer} points at nothing")
    return node


def is_within(pointer: str, ancestor: str) -> bool:
    """True when ``pointer`` is ``ancestor`` or below it."""
    return pointer == ancestor or pointer.startswith(ancestor.rstrip("/") + "/")
