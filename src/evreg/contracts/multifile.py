"""A multi-file AsyncAPI document made one document: the files it references, embedded.

A service's document may refer to shared files (``$ref: '../common/messages.yaml#/Light'``).
The caller reads them (the core does no I/O) and hands them in keyed by their path relative to
the main document's folder (``../common/messages.yaml``). Each is embedded unchanged under the
root extension field ``x-evreg-files`` (the official schemas allow ``x-`` fields there), and
every ``$ref`` to a file becomes a local one: ``#/x-evreg-files/..~1common~1messages.yaml/Light``.
A ``$ref`` inside an embedded file is read relative to that file, as AsyncAPI tools read it.

The result is what every command reads and what ``push`` registers: one self-contained document,
so the registry, ``check``, ``diff`` and ``generate`` all see the same thing, and a change in a
shared file is a change of every document that uses it. (``bundled_place`` maps a pointer into
the embedded files back to the file and its own pointer, for error messages.)
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue

FILES = "x-evreg-files"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def file_of(ref: str) -> str | None:
    """The file a ``$ref`` names (``common.yaml#/X`` -> ``common.yaml``); None for a local
    ``#...`` reference or a URL (which evreg never fetches)."""
    target = ref.split("#", 1)[0]
    if not target or _SCHEME.match(target):
        return None
    return target


def file_refs(value: JSONValue) -> list[str]:
    """The files named by ``$ref``s in ``value``, in the order they are first met."""
    found: dict[str, None] = {}
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (name := file_of(ref)) is not None:
                found.setdefault(name)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return list(found)


def relative_to_main(referrer: str, ref_file: str) -> str:
    """The path of ``ref_file`` (written in the file ``referrer``, both relative to the main
    document's folder; ``""`` is the main document) relative to the main document's folder."""
    folder = posixpath.dirname(referrer)
    return posixpath.normpath(posixpath.join(folder, ref_file))


def _local(key: str, fragment: str) -> str:
    return pointer.join("#", FILES, key) + fragment


def _rewrite(node: Any, referrer: str, main: str, files: Mapping[str, JSONValue]) -> Any:
    """A copy of ``node`` (written in file ``referrer``) with every file ``$ref`` made local."""
    if isinstance(node, list):
        return [_rewrite(item, referrer, main, files) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = _rewritten_ref(value, referrer, main, files)
        else:
            out[key] = _rewrite(value, referrer, main, files)
    return out


def _rewritten_ref(ref: str, referrer: str, main: str, files: Mapping[str, JSONValue]) -> str:
    target, _, fragment = ref.partition("#")
    if not target:
        return ref if not referrer else _local(referrer, fragment)
    if file_of(ref) is None:
        return ref  # a URL: left for the loader to refuse (evreg never fetches)
    path = relative_to_main(referrer, target)
    if path == main:
        return "#" + fragment
    if path not in files:
        raise ContractError(f"$ref {ref!r}: the file {path} was not read")
    return _local(path, fragment)


def embed(document: JSONValue, files: Mapping[str, JSONValue], main: str = "") -> JSONValue:
    """``document`` with ``files`` (path relative to its folder -> parsed content) embedded
    under ``x-evreg-files`` and every file ``$ref`` made local. ``main`` is the main document's
    own name (a ``$ref`` back to it becomes local). Without files, ``document`` unchanged."""
    if not files or not isinstance(document, dict):
        return document
    if FILES in document:
        raise ContractError(
            f"{FILES} is evreg's own field for the files a document references",
            pointer=pointer.join("#", FILES),
        )
    out = _rewrite(document, "", main, files)
    out[FILES] = {key: _rewrite(value, key, main, files) for key, value in sorted(files.items())}
    return out


def bundled_place(at: str) -> tuple[str, str] | None:
    """``#/x-evreg-files/<file>/a/b`` -> (``<file>``, ``#/a/b``); None for any other pointer."""
    tokens = pointer.split(at) if at.startswith("#/") else []
    if len(tokens) < 2 or tokens[0] != FILES:
        return None
    return tokens[1], pointer.join("#", *tokens[2:])
