"""The event-flow map and consumer-aware checks under ``/api``: the graph of applications and
channels, one application's sends and receives, consumer checks of a schema against a subject's
peers, ``can-i-deploy``, and the ``consumerChecks`` mode (block, warn, off)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from evreg.registry.api.bodies import optional_str
from evreg.registry.api.deps import (
    SCHEMA_BODY,
    actor,
    body_of,
    call,
    request_body,
    responses_with,
    schema_body,
    service,
)
from evreg.registry.api.media import json_response

router = APIRouter(prefix="/api", tags=["flow"])

ApplicationParam = Annotated[
    str | None,
    Query(
        description="The contract's application when the document names none (no "
        "x-evreg-application, no info.title): `evreg check/can-i-deploy --application`"
    ),
]

_CONTRACT_REF = {
    "type": "object",
    "required": ["subject"],
    "properties": {"subject": {"type": "string"}, "version": {"type": ["integer", "null"]}},
}
_NAMES = {"type": "array", "items": {"type": "string"}}
_CONSUMER_FINDING = {
    "type": "object",
    "required": ["consumer", "producer", "channel", "message", "side", "text", "finding"],
    "properties": {
        "consumer": {"type": "string"},
        "producer": {"type": "string"},
        "channel": {"type": "string"},
        "message": {"type": "string"},
        "side": {"type": "string", "enum": ["producer", "consumer"]},
        "producerVersion": {"type": ["integer", "null"]},
        "consumerVersion": {"type": ["integer", "null"]},
        "part": {"type": "string", "enum": ["payload", "headers"]},
        "text": {"type": "string"},
        "finding": {"type": "object"},
    },
}
_FLOW = {
    "type": "object",
    "required": ["applications", "channels", "edges"],
    "properties": {
        "applications": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "contracts"],
                "properties": {
                    "name": {"type": "string"},
                    "contracts": {"type": "array", "items": _CONTRACT_REF},
                },
            },
        },
        "channels": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["address", "senders", "receivers"],
                "properties": {
                    "address": {"type": "string"},
                    "senders": _NAMES,
                    "receivers": _NAMES,
                },
            },
        },
        "edges": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["from", "to", "channel", "messages"],
                "properties": {
                    "from": {"type": "string"},
                    "to": {"type": "string"},
                    "channel": {"type": "string"},
                    "messages": _NAMES,
                    "receiverMessages": _NAMES,
                    "fromContract": _CONTRACT_REF,
                    "toContract": _CONTRACT_REF,
                    "broken": {"type": "boolean"},
                    "findings": {"type": "array", "items": _CONSUMER_FINDING},
                },
            },
        },
    },
}
_SIDE = {
    "type": "object",
    "required": ["channel", "messages", "subject"],
    "properties": {
        "channel": {"type": "string"},
        "messages": _NAMES,
        "subject": {"type": "string"},
        "version": {"type": ["integer", "null"]},
        "senders": _NAMES,
        "receivers": _NAMES,
    },
}
_APPLICATION = {
    "type": "object",
    "required": ["name", "sends", "receives"],
    "properties": {
        "name": {"type": "string"},
        "sends": {"type": "array", "items": _SIDE},
        "receives": {"type": "array", "items": _SIDE},
    },
}
_CONSUMER_CHECK = {
    "type": "object",
    "required": ["mode", "ok", "findings"],
    "properties": {
        "mode": {"type": "string", "enum": ["block", "warn", "off"]},
        "application": {"type": ["string", "null"]},
        "ok": {"type": "boolean"},
        "findings": {"type": "array", "items": _CONSUMER_FINDING},
    },
}
_MODE = {
    "type": "object",
    "required": ["consumerChecks"],
    "properties": {"consumerChecks": {"type": "string", "enum": ["block", "warn", "off"]}},
}
_MODE_BODY = {
    "type": "object",
    "required": ["consumerChecks"],
    "properties": {"consumerChecks": {"type": "string", "enum": ["block", "warn", "off"]}},
}


@router.get(
    "/flow",
    summary="The event-flow map: applications, channels, and who sends to whom",
    responses=responses_with(_FLOW),
)
async def flow_map(request: Request) -> Response:
    found = await call(service(request).flow_map)
    return json_response(request, found.to_dict())


@router.get(
    "/applications/{name}",
    summary="What one application sends and receives, and with whom",
    responses=responses_with(_APPLICATION, 404),
)
async def application(request: Request, name: str) -> Response:
    found = await call(service(request).flow_map)
    view = found.application(name)
    if view is None:
        raise HTTPException(404, f"Application {name} not found")
    return json_response(request, view)


@router.post(
    "/subjects/{subject}/consumer-check",
    summary="Consumer-aware check: can every peer on the contract's channels still read it?",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(_CONSUMER_CHECK, 400, 413, 422),
)
async def consumer_check(
    request: Request, subject: str, application: ApplicationParam = None
) -> Response:
    given = await schema_body(request, require_type=True)
    result = await call(service(request).consumer_check, subject, given, application)
    return json_response(request, result.to_dict())


@router.post(
    "/can-i-deploy",
    summary="Can every producer and consumer this contract talks to today still talk to it?",
    openapi_extra=request_body(SCHEMA_BODY),
    responses=responses_with(_CONSUMER_CHECK, 400, 413, 422),
)
async def can_i_deploy(request: Request, application: ApplicationParam = None) -> Response:
    given = await schema_body(request, require_type=True)
    result = await call(service(request).can_i_deploy, given, application)
    return json_response(request, result.to_dict())


def _mode_body(body: Any) -> str:
    return optional_str(body, "consumerChecks") or ""


@router.get(
    "/config/consumer-checks",
    summary="The global consumerChecks mode (default warn)",
    responses=responses_with(_MODE),
)
async def get_global_mode(request: Request) -> Response:
    mode = await call(service(request).get_consumer_checks, None)
    return json_response(request, {"consumerChecks": mode})


@router.put(
    "/config/consumer-checks",
    summary="Set the global consumerChecks mode: block, warn or off",
    openapi_extra=request_body(_MODE_BODY),
    responses=responses_with(_MODE, 400, 401, 403, 413, 422),
)
async def put_global_mode(request: Request) -> Response:
    wanted = _mode_body(await body_of(request))
    mode = await call(service(request).set_consumer_checks, None, wanted, actor=actor(request))
    return json_response(request, {"consumerChecks": mode})


@router.get(
    "/config/consumer-checks/{subject}",
    summary="A subject's consumerChecks mode (its own, else the global one)",
    responses=responses_with(_MODE, 422),
)
async def get_subject_mode(request: Request, subject: str) -> Response:
    mode = await call(service(request).get_consumer_checks, subject)
    return json_response(request, {"consumerChecks": mode})


@router.put(
    "/config/consumer-checks/{subject}",
    summary="Set a subject's consumerChecks mode: block, warn or off",
    openapi_extra=request_body(_MODE_BODY),
    responses=responses_with(_MODE, 400, 401, 403, 413, 422),
)
async def put_subject_mode(request: Request, subject: str) -> Response:
    wanted = _mode_body(await body_of(request))
    mode = await call(service(request).set_consumer_checks, subject, wanted, actor=actor(request))
    return json_response(request, {"consumerChecks": mode})


@router.delete(
    "/config/consumer-checks/{subject}",
    summary="Remove a subject's consumerChecks mode (the global one applies again)",
    responses=responses_with(_MODE, 401, 403, 404, 422),
)
async def delete_subject_mode(request: Request, subject: str) -> Response:
    mode = await call(service(request).delete_consumer_checks, subject, actor=actor(request))
    return json_response(request, {"consumerChecks": mode})
