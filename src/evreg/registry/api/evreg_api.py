"""evreg's own routes under ``/api``: structured checks and diffs (findings with witnesses), the
AsyncAPI view of a contract, search, and the audit log (paginated, and as server-sent events).
API tokens are in ``tokens_api.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from evreg.registry.api.deps import (
    SCHEMA_BODY,
    PayloadStrategy,
    call,
    request_body,
    responses_with,
    schema_body,
    service,
)
from evreg.registry.api.errors import error_responses
from evreg.registry.api.media import json_response
from evreg.registry.inputs import parse_version
from evreg.registry.usecases.views import Views
from evreg.registry.values import CompatibilityResult

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
    given = await schema_body(request, require_type=True)
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


# One event of the stream (OpenAPI 3.2's itemSchema, as FastAPI documents its own streams)
_AUDIT_SSE_EVENT = {
    "type": "object",
    "required": ["event", "id", "data"],
    "properties": {
        "event": {"const": "audit"},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": _AUDIT_EVENT,
        },
    },
}


@router.get(
    "/audit/stream",
    summary="The audit log as server-sent events (resumes after Last-Event-ID or ?after=)",
    response_class=StreamingResponse,  # no JSON body documented: only the events
    responses={
        200: {
            "description": "text/event-stream of `audit` events: a first block with `retry` "
            "(the reconnection delay, `poll` in milliseconds) and a comment, then each entry "
            "after the cursor; once caught up, each new entry as it is written, until `wait` "
            "seconds pass with none. Then the stream ends, and an EventSource reconnects with "
            "Last-Event-ID, resuming after the last event it received.",
            "content": {"text/event-stream": {"itemSchema": _AUDIT_SSE_EVENT}},
        },
        **error_responses(422),
    },
)
async def audit_stream(
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    subject: Annotated[str | None, Query()] = None,
    poll: Annotated[
        float, Query(gt=0, le=30, description="Seconds between looks for new entries")
    ] = 1.0,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=30,
            description="Seconds the stream stays open with no new entry before it ends "
            "(0: it ends once it has sent the entries there are)",
        ),
    ] = 0.0,
) -> Response:
    header = request.headers.get("last-event-id", "")
    resumed = int(header) if header.isascii() and header.isdigit() and len(header) < 10 else 0
    # a reconnecting EventSource asks the same URL again: the id it last saw wins over `after`
    last = max(after or 0, resumed)
    view = views(request)

    async def events() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        cursor = last
        yield f"retry: {round(poll * 1000)}\n: evreg audit stream\n\n".encode()
        quiet_since = loop.time()
        while not await request.is_disconnected():
            batch = await call(view.audit, after=cursor, limit=100, subject=subject)
            for entry in batch:
                data = orjson.dumps(entry.to_dict()).decode()
                yield f"id: {entry.id}\nevent: audit\ndata: {data}\n\n".encode()
                cursor = entry.id
            if batch:
                quiet_since = loop.time()
                continue
            left = wait - (loop.time() - quiet_since)
            if left <= 0:
                return
            await asyncio.sleep(min(poll, left))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
