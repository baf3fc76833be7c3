"""Check an AsyncAPI document against the official JSON Schema of its version.

The schemas are those of the ``@asyncapi/specs`` npm package, vendored in
``asyncapi_specs/`` (see its README: version, source, Apache-2.0). Each is one draft-07 file
whose ``definitions`` are the spec's own files keyed by their ``$id``; ``referencing`` resolves
the ``$ref``s between them. A validator is built once per version, on first use.

Errors come out as the spec's validator finds them, made readable: an ``oneOf``/``anyOf``
(a channel is a Reference Object *or* a Channel Object) is reported through the branch that
fits the value best, and an unknown field is named at its own pointer
(``#/info/bogusField: unknown field``), so each error can be mapped to a file line.

One part of the spec's schemas is left out: a Schema Object (a payload, headers, a
``components.schemas`` entry, in JSON Schema, Avro or OpenAPI form) is only required to be an
object or a boolean here. evreg checks every payload and headers schema, and every schema they
reference, against the meta-schema of its own dialect (``schemacheck``: 2020-12 by default, or
the draft its ``schemaFormat`` or ``$schema`` names; Avro by its own reader), which the spec's
draft-07 rendering would duplicate at ten times the cost of the rest of the check.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT7

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.subschemas import subschemas

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by `referencing`

# the spec versions whose schema is vendored: "2.6" -> "2.6.0.json"
SPEC_VERSIONS = ("2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.0", "3.1")
MAX_ERRORS = 20  # reported per document; a broken document rarely needs more to be fixed
_DRAFT7 = "http://json-schema.org/draft-07/schema"
# the spec's renderings of the payload formats: JSON Schema, Avro, OpenAPI's Schema Object
_PAYLOAD_FORMATS = ("/schema.json", "/openapiSchema_3_0.json")
_AVRO = "/avroSchema_v1.json"
_SCHEMA_TYPES = ["object", "boolean"]
_MAX_HOPS = 32  # $ref to $ref chains in the spec's schemas are short
_EXTENSION = re.compile(r"^x-[\w\d.\-_]+$")


@functools.cache
def _validator(spec: str) -> Draft7Validator:
    text = resources.files("evreg.contracts").joinpath("asyncapi_specs", f"{spec}.0.json")
    schema = json.loads(text.read_text(encoding="utf-8"))
    definitions = schema["definitions"]
    for uri in definitions:
        if uri.endswith(_AVRO):  # an Avro schema may be a string ("long") or a list (a union)
            definitions[uri] = {}
        elif uri == _DRAFT7 or ("/definitions/" in uri and uri.endswith(_PAYLOAD_FORMATS)):
            definitions[uri] = {"type": _SCHEMA_TYPES}  # see the module's docstring
    root = DRAFT7.create_resource(schema)
    # every definition is a file of the spec under its own $id: register each directly
    # (what Registry.crawl would find, without walking the whole schema)
    registry: Registry[Any] = Registry().with_resources(
        [(schema["$id"], root)]
        + [(uri, DRAFT7.create_resource(sub)) for uri, sub in schema["definitions"].items()]
    )
    inlined = _inline(schema, registry)
    _either(inlined, definitions)
    return Draft7Validator(inlined, registry=registry)


def _either(schema: dict[str, Any], definitions: dict[str, Any]) -> None:
    """``oneOf: [Reference, Schema]`` -> ``anyOf`` (in place).

    The spec says "a Reference Object or a Schema Object" with ``oneOf``, but a ``$ref`` is a
    valid JSON Schema too, so the official schema refuses every ``$ref`` written there (a Kafka
    binding's ``key: {$ref: '#/components/schemas/Id'}``) when the document is validated as
    written, not dereferenced. Either alternative is what the spec means.
    """
    references = {id(d) for uri, d in definitions.items() if uri.endswith("/Reference.json")}
    schemas = {
        id(d)
        for uri, d in definitions.items()
        if d.get("type") is _SCHEMA_TYPES or uri.endswith(_AVRO)  # Avro's is {} (see above)
    }
    stack: list[Any] = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        branches = node.get("oneOf")
        if isinstance(branches, list):
            found = {id(b) for b in branches}
            if found & references and found & schemas:
                node["anyOf"] = node.pop("oneOf")
        stack.extend(child for child, _ in subschemas(node))


def _inline(schema: dict[str, Any], registry: Registry[Any]) -> dict[str, Any]:
    """Replace every ``$ref`` schema by the object it names (in place: ``schema`` is ours).

    The validator then descends into a cyclic structure without a reference lookup per keyword
    (three times faster on a typical document; ``metaschema.py`` does the same). In draft-07 a
    ``$ref`` makes its siblings ignored, so replacing the node changes nothing that validates.
    """
    stack: list[tuple[Any, Resolver[Any]]] = [(schema, registry.resolver(schema["$id"]))]
    seen: set[int] = set()
    seen_nodes: list[dict[str, Any]] = []
    while stack:
        node, resolver = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        seen_nodes.append(node)
        if isinstance(node.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT7.create_resource(node))
        for child, keys in list(subschemas(node)):
            target, found = child, resolver
            for _ in range(_MAX_HOPS):
                if not (isinstance(target, dict) and isinstance(target.get("$ref"), str)):
                    break
                resolved = found.lookup(target["$ref"])
                target, found = resolved.contents, resolved.resolver
            if target is not child:
                holder: Any = node
                for key in keys[:-1]:
                    holder = holder[key]
                holder[keys[-1]] = target
            stack.append((target, found))
    for node in seen_nodes:  # no $ref is left to resolve: a base URI is of no more use, and
        node.pop("$id", None)  # jsonschema would build a sub-resource at each one it enters
    return schema


def _cost(errors: list[ValidationError], depth: int) -> tuple[int, int, int]:
    """How badly a ``oneOf`` branch misses (lower fits better): errors about the value's very
    kind (its type, a required field, a constant) first, then shallow errors, then how many."""
    kind = sum(
        1
        for e in errors
        if len(e.absolute_path) == depth and e.validator in ("type", "required", "const", "enum")
    )
    return kind, -max(len(e.absolute_path) for e in errors), len(errors)


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[object, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
        depth = len(error.absolute_path)
        best = min(branches.values(), key=lambda branch: _cost(branch, depth))
        if _cost(best, depth)[0] == 0 or len(branches) == 1:
            for sub in best:
                yield from _leaves(sub)
            return
    yield error


def _at(path: Any) -> str:
    return pointer.join("#", *path)


def _describe(error: ValidationError) -> Iterator[tuple[str, str]]:
    """(pointer, message) for one leaf error."""
    at = _at(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [
            key for key in instance if key not in known and not any(p.search(key) for p in patterns)
        ]
        for key in extra or [""]:
            hint = " (extensions start with x-)" if not _EXTENSION.match(key) else ""
            yield pointer.join(at, key) if key else at, f"unknown field {key!r}{hint}"
        return
    if error.validator == "type" and error.validator_value == _SCHEMA_TYPES:
        yield at, f"must be a schema (an object or true/false), not {_json_type(instance)}"
        return
    if error.validator == "required":
        yield at, error.message.replace("is a required property", "is required")
        return
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    yield at, message


def _json_type(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "a list"


def spec_errors(document: object, version: str) -> list[ContractError]:
    """Every place ``document`` breaks the official schema of AsyncAPI ``version`` ("3.1")."""
    validator = _validator(version)
    found: list[ContractError] = []
    seen: set[tuple[str, str]] = set()
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    for error in errors:
        for leaf in _leaves(error):
            for at, message in _describe(leaf):
                if (at, message) not in seen and len(found) < MAX_ERRORS:
                    seen.add((at, message))
                    found.append(
                        ContractError(f"not valid AsyncAPI {version}: {message}", pointer=at)
                    )
    return found


def check_spec(document: object, version: str) -> None:
    """Raise one ``ContractError`` (carrying every error found) if ``document`` is not valid
    against the official schema of AsyncAPI ``version`` ("2.6", "3.0", "3.1")."""
    found = spec_errors(document, version)
    if found:
        first, *rest = found
        raise first.with_others(rest)
