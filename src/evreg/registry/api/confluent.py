"""The Confluent Schema Registry REST API (schema types AVRO, JSON and ASYNCAPI): subjects, versions
and schemas by id (compatibility, config and mode: :mod:`.confluent_config`).

Responses carry exactly Confluent's fields (:mod:`evreg.registry.confluent_format`); errors are
``{"error_code": N, "message": "..."}`` (see ``errors.ERROR_TABLE``). Handlers are thin: parse,
call the service in a worker thread, shape the answer.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evreg.registry import errors
from evreg.registry.api.bodies import optional_int
from evreg.registry.api.confluent_params import (
    INTS,
    RAW,
    SCHEMA_OBJ,
    STRINGS,
    VERSION_OBJ,
    Deleted,
    DeletedOnly,
    DeletedOnlySnake,
    Limit,
    LookupDeletedSchema,
    Normalize,
    Offset,
    Permanent,
    SubjectHint,
)
from evreg.registry.api.deps import (
    CONFLUENT_SCHEMA_BODY,
    PayloadStrategy,
    actor,
    call,
    ok,
    request_body,
    responses_with,
    schema_body,
    schema_body_and_json,
    service,
)
from evreg.registry.api.errors import error_responses
from evreg.registry.api.media import json_response, raw_response
from evreg.registry.confluent_format import schema_dict, version_dict
from evreg.registry.inputs import parse_version
from evreg.registry.usecases.reads import Lookups

T = TypeVar("T")

router = APIRouter()


def page(items: list[T], offset: int, limit: int) -> list[T]:
    items = items[offset:]
    return items if limit < 0 else items[:limit]


def schema_id_of(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise errors.SchemaNotFound(f"Schema {value!r} not found (ids are integers)") from None
    if not 1 <= number <= 2**31 - 1:
        raise errors.SchemaNotFound(f"Schema {number} not found")
    return number


# ---------------------------------------------------------------- root, types, contexts


@router.get("/", summary="Root (empty object)", responses=ok({"type": "object"}))
async def root(request: Request) -> Response:
    return json_response(request, {})


@router.get("/schemas/types", summary="Supported schema types", responses=ok(STRINGS))
async def schema_types(request: Request) -> Response:
    return json_response(request, Lookups.schema_types())


@router.get(
    "/contexts",
    summary="Schema contexts: the default one and every one that has a subject",
    responses=ok(STRINGS),
)
async def list_contexts(request: Request, offset: Offset = 0, limit: Limit = -1) -> Response:
    names = await call(service(request).list_contexts)
    return json_response(request, page(names, offset, limit))


# ---------------------------------------------------------------- subjects


@router.get("/subjects", summary="List subjects", responses=responses_with(STRINGS, 422))
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
    openapi_extra=request_body(CONFLUENT_SCHEMA_BODY),
    responses=responses_with(VERSION_OBJ, 400, 404, 413, 422),
)
async def lookup_schema(
    request: Request,
    subject: str,
    deleted: Deleted = False,
    lookup_deleted: LookupDeletedSchema = False,
    normalize: Normalize = False,
) -> Response:
    given = await schema_body(request)
    found = await call(service(request).lookup, subject, given, deleted=deleted or lookup_deleted)
    return json_response(request, version_dict(found))


@router.get(
    "/subjects/{subject}/metadata",
    summary="The latest version whose metadata has these properties",
    responses=responses_with(VERSION_OBJ, 404, 422),
)
async def latest_with_metadata(
    request: Request,
    subject: str,
    key: Annotated[list[str] | None, Query(description="metadata property names")] = None,
    value: Annotated[list[str] | None, Query(description="their values, in the same order")] = None,
    deleted: Deleted = False,
) -> Response:
    keys, values = key or [], value or []
    if len(keys) != len(values):
        raise errors.MalformedRequest(
            f"Invalid query: {len(keys)} 'key' but {len(values)} 'value' parameters", status=422
        )
    found = await call(
        service(request).latest_with_metadata,
        subject,
        dict(zip(keys, values, strict=True)),
        deleted=deleted,
    )
    return json_response(request, version_dict(found))


@router.delete(
    "/subjects/{subject}",
    summary="Delete a subject (soft, or permanent after soft)",
    responses=responses_with(INTS, 404, 422),
)
async def delete_subject(request: Request, subject: str, permanent: Permanent = False) -> Response:
    deleted = await call(
        service(request).delete_subject, subject, permanent=permanent, actor=actor(request)
    )
    return json_response(request, deleted)


@router.get(
    "/subjects/{subject}/versions",
    summary="List a subject's versions",
    responses=responses_with(INTS, 404, 422),
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
    openapi_extra=request_body(CONFLUENT_SCHEMA_BODY),
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
    body, given = await schema_body_and_json(request)
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
    responses=responses_with(VERSION_OBJ, 404, 422),
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
    responses={200: RAW, **error_responses(404, 422)},
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
    responses=responses_with(INTS, 404, 422),
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
    responses=responses_with({"type": "array", "items": VERSION_OBJ}, 422),
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
    responses=responses_with(SCHEMA_OBJ, 404, 422),
)
async def get_schema(
    request: Request,
    schema_id: str,
    subject: SubjectHint = None,
) -> Response:
    found = await call(service(request).get_schema, schema_id_of(schema_id), subject=subject)
    return json_response(request, schema_dict(found))


@router.get(
    "/schemas/ids/{schema_id}/schema",
    summary="Get a schema document by its global id",
    responses={200: RAW, **error_responses(404, 422)},
)
async def get_schema_raw(request: Request, schema_id: str, subject: SubjectHint = None) -> Response:
    found = await call(service(request).get_schema, schema_id_of(schema_id), subject=subject)
    return raw_response(request, found.schema)


@router.get(
    "/schemas/ids/{schema_id}/subjects",
    summary="Subjects that use a schema",
    responses=responses_with(STRINGS, 404, 422),
)
async def get_schema_subjects(
    request: Request,
    schema_id: str,
    deleted: Deleted = False,
    subject: SubjectHint = None,
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
    subject: SubjectHint = None,
    offset: Offset = 0,
    limit: Limit = -1,
) -> Response:
    pairs = await call(
        service(request).schema_versions, schema_id_of(schema_id), deleted=deleted, subject=subject
    )
    items = [{"subject": s, "version": v} for s, v in pairs]
    return json_response(request, page(items, offset, limit))
