"""Deterministic instances for JSON Schema nodes: a minimal valid one and boundary probes.

``sample`` builds a small instance valid under a schema node. ``candidates`` streams a bounded
number of diverse instances valid under it: each type it allows, boundary lengths and numbers,
every enum value, objects with each optional property present or absent and with extra
properties of every JSON type, arrays at their size limits, tuples with extra items, and so on.

Generation is heuristic, validity is not: every value is checked with ``Context.accepts`` (a real
validator) before it is returned. There is no randomness: the same inputs give the same output.
``$ref``/``allOf`` are merged, ``anyOf``/``oneOf`` branches explored, recursion is cut off.

This module is the public face; the work is done in ``regex_strings`` (strings a pattern
matches), ``constraints`` (merging the keywords of nodes into a ``Flat``), ``scalars`` (boundary
strings and numbers) and ``candidate_streams`` (``Sampler``: samples and candidate streams).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from jsonschema.protocols import Validator

from evreg.contracts.compat.matching import validator_class
from evreg.contracts.compat.witness.candidates import NO_HINTS, Hints, Sampler, put
from evreg.contracts.compat.witness.constraints import (
    MISSING,
    Context,
    Node,
    Nodes,
    canon,
    draft_version,
    walk,
)
from evreg.contracts.compat.witness.regex_strings import regex_strings, search
from evreg.contracts.model import DRAFT2020, Schema

__all__ = [
    "MISSING",
    "NO_HINTS",
    "Context",
    "Hints",
    "NoSample",
    "Node",
    "Nodes",
    "PlainContext",
    "Sampler",
    "candidates",
    "canon",
    "draft_version",
    "put",
    "regex_strings",
    "sample",
    "search",
    "walk",
]


class NoSample(ValueError):
    """No instance valid under the schema could be built."""


class PlainContext:
    """A standalone schema document: local ``#...`` refs, a real validator asserting formats."""

    def __init__(self, document: Schema, draft: str = DRAFT2020) -> None:
        cls = validator_class(draft)
        self._doc = document
        root = document if isinstance(document, dict) else {}
        self._root: Validator = cls(root, format_checker=cls.FORMAT_CHECKER)
        self._validators: dict[int, tuple[Schema, Validator]] = {}

    def resolve(self, ref: str) -> tuple[Schema, Context] | None:
        if not ref.startswith("#"):
            return None
        node = walk(self._doc, ref[1:])
        return None if node is MISSING else (node, self)

    def accepts(self, schema: Schema, value: Any) -> bool:
        entry = self._validators.get(id(schema))
        if entry is None:
            entry = self._validators[id(schema)] = (schema, self._root.evolve(schema=schema))
        return entry[1].is_valid(value)


def sample(schema: Schema, ctx: Context | None = None, *, draft: str = DRAFT2020) -> Any:
    """A small instance valid under ``schema``; raises NoSample when none could be built."""
    value = Sampler(draft).sample(((schema, ctx or PlainContext(schema, draft)),))
    if value is MISSING:
        raise NoSample("no instance valid under the schema could be built")
    return value


def candidates(
    schema: Schema,
    ctx: Context | None = None,
    *,
    draft: str = DRAFT2020,
    names: Sequence[str] = (),
    hints: Hints | None = None,
) -> Iterator[Any]:
    """Up to 200 diverse instances valid under ``schema``, the sample first.

    ``names`` are property names worth trying as extra properties of the top object (e.g. the
    names another version of the schema declares); ``hints`` more probes of that kind.
    """
    node: Node = (schema, ctx or PlainContext(schema, draft))
    probes = Hints(names=tuple(names)) if hints is None else hints.add_names(names)
    return iter(Sampler(draft).candidates((node,), probes))
