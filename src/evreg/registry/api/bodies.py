"""Request bodies: read at most the configured number of bytes, parse JSON, check the shape."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from evreg.registry import data_contracts as dc
from evreg.registry import errors
from evreg.registry.inputs import storable
from evreg.registry.store import Reference
from evreg.registry.values import SchemaInput

INT32_MAX = 2**31 - 1  # ids and version numbers are 32-bit integers in the database


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body. Stops reading as soon as the body passes ``limit`` bytes."""
    return (await read_json_sized(request, limit))[0]


async def read_json_sized(request: Request, limit: int) -> tuple[Any, int]:
    """The parsed JSON body and its size in bytes (see :func:`read_json`)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.RequestTooLarge(f"Request body of {declared} bytes exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.RequestTooLarge(f"Request body exceeds {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise errors.MalformedRequest("Empty request body: a JSON object is required", status=400)
    try:
        return orjson.loads(body), len(body)
    except orjson.JSONDecodeError as exc:
        raise errors.MalformedRequest(f"Malformed JSON body: {exc}", status=400) from None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.MalformedRequest("The request body must be a JSON object", status=422)
    return body


# What Confluent's RegisterSchemaRequest carries that evreg does not implement: refused.
REFUSED_SCHEMA_FIELDS = {
    "schemaTagsToAdd": "schema tags (Confluent's Stream Catalog) are not implemented by evreg",
    "schemaTagsToRemove": "schema tags (Confluent's Stream Catalog) are not implemented by evreg",
    "propagateSchemaTags": "schema tags (Confluent's Stream Catalog) are not implemented by evreg",
}
_REFERENCE_FIELDS = frozenset({"name", "subject", "version"})
SCHEMA_FIELDS = ("schema", "schemaType", "references", "metadata", "ruleSet", "id", "version")


def schema_input(body: Any, *, require_type: bool = False) -> SchemaInput:
    """``{"schema": "...", "schemaType": "JSON", "references": [...], "metadata": {...},
    "ruleSet": {...}}`` as a SchemaInput (``id`` and ``version``: IMPORT mode, read by the
    caller). A field evreg does not know is refused naming it, never dropped.

    No ``schemaType`` means AVRO, as on Confluent's API; ``require_type`` (evreg's own API)
    refuses a body without one instead."""
    data = _object(body)
    for key in data:
        if key in REFUSED_SCHEMA_FIELDS and not _asks_nothing(key, data[key]):
            raise errors.MalformedRequest(
                f"Unsupported field '{key}': {REFUSED_SCHEMA_FIELDS[key]}", status=422
            )
        if key not in SCHEMA_FIELDS and key not in REFUSED_SCHEMA_FIELDS:
            raise errors.MalformedRequest(
                f"Unknown field '{key}' (evreg reads {', '.join(SCHEMA_FIELDS)})", status=422
            )
    schema = data.get("schema")
    if schema is None:
        raise errors.InvalidSchema("Empty schema")
    if not isinstance(schema, str):
        raise errors.MalformedRequest("'schema' must be a string (the schema text)", status=422)
    schema_type = data.get("schemaType")
    if schema_type is not None and not isinstance(schema_type, str):
        raise errors.MalformedRequest("'schemaType' must be a string", status=422)
    if schema_type is None and require_type:
        raise errors.InvalidSchema(
            "Invalid schema: evreg's API needs a schemaType (JSON, ASYNCAPI or AVRO); "
            "only the Confluent API reads an absent one as AVRO"
        )
    for key in ("id", "version"):  # read by a registration in IMPORT mode; checked everywhere
        optional_int(data, key)
    raw_refs = data.get("references")
    if raw_refs is None:  # absent or null: none ({} or "" are refused, not read as none)
        raw_refs = []
    if not isinstance(raw_refs, list):
        raise errors.MalformedRequest("'references' must be a list", status=422)
    refs: list[Reference] = []
    for item in raw_refs:
        if not isinstance(item, dict):
            raise errors.MalformedRequest("each reference must be an object", status=422)
        if not item.keys() <= _REFERENCE_FIELDS:
            unknown = sorted(set(item) - _REFERENCE_FIELDS)
            raise errors.MalformedRequest(
                f"Unknown field '{unknown[0]}' in a reference (evreg reads name, subject, version)",
                status=422,
            )
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if not isinstance(name, str) or not isinstance(subject, str):
            raise errors.MalformedRequest(
                "each reference needs 'name' and 'subject' strings", status=422
            )
        version = _integer(version)
        if version is None:
            raise errors.MalformedRequest("each reference needs an integer 'version'", status=422)
        if version != -1 and not 1 <= version <= INT32_MAX:
            raise errors.MalformedRequest(
                f"reference version {version} is not -1 (latest) or 1..2^31-1", status=422
            )
        if not storable(name) or not storable(subject):
            raise errors.MalformedRequest(
                "reference names and subjects cannot contain NUL or invalid Unicode", status=422
            )
        refs.append(Reference(name, subject, version))
    return SchemaInput(
        schema=schema,
        schema_type=schema_type,
        references=tuple(refs),
        metadata=dc.text(dc.metadata(data.get("metadata"))),
        rule_set=dc.text(dc.rule_set(data.get("ruleSet"))),
    )


def _asks_nothing(key: str, value: Any) -> bool:
    """A refused field that asks for nothing: null, or an empty list of tags, or
    ``propagateSchemaTags: false`` (what some clients always send)."""
    if key == "propagateSchemaTags":
        return value is None or value is False
    return value is None or value == []


def _integer(value: Any) -> int | None:
    """A JSON integer: an int, or a number with no fractional part (``3.0`` is the integer 3
    to JSON Schema, so the OpenAPI document's ``integer`` admits it); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def optional_int(body: Any, key: str) -> int | None:
    value = _object(body).get(key)
    if value is None:
        return None
    value = _integer(value)
    if value is None:
        raise errors.MalformedRequest(f"'{key}' must be an integer", status=422)
    if not 1 <= value <= INT32_MAX:
        raise errors.MalformedRequest(f"'{key}' must be from 1 to 2^31-1", status=422)
    return value


def optional_str(body: Any, *keys: str) -> str | None:
    data = _object(body)
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise errors.MalformedRequest(f"'{key}' must be a string", status=422)
        if not storable(value):
            raise errors.MalformedRequest(f"'{key}' contains NUL or invalid Unicode", status=422)
        return value
    return None
