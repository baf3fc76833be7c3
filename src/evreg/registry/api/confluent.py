"""The Confluent Schema Registry REST API (schema types JSON and ASYNCAPI).

Responses carry exactly Confluent's fields; errors are ``{"error_code": N, "message": "..."}``
(see ``errors.ERROR_TABLE``). Handlers are thin: parse, call the service in a worker thread,
shape the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evreg.registry import errors
from evreg.registry.api.bodies import optional_int, optional_str, read_json, schema_input
from evreg.registry.api.errors import error_responses
from evreg.registry.api.media import CONSUMES, json_response, media_content, raw_response
from evreg.registry.service import (
    CompatibilityResult,
    ConfigView,
    RegisteredVersion,
    RegistryService,
    StoredSchema,
    parse_version,
)
from evreg.registry.store import Reference

T = TypeVar("T")

router = APIRouter()

Deleted = Annotated[bool, Query(description="Include soft-deleted subjects or versions")]
# Confluent's registry reads `deletedOnly`; confluent-kafka's Python client sends `deleted_only`:
# either one set to true asks for soft-deleted ones only.
DeletedOnly = Annotated[bool, Query(alias="deletedOnly", description="Only soft-deleted ones")]
DeletedOnlySnake = Annotated[
    bool,
    Query(alias="deleted_only", description="Same as deletedOnly (confluent-kafka's spelling)"),
]
Permanent = Annotated[bool, Query(description="Hard delete (only after a soft delete)")]
Verbose = Annotated[bool, Query(description="Explain an incompatible verdict in 'messages'")]
Normalize = Annotated[
    bool, Query(description="Accepted for compatibility; evreg always stores the canonical form")
]
PayloadStrategy = Annotated[
    str | None,
    Query(
        alias="payloadSubjectStrategy",
        description="evreg: how an AsyncAPI contract's payload subjects are named: topic-name "
        "(<channel address>-value), record-name or topic-record-name (default: the registry's "
        "EVREG_PAYLOAD_SUBJECT_STRATEGY): `evreg push --payload-subject-strategy`",
    ),
]
DefaultToGlobal = Annotated[
    bool, Query(alias="defaultToGlobal", description="Fall back to the global setting")
]
# Java ints in Confluent's registry; larger values are refused (422) rather than reaching SQL,
# where SQLite cannot bind them.
JAVA_INT_MAX = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=JAVA_INT_MAX)]
Limit = Annotated[int, Query(ge=-1, le=JAVA_INT_MAX)]

_REFERENCE = {
    "type": "object",
    "required": ["name", "subject", "version"],
    "properties": {
        "name": {"type": "string"},
        "subject": {"type": "string"},
        "version": {"type": "integer"},
    },
}
SCHEMA_BODY = {
    "type": "object",
    "required": ["schema"],
    "properties": {
        "schema": {"type": "string", "description": "The schema text (JSON Schema or AsyncAPI)"},
        "schemaType": {"type": "string", "enum": ["JSON", "ASYNCAPI"]},
        "references": {"type": "array", "items": _REFERENCE},
        "id": {"type": "integer", "description": "IMPORT mode only"},
        "version": {"type": "integer", "description": "IMPORT mode only"},
    },
}
_CONFIG_BODY = {
    "type": "object",
    "properties": {
        "compatibility": {
            "type": "string",
            "enum": [
                "BACKWARD",
                "BACKWARD_TRANSITIVE",
                "FORWARD",
                "FORWARD_TRANSITIVE",
                "FULL",
                "FULL_TRANSITIVE",
                "NONE",
            ],
        },
        "compatibilityPolicy": {"type": "string", "enum": ["STRICT", "LENIENT"]},
    },
}
_MODE_BODY = {
    "type": "object",
    "required": ["mode"],
    "properties": {"mode": {"type": "string", "enum": ["READWRITE", "READONLY", "IMPORT"]}},
}


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {media: {"schema": schema} for media in CONSUMES[:3]},
        }
    }


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": media_content(schema)}}


def responses_with(schema: dict[str, Any], *statuses: int) -> dict[int | str, dict[str, Any]]:
    return {**_ok(schema), **error_responses(*statuses)}


_STRINGS = {"type": "array", "items": {"type": "string"}}
_INTS = {"type": "array", "items": {"type": "integer"}}
_VERSION_OBJ = {
    "type": "object",
    "required": ["subject", "version", "id", "schema"],
    "properties": {
        "subject": {"type": "string"},
        "version": {"type": "integer"},
        "id": {"type": "integer"},
        "schemaType": {"type": "string"},
        "schema": {"type": "string"},
        "references": {"type": "array", "items": _REFERENCE},
    },
}
_SCHEMA_OBJ = {
    "type": "object",
    "required": ["schema"],
    "properties": {
        "schema": {"type": "string"},
        "schemaType": {"type": "string"},
        "references": {"type": "array", "items": _REFERENCE},
    },
}
_COMPAT_OBJ = {
    "type": "object",
    "required": ["is_compatible"],
    "properties": {"is_compatible": {"type": "boolean"}, "messages": _STRINGS},
}
_CONFIG_OBJ = {
    "type": "object",
    "properties": {
        "compatibilityLevel": {"type": "string"},
        "compatibility": {"type": "string"},
        "compatibilityPolicy": {"type": "string"},
    },
}
_MODE_OBJ = {"type": "object", "required": ["mode"], "properties": {"mode": {"type": "string"}}}
_RAW = {"description": "The schema document itself (JSON)", "content": media_content({})}


# ---------------------------------------------------------------- helpers


def service(request: Request) -> RegistryService:
    svc: RegistryService = request.app.state.service
    return svc


def actor(request: Request) -> str:
    return str(getattr(request.state, "actor", None) or "anonymous")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(fn, *args, **kwargs)


async def body_of(request: Request) -> Any:
    return await read_json(request, request.app.state.settings.max_body_bytes)


def _refs(refs: tuple[Reference, ...]) -> list[dict[str, Any]]:
    return [{"name": r.name, "subject": r.subject, "version": r.version} for r in refs]


def version_dict(v: RegisteredVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"subject": v.subject, "version": v.version, "id": v.id}
    if v.schema_type != "AVRO":
        out["schemaType"] = v.schema_type
    if v.references:
        out["references"] = _refs(v.references)
    out["schema"] = v.schema
    return out


def schema_dict(s: StoredSchema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if s.schema_type != "AVRO":
        out["schemaType"] = s.schema_type
    if s.references:
        out["references"] = _refs(s.references)
    out["schema"] = s.schema
    return out


def compat_dict(result: CompatibilityResult, verbose: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"is_compatible": result.is_compatible}
    if verbose:
        out["messages"] = list(result.messages)
    return out


def config_dict(view: ConfigView, key: str = "compatibilityLevel") -> dict[str, Any]:
    out: dict[str, Any] = {key: view.level.value}
    if view.policy is not None:
        out["compatibilityPolicy"] = view.policy.value
    return out


def page(items: list[T], offset: int, limit: int) -> list[T]:
    items = items[offset:]
    return items if limit < 0 else items[:limit]


def schema_id_of(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise errors.SchemaNotFound(f"Schema {value!r} not found (ids are integers)") from None
    if not 1 <= number <= 2**31 - 1:
        raise errors.SchemaNotFound()
    return number


# ---------------------------------------------------------------- root, types, contexts


@router.get("/", summary="Root (empty object)", responses=_ok({"type": "object"}))
async def root(request: Request) -> Response:
    return json_response(request, {})


@router.get("/schemas/types", summary="Supported schema types", responses=_ok(_STRINGS))
async def schema_types(request: Request) -> Response:
    return json_response(request, RegistryService.schema_types())


@router.get("/contexts", summary="Contexts (only the default one)", responses=_ok(_STRINGS))
async def contexts(request: Request) -> Response:
    return json_response(request, ["."])


# ---------------------------------------------------------------- subjects


@router.get("/subjects", summary="List subjects", responses=responses_with(_STRINGS, 422))
async def list_subjects(
    request: Request,
    deleted: Deleted = False,
    deleted_only: DeletedOnly = False,
    deleted_only_snake: DeletedOnlySnake = False,
    subject_prefix: Annotated[str | None, Query(alias="subjectPrefix")] = None,
    offset: Offset = 0,
    limit: Limit = -1,
) -> Response:
    names = await call(
        service(request).list_subjects,
        deleted=deleted,
        deleted_only=deleted_only or deleted_only_snake,
        prefix=subject_prefix,
        offset=offset,
        limit=limit,
    )
    return json_response(request, names)


@router.post(
    "/subjects/{subject}",
    summary="Look up a schema under a subject",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(_VERSION_OBJ, 400, 404, 413, 422),
)
async def lookup_schema(
    request: Request, subject: str, deleted: Deleted = False, normalize: Normalize = False
) -> Response:
    given = schema_input(await body_of(request))
    found = await call(service(request).lookup, subject, given, deleted=deleted)
    return json_response(request, version_dict(found))


@router.delete(
    "/subjects/{subject}",
    summary="Delete a subject (soft, or permanent after soft)",
    responses=responses_with(_INTS, 404, 422),
)
async def delete_subject(request: Request, subject: str, permanent: Permanent = False) -> Response:
    deleted = await call(
        service(request).delete_subject, subject, permanent=permanent, actor=actor(request)
    )
    return json_response(request, deleted)


@router.get(
    "/subjects/{subject}/versions",
    summary="List a subject's versions",
    responses=responses_with(_INTS, 404, 422),
)
async def list_versions(
    request: Request,
    subject: str,
    deleted: Deleted = False,
    deleted_only: DeletedOnly = False,
    deleted_only_snake: DeletedOnlySnake = False,
    offset: Offset = 0,
    limit: Limit = -1,
) -> Response:
    numbers = await call(
        service(request).list_versions,
        subject,
        deleted=deleted,
        deleted_only=deleted_only or deleted_only_snake,
    )
    return json_response(request, page(numbers, offset, limit))


@router.post(
    "/subjects/{subject}/versions",
    summary="Register a schema under a subject",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(
        {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        400,
        409,
        413,
        422,
    ),
)
async def register(
    request: Request,
    subject: str,
    normalize: Normalize = False,
    application: Annotated[
        str | None,
        Query(
            description="evreg: the AsyncAPI contract's application when the document names "
            "none (no x-evreg-application, no info.title): `evreg push --application`"
        ),
    ] = None,
    payload_strategy: PayloadStrategy = None,
) -> Response:
    body = await body_of(request)
    given = schema_input(body)
    registered = await call(
        service(request).register,
        subject,
        given,
        actor=actor(request),
        schema_id=optional_int(body, "id"),
        version=optional_int(body, "version"),
        application=application,
        payload_strategy=payload_strategy,
    )
    return json_response(request, {"id": registered.id})


@router.get(
    "/subjects/{subject}/versions/{version}",
    summary="Get a version ('latest' or a number)",
    responses=responses_with(_VERSION_OBJ, 404, 422),
)
async def get_version(
    request: Request, subject: str, version: str, deleted: Deleted = False
) -> Response:
    found = await call(
        service(request).get_version, subject, parse_version(version), deleted=deleted
    )
    return json_response(request, version_dict(found))


@router.get(
    "/subjects/{subject}/versions/{version}/schema",
    summary="Get a version's schema document only",
    responses={200: _RAW, **error_responses(404, 422)},
)
async def get_version_schema(
    request: Request, subject: str, version: str, deleted: Deleted = False
) -> Response:
    found = await call(
        service(request).get_version, subject, parse_version(version), deleted=deleted
    )
    return raw_response(request, found.schema)


@router.get(
    "/subjects/{subject}/versions/{version}/referencedby",
    summary="Ids of schemas that reference this version",
    responses=responses_with(_INTS, 404, 422),
)
async def referenced_by(request: Request, subject: str, version: str) -> Response:
    ids = await call(service(request).referenced_by, subject, parse_version(version))
    return json_response(request, ids)


@router.delete(
    "/subjects/{subject}/versions/{version}",
    summary="Delete a version (soft, or permanent after soft)",
    responses=responses_with({"type": "integer"}, 404, 422),
)
async def delete_version(
    request: Request, subject: str, version: str, permanent: Permanent = False
) -> Response:
    number = await call(
        service(request).delete_version,
        subject,
        parse_version(version),
        permanent=permanent,
        actor=actor(request),
    )
    return json_response(request, number)


# ---------------------------------------------------------------- schemas by id


@router.get(
    "/schemas",
    summary="Every registered (subject, version) with its schema",
    responses=responses_with({"type": "array", "items": _VERSION_OBJ}, 422),
)
async def list_schemas(
    request: Request,
    subject_prefix: Annotated[str | None, Query(alias="subjectPrefix")] = None,
    deleted: Deleted = False,
    latest_only: Annotated[bool, Query(alias="latestOnly")] = False,
    offset: Offset = 0,
    limit: Limit = -1,
) -> Response:
    found = await call(
        service(request).list_schemas,
        prefix=subject_prefix,
        deleted=deleted,
        latest_only=latest_only,
    )
    return json_response(request, page([version_dict(v) for v in found], offset, limit))


@router.get(
    "/schemas/ids/{schema_id}",
    summary="Get a schema by its global id",
    responses=responses_with(_SCHEMA_OBJ, 404, 422),
)
async def get_schema(
    request: Request,
    schema_id: str,
    subject: Annotated[str | None, Query()] = None,
) -> Response:
    found = await call(service(request).get_schema, schema_id_of(schema_id))
    return json_response(request, schema_dict(found))


@router.get(
    "/schemas/ids/{schema_id}/schema",
    summary="Get a schema document by its global id",
    responses={200: _RAW, **error_responses(404, 422)},
)
async def get_schema_raw(
    request: Request, schema_id: str, subject: Annotated[str | None, Query()] = None
) -> Response:
    found = await call(service(request).get_schema, schema_id_of(schema_id))
    return raw_response(request, found.schema)


@router.get(
    "/schemas/ids/{schema_id}/subjects",
    summary="Subjects that use a schema",
    responses=responses_with(_STRINGS, 404, 422),
)
async def get_schema_subjects(
    request: Request,
    schema_id: str,
    deleted: Deleted = False,
    subject: Annotated[str | None, Query()] = None,
    offset: Offset = 0,
    limit: Limit = -1,
) -> Response:
    names = await call(
        service(request).schema_subjects, schema_id_of(schema_id), deleted=deleted, subject=subject
    )
    return json_response(request, page(names, offset, limit))


@router.get(
    "/schemas/ids/{schema_id}/versions",
    summary="(subject, version) pairs that use a schema",
    responses=responses_with(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"subject": {"type": "string"}, "version": {"type": "integer"}},
            },
        },
        404,
        422,
    ),
)
async def get_schema_versions(
    request: Request,
    schema_id: str,
    deleted: Deleted = False,
    subject: Annotated[str | None, Query()] = None,
    offset: Offset = 0,
    limit: Limit = -1,
) -> Response:
    pairs = await call(
        service(request).schema_versions, schema_id_of(schema_id), deleted=deleted, subject=subject
    )
    items = [{"subject": s, "version": v} for s, v in pairs]
    return json_response(request, page(items, offset, limit))


# ---------------------------------------------------------------- compatibility


@router.post(
    "/compatibility/subjects/{subject}/versions/{version}",
    summary="Test a schema against one version",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(_COMPAT_OBJ, 400, 404, 413, 422),
)
async def test_compatibility_version(
    request: Request,
    subject: str,
    version: str,
    verbose: Verbose = False,
    normalize: Normalize = False,
) -> Response:
    spec = parse_version(version)
    given = schema_input(await body_of(request))
    result = await call(
        service(request).test_compatibility, subject, given, spec, breaking_only=True
    )
    return json_response(request, compat_dict(result, verbose))


@router.post(
    "/compatibility/subjects/{subject}/versions",
    summary="Test a schema against the versions the subject's level names",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(_COMPAT_OBJ, 400, 413, 422),
)
async def test_compatibility_all(
    request: Request, subject: str, verbose: Verbose = False, normalize: Normalize = False
) -> Response:
    given = schema_input(await body_of(request))
    result = await call(
        service(request).test_compatibility, subject, given, None, breaking_only=True
    )
    return json_response(request, compat_dict(result, verbose))


# ---------------------------------------------------------------- config


@router.get("/config", summary="Global compatibility config", responses=responses_with(_CONFIG_OBJ))
async def get_global_config(request: Request) -> Response:
    view = await call(service(request).get_config, None)
    return json_response(request, config_dict(view))


async def _put_config(request: Request, subject: str | None) -> Response:
    body = await body_of(request)
    level = optional_str(body, "compatibility", "compatibilityLevel")
    policy = optional_str(body, "compatibilityPolicy")
    view = await call(service(request).set_config, subject, level, policy, actor=actor(request))
    out: dict[str, Any] = {}
    if level is not None:
        out["compatibility"] = view.level.value
    if policy is not None and view.policy is not None:
        out["compatibilityPolicy"] = view.policy.value
    return json_response(request, out)


@router.put(
    "/config",
    summary="Set the global compatibility level and/or policy",
    openapi_extra=request_body(_CONFIG_BODY),
    responses=responses_with(_CONFIG_OBJ, 400, 413, 422),
)
async def put_global_config(request: Request) -> Response:
    return await _put_config(request, None)


@router.delete(
    "/config",
    summary="Reset the global config to the defaults",
    responses=responses_with(_CONFIG_OBJ),
)
async def delete_global_config(request: Request) -> Response:
    view = await call(service(request).delete_config, None, actor=actor(request))
    return json_response(request, config_dict(view))


@router.get(
    "/config/{subject}",
    summary="A subject's compatibility config",
    responses=responses_with(_CONFIG_OBJ, 404, 422),
)
async def get_subject_config(
    request: Request, subject: str, default_to_global: DefaultToGlobal = False
) -> Response:
    view = await call(service(request).get_config, subject, default_to_global=default_to_global)
    return json_response(request, config_dict(view))


@router.put(
    "/config/{subject}",
    summary="Set a subject's compatibility level and/or policy",
    openapi_extra=request_body(_CONFIG_BODY),
    responses=responses_with(_CONFIG_OBJ, 400, 413, 422),
)
async def put_subject_config(request: Request, subject: str) -> Response:
    return await _put_config(request, subject)


@router.delete(
    "/config/{subject}",
    summary="Delete a subject's config (it falls back to the global one)",
    responses=responses_with(_CONFIG_OBJ, 404),
)
async def delete_subject_config(request: Request, subject: str) -> Response:
    view = await call(service(request).delete_config, subject, actor=actor(request))
    return json_response(request, config_dict(view))


# ---------------------------------------------------------------- mode


@router.get("/mode", summary="Global mode", responses=responses_with(_MODE_OBJ))
async def get_global_mode(request: Request) -> Response:
    mode = await call(service(request).get_mode, None)
    return json_response(request, {"mode": mode})


async def _put_mode(request: Request, subject: str | None, force: bool) -> Response:
    body = await body_of(request)
    value = optional_str(body, "mode")
    if value is None:
        raise errors.InvalidMode("Invalid mode: 'mode' is required")
    mode = await call(service(request).set_mode, subject, value, force=force, actor=actor(request))
    return json_response(request, {"mode": mode})


Force = Annotated[bool, Query(description="Allow IMPORT although subjects exist")]


@router.put(
    "/mode",
    summary="Set the global mode",
    openapi_extra=request_body(_MODE_BODY),
    responses=responses_with(_MODE_OBJ, 400, 413, 422),
)
async def put_global_mode(request: Request, force: Force = False) -> Response:
    return await _put_mode(request, None, force)


@router.get(
    "/mode/{subject}", summary="A subject's mode", responses=responses_with(_MODE_OBJ, 404, 422)
)
async def get_subject_mode(
    request: Request, subject: str, default_to_global: DefaultToGlobal = False
) -> Response:
    mode = await call(service(request).get_mode, subject, default_to_global=default_to_global)
    return json_response(request, {"mode": mode})


@router.put(
    "/mode/{subject}",
    summary="Set a subject's mode",
    openapi_extra=request_body(_MODE_BODY),
    responses=responses_with(_MODE_OBJ, 400, 413, 422),
)
async def put_subject_mode(request: Request, subject: str, force: Force = False) -> Response:
    return await _put_mode(request, subject, force)


@router.delete(
    "/mode/{subject}",
    summary="Delete a subject's mode (it falls back to the global one)",
    responses=responses_with(_MODE_OBJ, 404),
)
async def delete_subject_mode(request: Request, subject: str) -> Response:
    mode = await call(service(request).delete_mode, subject, actor=actor(request))
    return json_response(request, {"mode": mode})
