"""evreg's own routes under ``/api``: structured checks and diffs (findings with witnesses), the
AsyncAPI view of a contract, search, and the audit log (paginated, and as server-sent events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response, StreamingResponse

from evreg.registry.api.bodies import optional_str, schema_input
from evreg.registry.api.confluent import (
    SCHEMA_BODY,
    PayloadStrategy,
    actor,
    body_of,
    call,
    request_body,
    responses_with,
    service,
)
from evreg.registry.api.errors import error_responses
from evreg.registry.api.media import json_response
from evreg.registry.auth import TokenInfo, Tokens
from evreg.registry.service import CompatibilityResult, Views, parse_version

router = APIRouter(prefix="/api", tags=["evreg"])

LevelQuery = Annotated[
    str | None, Query(description="Compatibility level (default: the subject's)")
]
PolicyQuery = Annotated[str | None, Query(description="STRICT or LENIENT (default: the subject's)")]

_FINDING = {
    "type": "object",
    "required": ["rule", "path", "message", "breaking", "direction"],
    "properties": {
        "rule": {"type": "string"},
        "path": {"type": "string"},
        "message": {"type": "string"},
        "breaking": {"type": "boolean"},
        "direction": {"type": "string"},
        "witness": {},
        "witness_note": {"type": ["string", "null"]},
        "version": {"type": "integer"},
        "channel": {"type": "string"},
        "message_name": {"type": "string"},
    },
}
_REPORT = {
    "type": "object",
    "required": ["is_compatible", "level", "policy", "findings"],
    "properties": {
        "is_compatible": {"type": "boolean"},
        "level": {"type": "string"},
        "policy": {"type": "string"},
        "findings": {"type": "array", "items": _FINDING},
    },
}
_REPORT_FIELDS = cast(dict[str, Any], _REPORT["properties"])
_PAYLOAD_SUBJECT = {
    "type": "object",
    "required": [
        "subject",
        "channel",
        "address",
        "registered",
        "unchanged",
        "is_compatible",
        "level",
        "policy",
        "findings",
    ],
    "properties": {
        "subject": {"type": "string"},
        "channel": {"type": "string"},
        "address": {"type": "string"},
        "registered": {"type": "boolean"},
        "unchanged": {"type": "boolean"},
        **_REPORT_FIELDS,
    },
}
_CHECK = {
    "type": "object",
    "required": _REPORT["required"],
    "properties": {
        **_REPORT_FIELDS,
        "payload_subjects": {"type": "array", "items": _PAYLOAD_SUBJECT},
    },
}
_AUDIT_EVENT = {
    "type": "object",
    "required": ["id", "at", "actor", "action"],
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string"},
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "subject": {"type": ["string", "null"]},
        "version": {"type": ["integer", "null"]},
        "schemaId": {"type": ["integer", "null"]},
        "before": {},
        "after": {},
    },
}
_AUDIT_PAGE = {
    "type": "object",
    "required": ["events", "next"],
    "properties": {"events": {"type": "array", "items": _AUDIT_EVENT}, "next": {"type": "integer"}},
}


def views(request: Request) -> Views:
    return Views(service(request))


def _report(result: CompatibilityResult) -> dict[str, Any]:
    return {
        "is_compatible": result.is_compatible,
        "level": result.level.value,
        "policy": result.policy.value,
        "findings": [f.to_dict() for f in result.findings],
    }


@router.post(
    "/subjects/{subject}/check",
    summary="Check a schema against a subject: every finding, with witnesses",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(_CHECK, 400, 413, 422),
)
async def check(
    request: Request,
    subject: str,
    level: LevelQuery = None,
    policy: PolicyQuery = None,
    payload_strategy: PayloadStrategy = None,
) -> Response:
    """The report of the contract's subject; for an AsyncAPI contract, ``payload_subjects``
    adds one report per payload subject a push would register (findings' paths point into the
    contract). A push succeeds only if all of them are compatible."""
    given = schema_input(await body_of(request))
    result = await call(
        views(request).check,
        subject,
        given,
        level=level,
        policy=policy,
        payload_strategy=payload_strategy,
    )
    body = _report(result)
    if result.payloads:
        body["payload_subjects"] = [
            {
                "subject": p.subject,
                "channel": p.channel,
                "address": p.address,
                "registered": p.registered,
                "unchanged": p.unchanged,
                **_report(p.result),
            }
            for p in result.payloads
        ]
    return json_response(request, body)


@router.get(
    "/subjects/{subject}/diff",
    summary="What changed between two versions, and what it breaks",
    responses=responses_with(_REPORT, 404, 422),
)
async def diff(
    request: Request,
    subject: str,
    from_version: Annotated[str, Query(alias="from")] = "1",
    to_version: Annotated[str, Query(alias="to")] = "latest",
    level: LevelQuery = None,
    policy: PolicyQuery = None,
) -> Response:
    report = await call(
        views(request).diff,
        subject,
        parse_version(from_version),
        parse_version(to_version),
        level=level,
        policy=policy,
    )
    return json_response(request, report.to_dict())


@router.get(
    "/subjects/{subject}/versions/{version}/asyncapi",
    summary="The AsyncAPI view of a contract version: channels, operations, messages",
    responses=responses_with({"type": "object"}, 404, 422),
)
async def asyncapi_view(request: Request, subject: str, version: str) -> Response:
    view = await call(views(request).asyncapi, subject, parse_version(version))
    return json_response(request, view)


@router.get(
    "/search",
    summary="Subjects whose name or latest schema contains the text",
    responses=responses_with({"type": "array", "items": {"type": "object"}}, 422),
)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    hits = await call(views(request).search, q, limit=limit)
    return json_response(
        request,
        [
            {
                "subject": h.subject,
                "version": h.version,
                "id": h.id,
                "schemaType": h.schema_type,
                "match": h.match,
            }
            for h in hits
        ],
    )


@router.get(
    "/audit",
    summary="The audit log, oldest first, after an event id",
    responses=responses_with(_AUDIT_PAGE, 422),
)
async def audit(
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    subject: Annotated[str | None, Query()] = None,
) -> Response:
    events = await call(views(request).audit, after=after, limit=limit, subject=subject)
    page = [e.to_dict() for e in events]
    return json_response(request, {"events": page, "next": page[-1]["id"] if page else after})


@router.get(
    "/audit/stream",
    summary="The audit log as server-sent events (resumes after Last-Event-ID or ?after=)",
    responses={
        200: {
            "description": "text/event-stream of `audit` events",
            "content": {"text/event-stream": {}},
        },
        **error_responses(422),
    },
)
async def audit_stream(
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    subject: Annotated[str | None, Query()] = None,
    poll: Annotated[float, Query(gt=0, le=30)] = 1.0,
) -> Response:
    last = after
    if last is None:
        header = request.headers.get("last-event-id", "")
        last = int(header) if header.isascii() and header.isdigit() and len(header) < 10 else 0
    view = views(request)

    async def events() -> AsyncIterator[bytes]:
        cursor = last
        yield b": evreg audit stream\n\n"
        while not await request.is_disconnected():
            batch = await call(view.audit, after=cursor, limit=100, subject=subject)
            for entry in batch:
                data = orjson.dumps(entry.to_dict()).decode()
                yield f"id: {entry.id}\nevent: audit\ndata: {data}\n\n".encode()
                cursor = entry.id
            if not batch:
                await asyncio.sleep(poll)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# ---------------------------------------------------------------- tokens

_TOKEN_INFO = {
    "type": "object",
    "required": ["id", "name", "role"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "role": {"type": "string"},
        "createdAt": {"type": "string"},
        "revoked": {"type": "boolean"},
    },
}
_TOKEN_BODY = {
    "type": "object",
    "required": ["name", "role"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "role": {"type": "string", "enum": ["read", "write", "admin"]},
    },
}


def tokens(request: Request) -> Tokens:
    found: Tokens = request.app.state.tokens
    return found


def _token_dict(info: TokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "role": info.role,
        "createdAt": info.created_at,
        "revoked": info.revoked,
    }


@router.post(
    "/tokens",
    summary="Create an API token (admin; anyone while no admin token exists in auto mode)",
    openapi_extra=request_body(_TOKEN_BODY),
    responses=responses_with(
        {
            "type": "object",
            "required": ["name", "role", "token"],
            "properties": {
                "name": {"type": "string"},
                "role": {"type": "string"},
                "token": {"type": "string"},
            },
        },
        400,
        401,
        403,
        413,
        422,
    ),
)
async def create_token(request: Request) -> Response:
    body = await body_of(request)
    name = optional_str(body, "name") or ""
    role = optional_str(body, "role") or ""
    token = await call(tokens(request).create, name, role, actor=actor(request))
    return json_response(request, {"name": name, "role": role, "token": token})


@router.get(
    "/tokens",
    summary="List API tokens (never their secrets)",
    responses=responses_with({"type": "array", "items": _TOKEN_INFO}, 401, 403),
)
async def list_tokens(request: Request) -> Response:
    infos = await call(tokens(request).list)
    return json_response(request, [_token_dict(i) for i in infos])


@router.delete(
    "/tokens/{token_id}",
    summary="Revoke an API token",
    responses=responses_with(_TOKEN_INFO, 401, 403, 404, 422),
)
async def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    info = await call(tokens(request).revoke, token_id, actor=actor(request))
    return json_response(request, _token_dict(info))
