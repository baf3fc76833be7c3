"""What every router of the API shares: the service and the caller of a request, running a
use case in a worker thread, the request body, and the OpenAPI descriptions of bodies and
responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

from evreg.registry import data_contracts as dc
from evreg.registry.api.bodies import read_json, read_json_sized, schema_input
from evreg.registry.api.errors import error_responses
from evreg.registry.api.media import CONSUMES, media_content
from evreg.registry.service import RegistryService
from evreg.registry.values import SchemaInput

T = TypeVar("T")
# A schema body this small is checked on the event loop (its check is linear in its size: tens
# of microseconds), a larger one in a worker thread (see schema_body)
INLINE_BODY_BYTES = 16 * 1024

PayloadStrategy = Annotated[
    str | None,
    Query(
        alias="payloadSubjectStrategy",
        description="evreg: how an AsyncAPI contract's payload subjects are named: topic-name "
        "(<channel address>-value), record-name or topic-record-name (default: the registry's "
        "EVREG_PAYLOAD_SUBJECT_STRATEGY): `evreg push --payload-subject-strategy`",
    ),
]

REFERENCE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "subject", "version"],
    "properties": {
        "name": {"type": "string", "pattern": "^[^\\u0000]*$"},
        "subject": {"type": "string", "pattern": "^[^\\u0000]*$"},
        "version": {
            "type": "integer",
            "description": "-1 (the latest, pinned when registered) or 1..2^31-1",
            "oneOf": [{"const": -1}, {"minimum": 1, "maximum": 2**31 - 1}],
        },
    },
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}


_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
# What data_contracts.metadata() and rule_set() accept, field by field (null: not given)
METADATA_IN = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "description": "Confluent data contract metadata",
    "properties": {
        "tags": _nullable({"type": "object", "additionalProperties": _STRINGS}),
        "properties": _nullable(_STRING_MAP),
        "sensitive": _nullable(_STRINGS),
    },
}


def _rule(modes: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "kind", "mode", "type"],
        "properties": {
            "name": {"type": "string", "pattern": f"^{dc.RULE_NAME_PATTERN}$"},
            "doc": {"type": ["string", "null"]},
            "kind": {"enum": list(dc.KINDS)},
            "mode": {"enum": list(modes)},
            "type": {"type": "string", "minLength": 1},
            "tags": _nullable(_STRINGS),
            "params": _nullable(_STRING_MAP),
            "expr": {"type": ["string", "null"]},
            "onSuccess": {"type": ["string", "null"]},
            "onFailure": {"type": ["string", "null"]},
            "disabled": {"type": "boolean"},
        },
    }


RULE_SET_IN = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "description": "Confluent data contract rules (run by clients); rule names are unique "
    "across the three lists",
    "properties": {
        **{
            key: {"type": ["array", "null"], "items": _rule(dc.RULE_MODES[key])}
            for key in dc.RULE_LISTS
        },
        "enableAt": {"type": ["string", "null"]},
    },
}
SCHEMA_BODY = {
    "type": "object",
    # evreg's own API: the type is always said (on the Confluent API an absent one means AVRO)
    "required": ["schema", "schemaType"],
    # any other field is refused naming it (api/bodies.py); Stream Catalog's tag fields only
    # when they ask for something
    "additionalProperties": False,
    "properties": {
        "schema": {
            "type": "string",
            # JSON text of an object, or for AVRO of a type name or a union; an ASYNCAPI
            # document may also be YAML
            "pattern": '^\\s*[{\\["][\\s\\S]*[}\\]"]\\s*$',
            "description": "The schema text: a JSON Schema, an Avro schema or an AsyncAPI "
            "document as JSON (an AsyncAPI document may also be YAML)",
        },
        "schemaType": {"type": "string", "enum": ["JSON", "ASYNCAPI", "AVRO"]},
        "references": {"type": ["array", "null"], "items": REFERENCE},
        "metadata": METADATA_IN,
        "ruleSet": RULE_SET_IN,
        "id": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 2**31 - 1,
            "description": "IMPORT mode only (checked, and ignored, elsewhere)",
        },
        "version": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 2**31 - 1,
            "description": "IMPORT mode only (checked, and ignored, elsewhere)",
        },
        "schemaTagsToAdd": {"type": ["array", "null"], "maxItems": 0, "description": "refused"},
        "schemaTagsToRemove": {"type": ["array", "null"], "maxItems": 0, "description": "refused"},
        "propagateSchemaTags": {"enum": [False, None], "description": "refused"},
    },
}
# The Confluent API's: no schemaType means AVRO, as in Confluent's registry
CONFLUENT_SCHEMA_BODY = {
    **SCHEMA_BODY,
    "required": ["schema"],
    "properties": {
        **SCHEMA_BODY["properties"],  # type: ignore[dict-item]
        "schemaType": {
            "type": ["string", "null"],
            "enum": ["JSON", "ASYNCAPI", "AVRO", None],
            "description": "absent or null: AVRO",
        },
    },
}


def service(request: Request) -> RegistryService:
    svc: RegistryService = request.app.state.service
    return svc


def actor(request: Request) -> str:
    return str(getattr(request.state, "actor", None) or "anonymous")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker thread (use cases block on the database)."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def body_of(request: Request) -> Any:
    return await read_json(request, request.app.state.settings.max_body_bytes)


async def schema_body(request: Request, *, require_type: bool = False) -> SchemaInput:
    """The request's schema body: read here, checked here if it is at most
    :data:`INLINE_BODY_BYTES` (a thread hop costs more than the check), else in a worker thread
    (a body of 1,000 references is milliseconds of Python that must not hold up the event
    loop, issue 15)."""
    return (await schema_body_and_json(request, require_type=require_type))[1]


async def schema_body_and_json(
    request: Request, *, require_type: bool = False
) -> tuple[Any, SchemaInput]:
    """The request's JSON body and its schema (:func:`schema_body`), for a caller that reads
    other fields of the body too."""
    body, size = await read_json_sized(request, request.app.state.settings.max_body_bytes)
    if size <= INLINE_BODY_BYTES:
        return body, schema_input(body, require_type=require_type)
    return body, await call(schema_input, body, require_type=require_type)


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {media: {"schema": schema} for media in CONSUMES[:3]},
        }
    }


def ok(schema: dict[str, Any], description: str = "OK") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": media_content(schema)}}


def responses_with(schema: dict[str, Any], *statuses: int) -> dict[int | str, dict[str, Any]]:
    return {**ok(schema), **error_responses(*statuses)}
