"""An Avro schema, parsed by fastavro, with the JSON Pointer of every named type it defines.

``parse_avro`` checks a schema as Avro's specification reads it (fastavro's ``parse_schema``:
unknown types, bad names, defaults that do not match their field, duplicate names), and walks
the document as written to know where each type sits (``#/fields/2/type``), so findings and
errors name a place in the text the user wrote. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException, UnknownType, to_parsing_canonical_form
from fastavro.validation import ValidationError
from fastavro.validation import validate as fastavro_validate

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
COMPLEX = NAMED | {"array", "map"}


@dataclass(frozen=True, slots=True)
class Named:
    """A named type (record, error, enum, fixed) where the document defines it."""

    fullname: str
    node: Mapping[str, Any]
    pointer: str
    namespace: str  # the namespace its own fields' type names are read in


@dataclass(frozen=True, slots=True)
class Node:
    """A schema node with its type resolved: named references followed to their definition.

    ``kind`` is a primitive name, ``record`` (``error`` too), ``enum``, ``fixed``, ``array``,
    ``map`` or ``union``; ``node`` the JSON value that defines it (a dict, a list for a union, a
    string for a primitive); ``pointer`` where it sits; ``namespace`` the namespace type names
    inside it are read in; ``fullname`` a named type's full name.
    """

    kind: str
    node: Any
    pointer: str
    namespace: str
    fullname: str | None = None

    @property
    def name(self) -> str | None:
        """A named type's unqualified name."""
        return None if self.fullname is None else self.fullname.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class AvroSchema:
    """A checked Avro schema: the document as written, fastavro's parsed form, its named types."""

    document: Any
    parsed: Any
    names: Mapping[str, Named] = field(default_factory=dict)

    @property
    def canonical_form(self) -> str:
        """Avro's Parsing Canonical Form (what Avro fingerprints; drops docs, defaults, aliases)."""
        return str(to_parsing_canonical_form(self.parsed))

    def root(self) -> Node:
        return self.resolve(self.document, "#", "")

    def resolve(self, value: Any, at: str, namespace: str) -> Node:
        """The node ``value`` (written at ``at``, in ``namespace``) stands for."""
        if isinstance(value, list):
            return Node("union", value, at, namespace)
        if isinstance(value, str):
            if value in PRIMITIVES:
                return Node(value, value, at, namespace)
            named = self.lookup(value, namespace)
            if named is None:  # parse_avro refused unknown names
                raise ContractError(f"unknown Avro type {value!r}", pointer=at)
            kind = _kind(named.node["type"])
            return Node(kind, named.node, named.pointer, named.namespace, named.fullname)
        if isinstance(value, dict):
            written = value.get("type")
            if isinstance(written, dict | list):
                return self.resolve(written, pointer.join(at, "type"), namespace)
            if written in PRIMITIVES or written in ("array", "map"):
                return Node(str(written), value, at, namespace)
            if written in NAMED:
                fullname, inner = full_name(value, namespace)
                return Node(_kind(written), value, at, inner, fullname)
            if isinstance(written, str):  # {"type": "some.Named"}
                return self.resolve(written, pointer.join(at, "type"), namespace)
        raise ContractError(f"not an Avro schema: {value!r}", pointer=at)

    def lookup(self, name: str, namespace: str) -> Named | None:
        if "." not in name and namespace and f"{namespace}.{name}" in self.names:
            return self.names[f"{namespace}.{name}"]
        return self.names.get(name)

    def validate(self, value: Any) -> list[str]:
        """Why ``value`` is not a datum of this schema (fastavro's own validation); [] if it is."""
        try:
            fastavro_validate(value, self.parsed, raise_errors=True, strict=True)
        except ValidationError as error:
            return [str(e) for e in error.errors] or [str(error)]
        except (TypeError, ValueError, AttributeError) as error:
            return [str(error)]
        return []


def _kind(kind: object) -> str:
    return "record" if kind == "error" else str(kind)


def full_name(node: Mapping[str, Any], namespace: str) -> tuple[str, str]:
    """(full name, namespace) of a named type written in ``namespace``."""
    name = str(node.get("name", ""))
    if "." in name:
        return name, name.rpartition(".")[0]
    own = node.get("namespace")
    space = own if isinstance(own, str) else namespace
    return (f"{space}.{name}" if space else name), space


