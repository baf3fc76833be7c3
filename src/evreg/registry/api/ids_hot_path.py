"""``GET /schemas/ids/{id}`` answered before the router: the hot path of every Kafka serializer.

A pure ASGI middleware, placed inside the request-id, metrics and access-log middleware and
inside authentication, so that every request still gets its id, its log line, its metrics (under
the route template ``/schemas/ids/{schema_id}``) and its auth check. It handles a plain
``GET /schemas/ids/<digits>`` (the query string is ignored, as the route ignores ``subject``):
the service's :meth:`~evreg.registry.service.RegistryService.get_schema` runs in a small thread
pool of its own, and the body is exactly what the route in ``confluent.py`` answers; a domain
error gets the same error body as the route's handler. Anything else, or an unexpected
exception, goes to the router and its documented route, which then answers as it always did.

What this skips, per request, is FastAPI's route matching over every route, its parameter and
dependency solving, and AnyIO's worker-thread hop (a pool of 40 threads, whose GIL handovers
cost more CPU than the query itself under load).
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from evreg.registry import errors
from evreg.registry.api.confluent import schema_dict
from evreg.registry.api.errors import error_response, status_and_code
from evreg.registry.api.media import negotiate
from evreg.registry.service import RegistryService

PATH = re.compile(r"/schemas/ids/([0-9]{1,10})")
ROUTE = "/schemas/ids/{schema_id}"
MAX_ID = 2**31 - 1
_ACCEPTS = 64  # distinct Accept headers remembered (clients send few)


def executor(threads: int = 4) -> ThreadPoolExecutor:
    """The hot path's own worker threads: few, so that the GIL changes hands rarely; enough for
    SQLite (microseconds per query) or PostgreSQL (one round trip per request)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="evreg-ids")


class SchemaByIdHotPath:
    def __init__(
        self, app: ASGIApp, service: RegistryService, route: Any, executor: ThreadPoolExecutor
    ) -> None:
        self.app = app
        self.service = service
        self.route = route  # the documented APIRoute: what metrics and logs name
        self.executor = executor
        self._media: dict[bytes, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        schema_id = _schema_id(scope)
        if schema_id is not None and await self._answer(schema_id, scope, receive, send):
            return
        await self.app(scope, receive, send)

    async def _answer(self, schema_id: int, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request; False (nothing sent) to leave it to the router."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the request id, for log lines in the service
        try:
            found = await loop.run_in_executor(
                self.executor, context.run, self.service.get_schema, schema_id
            )
        except errors.RegistryError as exc:
            scope["route"] = self.route
            status, code = status_and_code(exc)
            await error_response(Request(scope), status, code, exc.message)(scope, receive, send)
            return True
        except Exception:
            return False
        scope["route"] = self.route
        content = orjson.dumps(schema_dict(found))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode("latin-1")),
                    (b"content-type", self._media_type(scope)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})
        return True

    def _media_type(self, scope: Scope) -> bytes:
        accept = b""
        for key, value in scope["headers"]:
            if key == b"accept":
                accept = value
                break
        media = self._media.get(accept)
        if media is None:
            media = negotiate(Request(scope)).encode("latin-1")
            if len(self._media) < _ACCEPTS:
                self._media[accept] = media
        return media


def _schema_id(scope: Scope) -> int | None:
    """The id of a ``GET /schemas/ids/<digits>`` in range, else None."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    match = PATH.fullmatch(scope["path"])
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= MAX_ID else None
