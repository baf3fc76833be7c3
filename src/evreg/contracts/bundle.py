"""A schema that sits inside a bigger document, made standalone.

An AsyncAPI payload's ``$ref``s point into its document (``#/components/schemas/Order``). To
use it on its own (a registry subject Kafka serializers read, a validator in generated tests),
every local ``$ref`` it reaches is copied under ``$defs`` (``definitions`` before 2019-09) and
the ``$ref`` rewritten to point there. Several schemas become one ``anyOf``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from evreg.contracts.errors import ContractError
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, SchemaRef
from evreg.contracts.pointer import resolve, split


@dataclass(slots=True)
class _Bundler:
    document: Any
    defs_key: str
    names: dict[str, str] = field(default_factory=dict)  # pointer -> def name
    defs: dict[str, Any] = field(default_factory=dict)

    def name_for(self, pointer: str) -> str:
        if pointer in self.names:
            return self.names[pointer]
        tokens = split(pointer)
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", tokens[-1] if tokens else "")
        name = base or "schema"
        n = 2
        while name in self.defs or name in self.names.values():
            name = f"{base}_{n}"
            n += 1
        self.names[pointer] = name
        self.defs[name] = None  # reserve; filled below (cycles see the name already)
        try:
            target = resolve(self.document, pointer)
        except LookupError:
            raise ContractError(f"unresolvable $ref {pointer}", pointer=pointer) from None
        self.defs[name] = self.rewrite(target)
        return name

    def rewrite(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith("#"):
                    raise ContractError(
                        f"$ref {value!r} points into another document: bundle it first"
                    )
                out[key] = f"#/{self.defs_key}/{self.name_for(value)}"
            else:
                out[key] = self.rewrite(value)
        return out


def standalone(refs: list[SchemaRef]) -> dict[str, Any]:
    """One schema: the payload (or an ``anyOf`` of several), local refs bundled."""
    first = refs[0]
    defs_key = "definitions" if first.draft in (DRAFT4, DRAFT6, DRAFT7) else "$defs"
    bundler = _Bundler(first.document, defs_key)
    roots = [bundler.rewrite(copy.deepcopy(r.schema)) for r in refs]
    root: Any = roots[0] if len(roots) == 1 else {"anyOf": roots}
    if isinstance(root, bool):
        root = {} if root else {"not": {}}
    if set(root) == {"$ref"}:  # a bare $ref: inline its target (still in defs for cycles)
        name = root["$ref"].rsplit("/", 1)[-1]
        root = copy.deepcopy(bundler.defs[name])
    out: dict[str, Any] = {"$schema": first.draft}
    out.update(root)
    if bundler.defs:
        out[defs_key] = {**out.get(defs_key, {}), **bundler.defs}
    return out