def parse_avro(
    document: Any, *, references: Sequence[Any] = (), at: str = "#", check: bool = True
) -> AvroSchema:
    """``document`` (a JSON value: a type name, an object or a union list) as an Avro schema.

    ``references``: documents defining named types ``document`` may use (Confluent's schema
    references, in order). A problem is a ``ContractError`` at a JSON Pointer (``at`` is the
    pointer of ``document`` in a larger document, e.g. an AsyncAPI payload).
    ``check``: False for text a registry stored after checking it (fastavro still parses it).
    """
    named: dict[str, Any] = {}
    names: dict[str, Named] = {}
    try:
        for reference in references:
            _check_structure(reference, "#")
            fastavro.parse_schema(reference, named, _write_hint=False)
        _check_structure(document, at)
        parsed = fastavro.parse_schema(document, named, _ignore_default_error=not check)
    except ContractError:
        raise
    except (SchemaParseException, UnknownType, ValueError, TypeError, KeyError) as error:
        raise ContractError(f"invalid Avro schema: {_reason(error)}", pointer=at) from None
    except RecursionError:
        raise ContractError("Avro schema nested too deeply", pointer=at) from None
    schema = AvroSchema(document, parsed, names)
    for reference in references:
        _walk(reference, "#", "", names)
    _walk(document, at, "", names)
    return schema


def _reason(error: BaseException) -> str:
    text = str(error) or error.__class__.__name__
    if isinstance(error, UnknownType):
        return f"unknown type {text}"
    return text


_REQUIRED = {
    "record": ("fields", list),
    "error": ("fields", list),
    "enum": ("symbols", list),
    "fixed": ("size", int),
    "array": ("items", object),
    "map": ("values", object),
}


def _check_structure(value: Any, at: str) -> None:
    """What fastavro lets through or reports without a place: each complex type's own member,
    fields with a name and a type, unions without a union or a duplicate among their branches."""
    stack: list[tuple[Any, str]] = [(value, at)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            seen: dict[str, int] = {}
            for i, branch in enumerate(node):
                here = pointer.join(where, i)
                if isinstance(branch, list):
                    raise ContractError("a union cannot hold a union directly", pointer=here)
                key = _branch_key(branch)
                if key in seen:
                    raise ContractError(
                        f"a union holds {key} twice (branches {seen[key]} and {i})", pointer=here
                    )
                seen[key] = i
                stack.append((branch, here))
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if isinstance(kind, dict | list):
            stack.append((kind, pointer.join(where, "type")))
            continue
        if kind in _REQUIRED:
            member, expected = _REQUIRED[kind]
            found = node.get(member)
            if found is None or not isinstance(found, expected) or isinstance(found, bool):
                raise ContractError(f"an Avro {kind} needs `{member}`", pointer=where)
        if kind in ("record", "error"):
            for i, field in enumerate(node["fields"]):
                here = pointer.join(where, "fields", i)
                if not isinstance(field, dict) or not isinstance(field.get("name"), str):
                    raise ContractError("a record field needs a `name`", pointer=here)
                if "type" not in field:
                    raise ContractError(f"field {field['name']!r} needs a `type`", pointer=here)
                stack.append((field["type"], pointer.join(here, "type")))
        elif kind in ("array", "map"):
            member = "items" if kind == "array" else "values"
            stack.append((node[member], pointer.join(where, member)))


def _branch_key(branch: Any) -> str:
    """What two branches of one union may not share: a type name, or array/map."""
    if isinstance(branch, dict):
        kind = branch.get("type")
        if kind in NAMED:
            return str(branch.get("name"))
        return str(kind)
    return str(branch)


def _walk(value: Any, at: str, namespace: str, names: dict[str, Named]) -> None:
    """Record where each named type in ``value`` is defined (iteratively: no deep recursion)."""
    stack: list[tuple[Any, str, str]] = [(value, at, namespace)]
    while stack:
        node, where, space = stack.pop()
        if isinstance(node, list):
            stack.extend((v, pointer.join(where, str(i)), space) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if isinstance(kind, dict | list):
            stack.append((kind, pointer.join(where, "type"), space))
        elif kind in NAMED:
            fullname, inner = full_name(node, space)
            names.setdefault(fullname, Named(fullname, node, where, inner))
            members = node.get("fields") if kind in ("record", "error") else None
            for i, member in enumerate(members if isinstance(members, list) else ()):
                if isinstance(member, dict):
                    stack.append((member.get("type"), f"{where}/fields/{i}/type", inner))
        elif kind == "array":
            stack.append((node.get("items"), pointer.join(where, "items"), space))
        elif kind == "map":
            stack.append((node.get("values"), pointer.join(where, "values"), space))
