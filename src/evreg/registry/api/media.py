"""Confluent content types: what the registry accepts and which one it answers with."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

V1 = "application/vnd.schemaregistry.v1+json"
GENERIC = "application/vnd.schemaregistry+json"
JSON = "application/json"
PRODUCES = (V1, GENERIC, JSON)
# Request bodies: Confluent's types, plain JSON, and what clients send when they don't say.
CONSUMES = (V1, GENERIC, JSON, "application/octet-stream")


def media_content(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI ``content`` map: the same schema under each type the registry answers with."""
    return {media: {"schema": schema} for media in PRODUCES}


def negotiate(request: Request) -> str:
    """The first of our types the Accept header allows, in the client's order (default V1)."""
    accept = request.headers.get("accept", "")
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, media))
    for _, _, media in sorted(ranked):
        if media in PRODUCES:
            return media
        if media in ("*/*", "application/*"):
            return V1
    return V1


def json_response(request: Request, content: Any, status: int = 200) -> Response:
    return Response(
        content=orjson.dumps(content), status_code=status, media_type=negotiate(request)
    )


def raw_response(request: Request, text: str) -> Response:
    return Response(content=text.encode("utf-8"), media_type=negotiate(request))
