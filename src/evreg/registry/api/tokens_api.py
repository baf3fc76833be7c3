"""evreg's API tokens under ``/api/tokens``: create (the secret is shown once), list (never the
secrets), revoke. Who may call them is decided by the auth middleware (``registry/auth.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from evreg.registry.api.bodies import optional_str
from evreg.registry.api.deps import actor, body_of, call, request_body, responses_with
from evreg.registry.api.media import json_response
from evreg.registry.auth import TokenInfo, Tokens

router = APIRouter(prefix="/api", tags=["evreg"])

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
        "name": {
            "type": "string",
            "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
            "description": "not blank, no NUL",
        },
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
