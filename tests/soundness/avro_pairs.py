"""Random Avro schema pairs for the resolution fuzz test: a schema, and a mutation of it.

The generator knows nothing of evreg: it writes schemas as a user would (records, enums, fixed,
arrays, maps, unions with null, nested records, defaults, aliases, namespaces) and mutates them
the ways schemas evolve (fields added with and without defaults, removed, renamed with aliases;
types promoted or changed; enum symbols added and removed, enum defaults; unions widened and
narrowed; named types renamed with and without aliases; fixed sizes changed).
"""

from __future__ import annotations

import copy
import random
from typing import Any

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
VALUES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "int": 1,
    "long": 2,
    "float": 1.5,
    "double": 2.5,
    "bytes": "\u00ff",
    "string": "s",
}
SYMBOLS = ["A", "B", "C", "D", "E"]


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def type(self, depth: int) -> Any:
        r = self.rng.random()
        if depth > 2 or r < 0.45:
            return self.rng.choice(PRIMITIVES[1:])
        if r < 0.55:
            return {
                "type": "enum",
                "name": self.name("E"),
                "symbols": SYMBOLS[: self.rng.randint(1, 4)],
            }
        if r < 0.62:
            return {"type": "fixed", "name": self.name("F"), "size": self.rng.randint(1, 4)}
        if r < 0.72:
            return {"type": "array", "items": self.type(depth + 1)}
        if r < 0.8:
            return {"type": "map", "values": self.type(depth + 1)}
        if r < 0.92:
            inner = self.type(depth + 1)
            if isinstance(inner, list):
                return inner
            other = self.rng.choice(PRIMITIVES[1:])
            branches = ["null", inner] if other == inner else ["null", inner, other]
            return branches if self.rng.random() < 0.7 else branches[1:]
        return self.record(depth + 1)

    def record(self, depth: int) -> dict[str, Any]:
        fields = []
        for i in range(self.rng.randint(1, 4)):
            fields.append({"name": f"f{i}", "type": self.type(depth)})
        node: dict[str, Any] = {"type": "record", "name": self.name("R"), "fields": fields}
        if self.rng.random() < 0.3:
            node["namespace"] = "ns"
        return node


class Mutator:
    """Mutates a copy of a schema in place, each node with probability ``rate``."""

    def __init__(self, rng: random.Random, gen: Gen, rate: float = 0.25) -> None:
        self.rng = rng
        self.gen = gen
        self.rate = rate

    def __call__(self, schema: Any) -> Any:
        out = copy.deepcopy(schema)
        for _ in range(3):
            out = self.node(out, 0)
            if out != schema:
                break
        return out

    def hit(self) -> bool:
        return self.rng.random() < self.rate

    def node(self, node: Any, depth: int) -> Any:
        rng = self.rng
        if isinstance(node, str):
            if self.hit():
                return rng.choice([rng.choice(PRIMITIVES[1:]), ["null", node]])
            return node
        if isinstance(node, list):
            branches = [self.node(b, depth + 1) for b in node]
            if self.hit() and len(branches) > 1:
                del branches[rng.randrange(len(branches))]
            elif self.hit():
                extra = rng.choice(PRIMITIVES[1:])
                if extra not in branches:
                    branches.insert(rng.randint(0, len(branches)), extra)
            if len(branches) == 1 and self.hit():
                return branches[0]
            return branches
        kind = node["type"]
        if kind == "record":
            fields = node["fields"]
            for field in fields:
                field["type"] = self.node(field["type"], depth + 1)
                field.pop("default", None)  # a changed type would make an old default invalid
                if self.hit():
                    field.setdefault("aliases", []).append(field["name"])
                    field["name"] = field["name"] + "x"
            if self.hit() and len(fields) > 1:
                del fields[rng.randrange(len(fields))]
            if self.hit():
                ftype = rng.choice(PRIMITIVES[1:])
                added: dict[str, Any] = {"name": self.gen.name("g"), "type": ftype}
                if rng.random() < 0.5:
                    added["default"] = VALUES[ftype]
                fields.insert(rng.randint(0, len(fields)), added)
            self.rename(node)
            if self.hit():
                return ["null", node]
            return node
        if kind == "enum":
            symbols = node["symbols"]
            if self.hit() and len(symbols) > 1:
                symbols.pop(rng.randrange(len(symbols)))
            if self.hit() and len(symbols) < len(SYMBOLS):
                symbols.append(SYMBOLS[len(symbols)])
            if self.hit():
                node["default"] = symbols[0]
            self.rename(node)
            return node
        if kind == "fixed":
            if self.hit():
                node["size"] = node["size"] + 1
            self.rename(node)
            return node
        if kind == "array":
            node["items"] = self.node(node["items"], depth + 1)
            return node
        if kind == "map":
            node["values"] = self.node(node["values"], depth + 1)
            return node
        return node

    def rename(self, node: dict[str, Any]) -> None:
        if self.hit():
            old = node["name"]
            node["name"] = old + "x"
            if self.rng.random() < 0.5:
                node["aliases"] = [old]


def pair(seed: int) -> tuple[Any, Any]:
    rng = random.Random(seed)
    gen = Gen(rng)
    old = gen.record(0)
    return old, Mutator(rng, gen)(old)
