"""Confluent's server metadata routes, and the Confluent features evreg does not implement,
each refused by name (404, Confluent's code for a route it does not have) instead of an
anonymous "not found": schema exporters (Schema Linking), the DEK registry (client-side field
encryption keys), subject associations, and schemas by GUID."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from evreg import __version__
from evreg.registry import errors
from evreg.registry.api.deps import ok
from evreg.registry.api.errors import error_responses
from evreg.registry.api.media import json_response

router = APIRouter()

SERVER_ID = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "scope": {"type": "object"}},
}
SERVER_VERSION = {
    "type": "object",
    "properties": {"version": {"type": "string"}, "commitId": {"type": "string"}},
}
# Confluent routes evreg refuses: (path prefix, what it is, why)
REFUSED = {
    "exporters": "Confluent's schema exporters (Schema Linking) are not implemented by evreg",
    "dek-registry": "Confluent's DEK registry (client-side field-level encryption keys) is "
    "not implemented by evreg",
    "associations": "Confluent's subject associations are not implemented by evreg "
    "(serializers then name subjects by their fallback strategy, TopicNameStrategy)",
    "schemas/guids": "schema GUIDs are not implemented by evreg: schemas are read by id",
}


@router.get(
    "/v1/metadata/id",
    summary="Server cluster id (Confluent's shape)",
    responses=ok(SERVER_ID),
)
async def metadata_id(request: Request) -> Response:
    # evreg belongs to no Kafka cluster: the Kafka cluster id is empty
    scope = {"path": [], "clusters": {"kafka-cluster": "", "schema-registry-cluster": "evreg"}}
    return json_response(request, {"id": "", "scope": scope})


@router.get(
    "/v1/metadata/version",
    summary="Server version (Confluent's shape: evreg's version)",
    responses=ok(SERVER_VERSION),
)
async def metadata_version(request: Request) -> Response:
    return json_response(request, {"version": __version__, "commitId": ""})


def _refuse(prefix: str) -> None:
    async def refused(request: Request) -> Response:
        raise errors.NotImplementedHere(f"{REFUSED[prefix]} (route {request.url.path})")

    slug = prefix.replace("/", "_").replace("-", "_")
    for path in (f"/{prefix}", f"/{prefix}/{{rest:path}}"):
        for method in ("GET", "POST", "PUT", "DELETE"):  # one operation id each
            router.add_api_route(
                path,
                refused,
                methods=[method],
                operation_id=f"refused_{slug}_{method.lower()}",
                summary=f"Not implemented by evreg: /{prefix}",
                status_code=404,  # what it always answers: documented as the only answer
                responses=error_responses(404),
                include_in_schema=not path.endswith("}"),
            )


for _prefix in REFUSED:
    _refuse(_prefix)
