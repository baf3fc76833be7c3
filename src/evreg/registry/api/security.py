"""Authentication middleware: who is calling (the audit log's actor) and may they.

Pure ASGI (no ``BaseHTTPMiddleware``): an open read costs a dictionary lookup and no database
work; a presented token is accepted from memory if it was found valid since the last change
(:meth:`Tokens.remembered`), else checked against the store in a worker thread.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from evreg.registry import errors
from evreg.registry.api.errors import (
    DESCRIPTIONS,
    ERROR_BODY_SCHEMA,
    allowed_methods,
    error_response,
    status_and_code,
)
from evreg.registry.api.media import media_content
from evreg.registry.auth import Principal, Tokens, credentials, required_role, role_allows
from evreg.registry.settings import Settings

PUBLIC = frozenset({"/health", "/ready", "/metrics", "/openapi.json", "/docs", "/redoc"})
_CHALLENGE = 'Bearer realm="evreg", Basic realm="evreg"'


class Authenticate:
    """Sets ``request.state.actor`` (``scope["state"]["actor"]``) or answers 401/403."""

    def __init__(self, app: ASGIApp, settings: Settings, tokens: Tokens) -> None:
        self.app = app
        self.settings = settings
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in PUBLIC or path.startswith("/docs/"):
            await self.app(scope, receive, send)
            return
        need = required_role(scope["method"], path)
        try:
            principal = await self._principal(scope, need)
        except errors.RegistryError as exc:
            if _not_taken(scope):  # a method the path does not take: the router's 405
                await self.app(scope, receive, send)
                return
            status, code = status_and_code(exc)
            response = error_response(Request(scope), status, code, exc.message)
            if status == 401:
                response.headers["WWW-Authenticate"] = _CHALLENGE
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["actor"] = principal.name
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope, need: str) -> Principal:
        authorization = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                authorization = value.decode("latin-1")
                break
        token = credentials(authorization)
        if token is not None:
            principal = self.tokens.remembered(token)
            if principal is None:  # not seen since the last change: ask the database
                principal = await run_in_threadpool(self.tokens.authenticate, token)
            assert principal.role is not None
            if not role_allows(principal.role, need):
                raise errors.Forbidden(
                    f"The token '{principal.name}' has role {principal.role}; "
                    f"this request needs {need}"
                )
            return principal
        if need == "read":
            if self.settings.auth_reads == "token":
                raise errors.Unauthorized("Authentication required: send a token with role read")
            return Principal("anonymous", None)
        if self.settings.auth == "required" or await self._admin_exists():
            raise errors.Unauthorized(f"Authentication required: send a token with role {need}")
        return Principal("anonymous", None)

    async def _admin_exists(self) -> bool:
        known = self.tokens.admin_known()  # from memory while nothing has changed
        if known is None:
            known = await run_in_threadpool(self.tokens.admin_exists)
        return known


def _not_taken(scope: Scope) -> bool:
    """The path's routes do not take the request's method (the router answers 405 with
    ``Allow``, and nothing runs, so no token is asked for)."""
    taken = allowed_methods(Request(scope))
    return bool(taken) and scope["method"] not in taken.split(", ")


def install(app: FastAPI, settings: Settings, tokens: Tokens) -> None:
    app.add_middleware(Authenticate, settings=settings, tokens=tokens)
    document_refusals(app)


def document_refusals(app: FastAPI) -> None:
    """Declare in the OpenAPI document what :class:`Authenticate` may answer before any route
    runs: 401 on every operation outside :data:`PUBLIC` (a token that is unknown or revoked is
    refused even on a read, and reads may require one), and 403 where the operation needs more
    than the ``read`` role."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for path, operations in document.get("paths", {}).items():
            if path in PUBLIC:
                continue
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                statuses = [401] if required_role(method, path) == "read" else [401, 403]
                for status in statuses:
                    responses.setdefault(
                        str(status),
                        {
                            "description": DESCRIPTIONS[status],
                            "content": media_content(ERROR_BODY_SCHEMA),
                        },
                    )
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
