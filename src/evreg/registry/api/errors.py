"""The one table from domain errors to HTTP status and Confluent error code, and handlers."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from evreg.contracts.patterns import PatternError
from evreg.registry import errors
from evreg.registry.api.media import json_response, media_content

log = logging.getLogger("evreg.registry.api")

# domain error -> (HTTP status, Confluent error_code)
ERROR_TABLE: dict[type[errors.RegistryError], tuple[int, int]] = {
    errors.Unauthorized: (401, 40101),
    errors.Forbidden: (403, 40301),
    errors.SubjectNotFound: (404, 40401),
    errors.VersionNotFound: (404, 40402),
    errors.SchemaNotFound: (404, 40403),
    errors.SubjectSoftDeleted: (404, 40404),
    errors.SubjectNotSoftDeleted: (404, 40405),
    errors.VersionSoftDeleted: (404, 40406),
    errors.VersionNotSoftDeleted: (404, 40407),
    errors.SubjectConfigNotFound: (404, 40408),
    errors.SubjectModeNotFound: (404, 40409),
    errors.TokenNotFound: (404, 40410),
    errors.NotImplementedHere: (404, 404),
    errors.IncompatibleSchema: (409, 409),
    errors.RequestTooLarge: (413, 42209),
    errors.InvalidSchema: (422, 42201),
    errors.InvalidVersion: (422, 42202),
    errors.InvalidCompatibilityLevel: (422, 42203),
    errors.InvalidMode: (422, 42204),
    errors.OperationNotPermitted: (422, 42205),
    errors.ReferenceExists: (422, 42206),
    errors.IdDoesNotMatch: (422, 42207),
    errors.InvalidSubject: (422, 42208),
    errors.StoreUnavailable: (503, 50001),
    errors.StoreFailure: (500, 50001),
}

DESCRIPTIONS = {
    400: "Malformed request body (not JSON): error_code 400",
    401: "Missing or unknown token: error_code 40101",
    403: "The token's role does not allow this: error_code 40301",
    404: "Not found: 40401 subject, 40402 version, 40403 schema, 40404 subject soft-deleted, "
    "40405 subject not soft-deleted, 40406 version soft-deleted, 40407 version not "
    "soft-deleted, 40408 no subject config, 40409 no subject mode, 40410 token",
    409: "Incompatible schema: error_code 409, the message lists the breaking changes",
    413: "Request body larger than the limit: error_code 42209",
    415: "Unsupported media type: error_code 415",
    422: "Invalid input: 42201 schema, 42202 version, 42203 compatibility level, 42204 mode, "
    "42205 operation not permitted, 42206 reference exists, 42207 id does not match, "
    "42208 invalid subject; "
    "422 a body of the wrong shape "
    "or a bad query parameter",
    500: "Store error: error_code 50001",
    503: "The database does not answer (retry later): error_code 50001",
}

ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error_code", "message"],
    "properties": {"error_code": {"type": "integer"}, "message": {"type": "string"}},
}


def status_and_code(error: errors.RegistryError) -> tuple[int, int]:
    if isinstance(error, errors.MalformedRequest):
        return error.status, error.status
    for cls in type(error).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return 500, 50001


def error_response(request: Request, status: int, code: int, message: str) -> Response:
    # A message may quote client input (a subject name) that JSON cannot carry as is.
    safe = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return json_response(request, {"error_code": code, "message": safe}, status=status)


def allowed_methods(request: Request, fallback: str = "") -> str:
    """The methods the request's path takes, from every operation the OpenAPI document lists
    there (RFC 9110: a 405 says them all; Starlette names only the first route it met)."""
    index = getattr(request.app.state, "allow_index", None)
    if index is None:
        index = request.app.state.allow_index = _allow_index(request.app.openapi())
    path = request.url.path
    methods = {m for rx, ms in index if rx.fullmatch(path) for m in ms}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or fallback


def _allow_index(document: dict[str, Any]) -> list[tuple[re.Pattern[str], set[str]]]:
    out = []
    for template, item in document.get("paths", {}).items():
        rx = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))
        out.append((rx, {m.upper() for m in item if m.upper() in _METHODS}))
    return out


_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"})


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses (Confluent error body)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in (*statuses, 500, 503):
        out[status] = {
            "description": DESCRIPTIONS[status],
            "content": media_content(ERROR_BODY_SCHEMA),
        }
    return out


def install(app: FastAPI) -> None:
    async def on_registry_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.RegistryError)
        status, code = status_and_code(exc)
        return error_response(request, status, code, exc.message)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for item in exc.errors():
            where = ".".join(str(p) for p in item.get("loc", ()))
            parts.append(f"{where}: {item.get('msg', 'invalid')}")
        return error_response(request, 422, 422, "; ".join(parts) or "Invalid request")

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        message = str(exc.detail) if exc.detail else "HTTP error"
        if status == 404:
            return error_response(request, 404, 404, f"Not found: {request.url.path}")
        if status == 405:
            allowed = allowed_methods(request, (exc.headers or {}).get("Allow", ""))
            response = error_response(
                request, 405, 405, f"Method {request.method} not allowed: use {allowed}"
            )
            response.headers["Allow"] = allowed
            return response
        return error_response(request, status, status, message)

    async def on_pattern_error(request: Request, exc: Exception) -> Response:
        # A pattern a check could not evaluate, not caught by a use case that names the
        # schema holding it (compat_cache.pattern_refused does where it can).
        assert isinstance(exc, PatternError)
        at = f" at {exc.pointer}" if exc.pointer else ""
        return error_response(request, 422, 42201, f"Invalid schema{at}: {exc.message}")

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unexpected error on %s %s",
            request.method,
            request.url.path,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        return error_response(request, 500, 50001, f"Internal error: {exc.__class__.__name__}")

    app.add_exception_handler(errors.RegistryError, on_registry_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(PatternError, on_pattern_error)
    app.add_exception_handler(Exception, on_unexpected)
