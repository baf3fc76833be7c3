"""Witnesses for Avro: a datum the writer schema accepts that the reader cannot resolve.

The datum follows the change's route from the writer's root (the field, union branch, array
item, map value or enum symbol that reaches the change); everything else takes the smallest
value of its type. It counts as a witness only when fastavro proves it: written in Avro's
binary encoding with the writer schema, read back with the writer and reader schemas, and the
read fails. The witness is shown in Avro's JSON encoding (fastavro's ``json_writer``: unions
as ``{"type": value}``, bytes as text of code points 0-255).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import fastavro
from fastavro.json_write import json_writer
from fastavro.read import SchemaResolutionError

from evreg.contracts import pointer
from evreg.contracts.avro.schema import AvroSchema, Node
from evreg.contracts.compat.diff.avro import AvroChange, Step
from evreg.contracts.compat.witness.finder import MAX_SEARCHES

MAX_DEPTH = 64  # a datum deeper than this is not built (recursive types)


@dataclass(frozen=True, slots=True)
class AvroWitness:
    found: bool
    value: Any = None  # the datum in Avro's JSON encoding
    note: str | None = None


class _Unbuildable(Exception):
    pass


def avro_witness(
    writer: AvroSchema, reader: AvroSchema, found: AvroChange, over_bound: bool = False
) -> AvroWitness:
    """A proven witness for ``found``, or why there is none (``over_bound``: the check has
    built as many as it may, ``MAX_SEARCHES``, and builds no more)."""
    if over_bound:
        return AvroWitness(
            False,
            note=f"not built: witnesses were already built for {MAX_SEARCHES} findings "
            "of this check",
        )
    try:
        datum = _Builder(writer).build(writer.root(), found.route, 0)
    except _Unbuildable as why:
        return AvroWitness(False, note=f"no datum reaches the change: {why}")
    if not reads_fail(writer, reader, datum):
        return AvroWitness(
            False,
            note="the datum that reaches the change was read without error by fastavro "
            "(Avro picks a union branch by value, which may not be the one changed)",
        )
    return AvroWitness(True, value=json_encoding(writer, datum))


def reads_fail(writer: AvroSchema, reader: AvroSchema, datum: Any) -> bool:
    """Written with ``writer``, does reading it with ``reader`` fail (fastavro's resolution)?"""
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer.parsed, datum)
    buffer.seek(0)
    try:
        fastavro.schemaless_reader(buffer, writer.parsed, reader.parsed)
    except SchemaResolutionError:
        return True
    except (ValueError, TypeError, KeyError, EOFError):
        return True
    return False


def json_encoding(schema: AvroSchema, datum: Any) -> Any:
    out = io.StringIO()
    json_writer(out, schema.parsed, [datum])
    return json.loads(out.getvalue())


class _Builder:
    def __init__(self, schema: AvroSchema) -> None:
        self.schema = schema

    def child(self, node: Node, value: Any, *segments: str | int) -> Node:
        return self.schema.resolve(value, pointer.join(node.pointer, *segments), node.namespace)

    def build(self, node: Node, route: tuple[Step, ...], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Unbuildable(f"the type at {node.pointer} only nests deeper than {MAX_DEPTH}")
        step, rest = (route[0], route[1:]) if route else (None, ())
        kind = node.kind
        if kind == "union":
            index = step[1] if step is not None and step[0] == "branch" else self._short(node)
            branch = self.child(node, node.node[index], index)
            value = self.build(branch, rest if step is not None else (), depth + 1)
            if step is not None and not rest and branch.kind in _WIDE:
                value = _WIDE[branch.kind]  # so the writer picks this branch, not int or float
            if branch.fullname is not None and branch.kind == "record":
                return (branch.fullname, value)  # fastavro's notation for the branch to write
            return value
        if kind == "record":
            record: dict[str, Any] = {}
            for i, field in enumerate(node.node.get("fields") or []):
                target = self.child(node, field["type"], "fields", i, "type")
                here = step is not None and step[0] == "field" and step[1] == field["name"]
                record[field["name"]] = self.build(target, rest if here else (), depth + 1)
            return record
        if kind == "array":
            if step is None:
                return []
            return [self.build(self.child(node, node.node["items"], "items"), rest, depth + 1)]
        if kind == "map":
            if step is None:
                return {}
            values = self.child(node, node.node["values"], "values")
            return {"key": self.build(values, rest, depth + 1)}
        if kind == "enum":
            if step is not None and step[0] == "symbol":
                return step[1]
            return node.node["symbols"][0]
        if kind == "fixed":
            return b"\0" * int(node.node["size"])
        if step is not None and step[0] == "not-utf8":
            return b"\xff"
        return _PRIMITIVE_VALUES[kind]

    def _short(self, union: Node) -> int:
        """The branch whose smallest datum is smallest: null, a primitive, else the first."""
        kinds = [self.child(union, b, i).kind for i, b in enumerate(union.node)]
        for preferred in ("null", *_PRIMITIVE_VALUES):
            if preferred in kinds:
                return kinds.index(preferred)
        return 0


# values only the wider of two number types holds
_WIDE: dict[str, Any] = {"long": 2**40, "double": 1.0e300}

_PRIMITIVE_VALUES: dict[str, Any] = {
    "null": None,
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "string": "",
    "bytes": b"",
}
