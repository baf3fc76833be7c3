"""The Confluent API's compatibility tests, compatibility config and mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from evreg.registry import data_contracts as dc
from evreg.registry import errors
from evreg.registry.api.bodies import optional_str
from evreg.registry.api.confluent_params import (
    COMPAT_OBJ,
    CONFIG_BODY,
    CONFIG_OBJ,
    MODE_BODY,
    MODE_OBJ,
    DefaultToGlobal,
    Force,
    Normalize,
    Verbose,
)
from evreg.registry.api.deps import (
    CONFLUENT_SCHEMA_BODY,
    actor,
    body_of,
    call,
    request_body,
    responses_with,
    schema_body,
    service,
)
from evreg.registry.api.media import json_response
from evreg.registry.confluent_format import compat_dict, config_dict
from evreg.registry.inputs import parse_version

router = APIRouter()


# ---------------------------------------------------------------- compatibility


@router.post(
    "/compatibility/subjects/{subject}/versions/{version}",
    summary="Test a schema against one version",
    openapi_extra=request_body(CONFLUENT_SCHEMA_BODY),
    responses=responses_with(COMPAT_OBJ, 400, 404, 413, 422),
)
async def test_compatibility_version(
    request: Request,
    subject: str,
    version: str,
    verbose: Verbose = False,
    normalize: Normalize = False,
) -> Response:
    spec = parse_version(version)
    given = await schema_body(request)
    result = await call(
        service(request).test_compatibility, subject, given, spec, breaking_only=True
    )
    return json_response(request, compat_dict(result, verbose))


@router.post(
    "/compatibility/subjects/{subject}/versions",
    summary="Test a schema against the versions the subject's level names",
    openapi_extra=request_body(CONFLUENT_SCHEMA_BODY),
    responses=responses_with(COMPAT_OBJ, 400, 413, 422),
)
async def test_compatibility_all(
    request: Request, subject: str, verbose: Verbose = False, normalize: Normalize = False
) -> Response:
    given = await schema_body(request)
    result = await call(
        service(request).test_compatibility, subject, given, None, breaking_only=True
    )
    return json_response(request, compat_dict(result, verbose))


# ---------------------------------------------------------------- config


@router.get("/config", summary="Global compatibility config", responses=responses_with(CONFIG_OBJ))
async def get_global_config(request: Request) -> Response:
    view = await call(service(request).get_config, None)
    return json_response(request, config_dict(view))


CONFIG_KEYS = (
    "compatibility",
    "compatibilityLevel",
    "compatibilityPolicy",
    *dc.CONFIG_FIELDS,
    *dc.REFUSED_CONFIG_FIELDS,
)


async def _put_config(request: Request, subject: str | None) -> Response:
    body = await body_of(request)
    if isinstance(body, dict):
        unknown = sorted(set(body) - set(CONFIG_KEYS))
        if unknown:
            raise errors.MalformedRequest(
                f"Unknown config field '{unknown[0]}' (evreg reads {', '.join(CONFIG_KEYS)})",
                status=422,
            )
    level = optional_str(body, "compatibility", "compatibilityLevel")
    policy = optional_str(body, "compatibilityPolicy")
    extra = dc.config_fields(body)
    view = await call(
        service(request).set_config, subject, level, policy, extra=extra, actor=actor(request)
    )
    out: dict[str, Any] = {}
    if level is not None:
        out["compatibility"] = view.level.value
    if policy is not None and view.policy is not None:
        out["compatibilityPolicy"] = view.policy.value
    out.update(extra)
    return json_response(request, out)


@router.put(
    "/config",
    summary="Set the global compatibility level and/or policy",
    openapi_extra=request_body(CONFIG_BODY),
    responses=responses_with(CONFIG_OBJ, 400, 413, 422),
)
async def put_global_config(request: Request) -> Response:
    return await _put_config(request, None)


@router.delete(
    "/config",
    summary="Reset the global config to the defaults",
    responses=responses_with(CONFIG_OBJ),
)
async def delete_global_config(request: Request) -> Response:
    view = await call(service(request).delete_config, None, actor=actor(request))
    return json_response(request, config_dict(view))


@router.get(
    "/config/{subject}",
    summary="A subject's compatibility config",
    responses=responses_with(CONFIG_OBJ, 404, 422),
)
async def get_subject_config(
    request: Request, subject: str, default_to_global: DefaultToGlobal = False
) -> Response:
    view = await call(service(request).get_config, subject, default_to_global=default_to_global)
    return json_response(request, config_dict(view))


@router.put(
    "/config/{subject}",
    summary="Set a subject's compatibility level and/or policy",
    openapi_extra=request_body(CONFIG_BODY),
    responses=responses_with(CONFIG_OBJ, 400, 413, 422),
)
async def put_subject_config(request: Request, subject: str) -> Response:
    return await _put_config(request, subject)


@router.delete(
    "/config/{subject}",
    summary="Delete a subject's config (it falls back to the global one)",
    responses=responses_with(CONFIG_OBJ, 404),
)
async def delete_subject_config(request: Request, subject: str) -> Response:
    view = await call(service(request).delete_config, subject, actor=actor(request))
    return json_response(request, config_dict(view))


# ---------------------------------------------------------------- mode


@router.get("/mode", summary="Global mode", responses=responses_with(MODE_OBJ))
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


@router.put(
    "/mode",
    summary="Set the global mode",
    openapi_extra=request_body(MODE_BODY),
    responses=responses_with(MODE_OBJ, 400, 413, 422),
)
async def put_global_mode(request: Request, force: Force = False) -> Response:
    return await _put_mode(request, None, force)


@router.get(
    "/mode/{subject}", summary="A subject's mode", responses=responses_with(MODE_OBJ, 404, 422)
)
async def get_subject_mode(
    request: Request, subject: str, default_to_global: DefaultToGlobal = False
) -> Response:
    mode = await call(service(request).get_mode, subject, default_to_global=default_to_global)
    return json_response(request, {"mode": mode})


@router.put(
    "/mode/{subject}",
    summary="Set a subject's mode",
    openapi_extra=request_body(MODE_BODY),
    responses=responses_with(MODE_OBJ, 400, 413, 422),
)
async def put_subject_mode(request: Request, subject: str, force: Force = False) -> Response:
    return await _put_mode(request, subject, force)


@router.delete(
    "/mode/{subject}",
    summary="Delete a subject's mode (it falls back to the global one)",
    responses=responses_with(MODE_OBJ, 404),
)
async def delete_subject_mode(request: Request, subject: str) -> Response:
    mode = await call(service(request).delete_mode, subject, actor=actor(request))
    return json_response(request, {"mode": mode})
