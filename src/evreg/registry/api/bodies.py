"""Request bodies: read at most the configured number of bytes, parse JSON, check the shape."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from evreg.registry import errors
from evreg.registry.service import SchemaInput, storable
from evreg.registry.store import Reference

INT32_MAX = 2**31 - 1  # ids and version numbers are 32-bit integers in the database


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body. Stops reading as soon as the body passes ``limit`` bytes."""
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
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise errors.MalformedRequest(f"Malformed JSON body: {exc}", status=400) from None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.MalformedRequest("The request body must be a JSON object", status=422)
    return body


def schema_input(body: Any) -> SchemaInput:
    """``{"schema": "...", "schemaType": "JSON", "references": [...]}`` as a SchemaInput."""
    data = _object(body)
    schema = data.get("schema")
    if schema is None:
        raise errors.InvalidSchema("Empty schema")
    if not isinstance(schema, str):
        raise errors.MalformedRequest("'schema' must be a string (the schema text)", status=422)
    schema_type = data.get("schemaType")
    if schema_type is not None and not isinstance(schema_type, str):
        raise errors.MalformedRequest("'schemaType' must be a string", status=422)
    raw_refs = data.get("references") or []
    if not isinstance(raw_refs, list):
        raise errors.MalformedRequest("'references' must be a list", status=422)
    refs: list[Reference] = []
    for item in raw_refs:
        if not isinstance(item, dict):
            raise errors.MalformedRequest("each reference must be an object", status=422)
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if not isinstance(name, str) or not isinstance(subject, str):
            raise errors.MalformedRequest(
                "each reference needs 'name' and 'subject' strings", status=422
            )
        if isinstance(version, bool) or not isinstance(version, int):
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
    return SchemaInput(schema=schema, schema_type=schema_type, references=tuple(refs))


def optional_int(body: Any, key: str) -> int | None:
    value = _object(body).get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.MalformedRequest(f"'{key}' must be an integer", status=422)
    if not -INT32_MAX - 1 <= value <= INT32_MAX:
        raise errors.MalformedRequest(f"'{key}' must fit in 32 bits", status=422)
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
