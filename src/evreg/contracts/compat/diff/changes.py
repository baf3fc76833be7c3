"""Building :class:`Change` records, and the small JSON helpers every part of the diff shares.

Every change the diff reports is built by :func:`change`, called through this module
(``changes.change(...)``), so there is one place that knows how a finding's pointers are written.
Paths inside the diff are JSON Pointers without the leading ``#`` (``""`` for the root,
``"/properties/a"`` below it); instance paths say where a value validated by the compared nodes
sits inside a whole event (``("customer", "tags", 0)``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from evreg.contracts.compat.diff.schema_view import Kinds, Node
from evreg.contracts.compat.proofs.json_values import is_number, one_shot
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import RuleId

__all__ = [
    "EXTRA_PROPERTY",
    "MISSING",
    "InstancePath",
    "Memo",
    "Path",
    "change",
    "dict_of",
    "is_number",
    "json_eq",
    "json_key",
    "rebase",
    "strings_of",
    "sub_node",
    "union",
]

K = TypeVar("K")
Path = str  # "" for the root, "/properties/a" below it
InstancePath = tuple[str | int, ...]
# A comparison's result as first computed: the path and instance path it was computed at, and
# its changes (with those paths), moved to wherever the same comparison is met again.
Memo = tuple[Path, InstancePath, list[Change]]

# The instance-path key standing for "some undeclared property" (the witness search makes it a
# real name).
EXTRA_PROPERTY: Final = "x-evreg-extra"
MISSING: Any = object()  # "no value" where None is a value (a default of null)


def change(
    rule: RuleId,
    path: Path,
    writer: Node | None,
    reader: Node | None,
    at: InstancePath,
    old: Any = None,
    new: Any = None,
) -> Change:
    """The change ``rule`` found at ``path`` between the ``writer`` and ``reader`` nodes."""
    # (positional, in the order of Change's fields: keywords cost more)
    return Change(
        rule,
        "#" + (path or "/"),
        old,
        new,
        None,  # message
        None,  # channel
        None,  # message_name
        writer.ptr if writer is not None else None,  # writer_node
        reader.ptr if reader is not None else None,  # reader_node
        at,  # instance_path
    )


def rebase(memo: Memo, path: Path, at: InstancePath) -> list[Change]:
    """The changes of a memoised comparison, moved to ``path`` and instance path ``at``."""
    first_path, first_at, found = memo
    if first_path == path and first_at == at:
        return list(found)
    cut, cut_at = len(first_path), len(first_at)
    out = []
    for c in found:
        internal = c.path[1:] if c.path != "#/" else ""
        out.append(
            Change(
                c.rule,
                "#" + ((path + internal[cut:]) or "/"),
                c.old,
                c.new,
                c.message,
                c.channel,
                c.message_name,
                c.writer_node,
                c.reader_node,
                (*at, *c.instance_path[cut_at:]),
            )
        )
    return out


def sub_node(node: Node, keyword: str) -> Node | None:
    """The node of the sub-schema under ``keyword`` (``not``, ``contains``...), if present."""
    return node.child(node.raw[keyword], keyword) if keyword in node.raw else None


def dict_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def strings_of(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def union(a: Mapping[K, Any], b: Mapping[K, Any]) -> list[K]:
    """The keys of ``a`` then those of ``b`` not in ``a``, in order."""
    if b.keys() <= a.keys():
        return list(a)  # (the common case: nothing new in ``b``)
    return [*a, *(k for k in b if k not in a)]


_ENCODER: Final = one_shot(json.JSONEncoder(sort_keys=True, separators=(",", ":")))
_ENCODE_STRING: Final[Callable[[str], str]] = json.encoder.encode_basestring_ascii


def json_key(value: Any) -> str:
    """Canonical JSON text of a value, with 1.0 written as 1 (JSON Schema's equality)."""
    if isinstance(value, str):
        return _ENCODE_STRING(value)  # what _ENCODER(value) returns for a string
    return _ENCODER(_normalise(value))


def node_key(node: Node) -> str:
    """``json_key`` of a typed node's schema (``false`` for a false schema), kept on the node:
    typed nodes live as long as their view, so the text is made once."""
    key = node.key
    if key is None:
        key = node.key = "false" if node.kind is Kinds.FALSE else json_key(node.raw)
    return key


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def json_eq(a: Any, b: Any) -> bool:
    """JSON Schema's equality: 1 == 1.0, but true != 1."""
    if a is b:
        return True
    if type(a) is not type(b) and not (is_number(a) and is_number(b)):
        return False
    return json_key(a) == json_key(b)
