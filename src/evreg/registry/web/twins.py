"""The web UI's JSON twins (``/api/ui/...``): what each page shows, as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evreg.registry.api.deps import call, responses_with, service
from evreg.registry.api.media import json_response
from evreg.registry.inputs import parse_version
from evreg.registry.web import pages, queries

router = APIRouter(prefix="/api/ui", tags=["ui"])

_OBJECT = {"type": "object"}
_SUBJECT_PAGE = {
    "type": "object",
    "required": ["q", "sort", "order", "page", "size", "total", "pages", "subjects"],
    "properties": {
        "q": {"type": "string"},
        "sort": {"type": "string"},
        "order": {"type": "string"},
        "page": {"type": "integer"},
        "size": {"type": "integer"},
        "total": {"type": "integer"},
        "pages": {"type": "integer"},
        "subjects": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["subject", "version", "id", "schemaType", "level", "policy"],
                "properties": {
                    "subject": {"type": "string"},
                    "version": {"type": "integer"},
                    "versions": {"type": "integer"},
                    "id": {"type": "integer"},
                    "schemaType": {"type": "string"},
                    "level": {"type": "string"},
                    "policy": {"type": "string"},
                    "changedAt": {"type": ["string", "null"]},
                    "title": {"type": ["string", "null"]},
                    "excerpt": {"type": ["string", "null"]},
                },
            },
        },
    },
}
_AUDIT_PAGE = {
    "type": "object",
    "required": ["events", "older"],
    "properties": {
        "events": {"type": "array", "items": _OBJECT},
        "older": {"type": ["integer", "null"]},
    },
}


@router.get(
    "/subjects",
    summary="The UI's subject list: latest version, type, level and last change of each; "
    "searched in names and contracts, sorted, paginated",
    responses=responses_with(_SUBJECT_PAGE, 422),
)
async def api_subjects(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(pattern="^(subject|type|version|changed|level)$")] = "subject",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    size: Annotated[int, Query(ge=1, le=queries.MAX_PAGE_SIZE)] = 50,
) -> Response:
    result = await call(
        queries.list_subjects, service(request), q=q, sort=sort, order=order, page=page, size=size
    )
    return json_response(request, result.to_dict())


@router.get(
    "/subjects/{subject}",
    summary="The UI's subject page: versions (when, who, id), level, policy, mode, payload "
    "subjects of an AsyncAPI contract and the contracts a payload subject comes from",
    responses=responses_with(_OBJECT, 404),
)
async def api_subject(request: Request, subject: str) -> Response:
    view = await call(pages.subject_view, service(request), subject)
    return json_response(request, view)


@router.get(
    "/subjects/{subject}/versions/{version}",
    summary="The UI's version page: channels, operations, messages with payload and header "
    "property tables, examples, the document",
    responses=responses_with(_OBJECT, 404, 422),
)
async def api_version(request: Request, subject: str, version: str) -> Response:
    view = await call(pages.version_view, service(request), subject, parse_version(version))
    return json_response(request, view)


@router.get(
    "/audit",
    summary="The UI's audit log: newest first, filtered by subject, actor and action",
    responses=responses_with(_AUDIT_PAGE, 422),
)
async def api_audit(
    request: Request,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE_SIZE)] = 50,
) -> Response:
    result = await call(
        queries.audit_page,
        service(request),
        subject=subject,
        actor=actor,
        action=action,
        before=before,
        limit=limit,
    )
    return json_response(request, result.to_dict())
