"""Authentication middleware: who is calling (the audit log's actor) and may they."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evreg.registry import errors
from evreg.registry.api.errors import error_response, status_and_code
from evreg.registry.auth import Principal, Tokens, credentials, required_role, role_allows
from evreg.registry.settings import Settings

PUBLIC = frozenset({"/health", "/ready", "/metrics", "/openapi.json", "/docs", "/redoc"})


def install(app: FastAPI, settings: Settings, tokens: Tokens) -> None:
    @app.middleware("http")
    async def authenticate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path in PUBLIC or path.startswith("/docs/"):
            return await call_next(request)
        need = required_role(request.method, path, request.url.query)
        try:
            principal = await _principal(request, need, settings, tokens)
        except errors.RegistryError as exc:
            status, code = status_and_code(exc)
            response = error_response(request, status, code, exc.message)
            if status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="evreg", Basic realm="evreg"'
            return response
        request.state.actor = principal.name
        return await call_next(request)


async def _principal(request: Request, need: str, settings: Settings, tokens: Tokens) -> Principal:
    token = credentials(request.headers.get("authorization"))
    if token is not None:
        principal = await run_in_threadpool(tokens.authenticate, token)
        assert principal.role is not None
        if not role_allows(principal.role, need):
            raise errors.Forbidden(
                f"The token '{principal.name}' has role {principal.role}; this request needs {need}"
            )
        return principal
    if need == "read":
        if settings.auth_reads == "token":
            raise errors.Unauthorized("Authentication required: send a token with role read")
        return Principal("anonymous", None)
    if settings.auth == "required" or await run_in_threadpool(tokens.admin_exists):
        raise errors.Unauthorized(f"Authentication required: send a token with role {need}")
    return Principal("anonymous", None)
