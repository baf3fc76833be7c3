"""Read YAML text into JSON values, safely.

libyaml (``CSafeLoader``, when present) composes the node graph; the values are then built here,
iteratively, so that every node is checked on the way:

* anchors and aliases are allowed, but an alias bomb ("billion laughs") is refused: more than
  ``MAX_ALIASES`` alias uses, or more than ``values.MAX_NODES`` values once expanded;
* recursive aliases (``&a [*a]``), nesting past ``values.MAX_DEPTH``, duplicate keys, non-string
  keys and tags that have no JSON meaning (``!!binary``, ``!!set``, ``.nan``) are errors with the
  line and column where they sit;
* timestamps stay the text they were written as (``2026-11-20`` is a string, as in JSON).
"""

from __future__ import annotations

import math
from typing import Any

import yaml

try:  # libyaml's composer when it is there: several times faster
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - pyyaml built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue
from evreg.contracts.values import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES, too_many_digits

MAX_ALIASES = 1000  # alias uses (``*name``) in one document


_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_TIMESTAMP, _MERGE, _MAP, _SEQ = (_TAG + t for t in ("timestamp", "merge", "map", "seq"))
_KEY_TAGS = {_STR, _TIMESTAMP}


class _Loader(_BaseLoader):
    """The node composer; value construction happens in ``_Builder``."""


def _at(node: yaml.Node, message: str) -> ContractError:
    mark = node.start_mark
    return ContractError(message, line=mark.line + 1, column=mark.column + 1)


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


class _Builder:
    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.values: dict[int, Any] = {}  # id(node) -> built value
        self.heights: dict[int, int] = {}  # id(node) -> container levels at and below it
        self.sizes: dict[int, int] = {}  # id(node) -> values below it, aliases expanded
        self.open: set[int] = set()
        self.aliases = 0

    def build(self, root: yaml.Node) -> JSONValue:
        # (node, depth, children done?, the node it sits in: where an alias is written)
        stack: list[tuple[yaml.Node, int, bool, yaml.Node]] = [(root, 1, False, root)]
        while stack:
            node, depth, ready, parent = stack.pop()
            nid = id(node)
            if ready:
                self._finish(node)
                continue
            if nid in self.values:
                self._alias(node, depth, parent)
                continue
            if nid in self.open:
                raise _at(parent, "recursive YAML alias: a node contains itself")
            if isinstance(node, yaml.ScalarNode):
                self.values[nid] = self._scalar(node)
                self.heights[nid] = 0
                self.sizes[nid] = 1
                continue
            if depth > MAX_DEPTH:
                raise _at(node, f"document is nested more than {MAX_DEPTH} levels deep")
            self.open.add(nid)
            stack.append((node, depth, True, parent))
            if isinstance(node, yaml.MappingNode):
                self._check_map(node)
                children = [v for _, v in node.value]
            else:
                self._check_seq(node)
                children = list(node.value)
            stack.extend((child, depth + 1, False, node) for child in reversed(children))
        return self.values[id(root)]

    def _alias(self, node: yaml.Node, depth: int, parent: yaml.Node) -> None:
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _at(parent, f"document uses more than {MAX_ALIASES} YAML aliases")
        height = self.heights[id(node)]
        if height and depth + height - 1 > MAX_DEPTH:
            raise _at(parent, f"document is nested more than {MAX_DEPTH} levels deep")

    def _check_map(self, node: yaml.MappingNode) -> None:
        if node.tag != _MAP:
            raise _at(node, f"YAML tag {_tag_name(node.tag)} has no JSON meaning")
        seen: set[str] = set()
        for key, value in node.value:
            if key.tag == _MERGE:
                if not isinstance(value, yaml.MappingNode | yaml.SequenceNode):
                    raise _at(value, "a YAML merge key (<<) needs a mapping or a list of them")
                continue
            if not isinstance(key, yaml.ScalarNode):
                raise _at(key, "object keys must be strings, not YAML collections")
            if key.tag not in _KEY_TAGS:
                raise _at(
                    key,
                    f"object key {key.value!r} is read by YAML as {key.tag.removeprefix(_TAG)}, "
                    "not a string: quote it",
                )
            if key.value in seen:
                raise _at(key, f"duplicate key {key.value!r}")
            seen.add(key.value)

    def _check_seq(self, node: yaml.Node) -> None:
        if node.tag != _SEQ:
            raise _at(node, f"YAML tag {_tag_name(node.tag)} has no JSON meaning")

    def _finish(self, node: yaml.Node) -> None:
        nid = id(node)
        children: list[yaml.Node]
        if isinstance(node, yaml.MappingNode):
            children = [v for _, v in node.value]
            value: Any = self._mapping(node)
        else:
            children = node.value
            value = [self.values[id(child)] for child in children]
        size = 1 + sum(self.sizes[id(c)] for c in children)
        if size > MAX_NODES:
            raise _at(node, f"document expands to more than {MAX_NODES} values (YAML aliases)")
        self.heights[nid] = 1 + max((self.heights[id(c)] for c in children), default=0)
        self.sizes[nid] = size
        self.values[nid] = value
        self.open.discard(nid)

    def _mapping(self, node: yaml.MappingNode) -> dict[str, JSONValue]:
        result: dict[str, JSONValue] = {}
        merged: list[dict[str, JSONValue]] = []
        for key, value in node.value:
            built = self.values[id(value)]
            if key.tag == _MERGE:
                sources = built if isinstance(built, list) else [built]
                if not all(isinstance(s, dict) for s in sources):
                    raise _at(value, "a YAML merge key (<<) needs a mapping or a list of them")
                merged.extend(sources)
            else:
                result[key.value] = built
        if not merged:
            return result
        combined: dict[str, JSONValue] = {}
        for source in reversed(merged):  # the first merged mapping wins
            combined.update(source)
        combined.update(result)  # explicit keys win over merged ones
        return combined

    def _scalar(self, node: yaml.ScalarNode) -> JSONValue:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return self.loader.construct_yaml_bool(node)
        if tag == _INT:
            if len(node.value) > MAX_INT_DIGITS:
                raise _at(node, too_many_digits(len(node.value)))
            return self.loader.construct_yaml_int(node)
        if tag == _FLOAT:
            number = self.loader.construct_yaml_float(node)
            if not math.isfinite(number):
                raise _at(node, f"{node.value!r} is not a JSON number")
            return number
        raise _at(node, f"YAML tag {_tag_name(tag)} has no JSON meaning")


def _syntax_error(error: yaml.YAMLError, text: str) -> ContractError:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        line, column = error.problem_mark.line + 1, error.problem_mark.column + 1
        problem = error.problem or "syntax error"
        if "nesting depth" in problem:  # libyaml's own bound, far past ours
            message = f"document is nested more than {MAX_DEPTH} levels deep"
            return ContractError(message, line=line, column=column)
        if error.context:
            problem = f"{problem} ({error.context})"
        return ContractError(f"invalid YAML: {problem}", line=line, column=column)
    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line = before.count("\n") + 1
        column = error.position - (before.rfind("\n") + 1) + 1
        return ContractError(f"invalid YAML: {error.reason}", line=line, column=column)
    return ContractError(f"invalid YAML: {error}")


def read_yaml(text: str) -> JSONValue:
    """Parse one YAML document into a JSON value; ``ContractError`` (with line) if it's bad."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ContractError("the document is empty", line=1, column=1)
        return _Builder(loader).build(root)
    except yaml.YAMLError as error:
        raise _syntax_error(error, text) from None
    except RecursionError:  # only the pure-Python composer recurses
        raise ContractError(f"document is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
