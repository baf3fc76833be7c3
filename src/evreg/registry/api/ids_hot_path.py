"""``GET /schemas/ids/{id}`` answered before the router: the hot path of every Kafka serializer.

A pure ASGI middleware, placed inside the request-id, metrics and access-log middleware and
inside authentication, so that every request still gets its id, its log line, its metrics (under
the route template ``/schemas/ids/{schema_id}``) and its auth check. It handles a plain
``GET /schemas/ids/<digits>`` of the default context (a request with a ``subject`` hint, which
may name another context, goes to the route).
An id found in use since the last change the watch saw (:meth:`SchemaIds.fresh`) is answered
from memory, on the event loop; otherwise the database is asked, in a small thread pool of its
own (the first read of an id: the service's
:meth:`~evreg.registry.service.RegistryService.get_schema`; later reads: a coalesced existence
check). The body is exactly what the route in ``confluent.py`` answers; a domain error gets
the same error body as the route's handler. Anything else, or an unexpected
exception, goes to the router and its documented route, which then answers as it always did.

What this skips, per request, is FastAPI's route matching over every route, its parameter and
dependency solving, and AnyIO's worker-thread hop (a pool of 40 threads, whose GIL handovers
cost more CPU than the query itself under load).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from evreg.registry import errors
from evreg.registry.api.errors import error_response, status_and_code
from evreg.registry.api.media import negotiate
from evreg.registry.confluent_format import schema_dict
from evreg.registry.service import RegistryService
from evreg.registry.store.id_watch import Token
from evreg.registry.store.schema_ids import MAX_BATCH, SchemaIds

PATH = re.compile(r"/schemas/ids/([0-9]{1,10})")
ROUTE = "/schemas/ids/{schema_id}"
MAX_ID = 2**31 - 1
_ACCEPTS = 64  # distinct Accept headers remembered (clients send few)


def executor(threads: int = 4) -> ThreadPoolExecutor:
    """The hot path's own worker threads: few, so that the GIL changes hands rarely; enough for
    SQLite (microseconds per query) or PostgreSQL (one round trip per request)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="evreg-ids")


class ExistenceBatches:
    """The existence checks of concurrent requests, coalesced: while one statement runs in a
    worker thread, the ids asked for meanwhile wait and go together in the next one (at most
    ``MAX_BATCH`` ids a statement, one statement at a time). Every request is answered by a
    statement that started after it arrived, so coalescing never lets through an id deleted
    before the request came; it only saves thread hops and statements under load."""

    def __init__(self, schema_ids: SchemaIds[Any], executor: ThreadPoolExecutor) -> None:
        self._schema_ids = schema_ids
        self._executor = executor
        self._waiting: dict[int, list[asyncio.Future[bool]]] = {}
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def in_use(self, schema_id: int) -> bool:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): nothing carries over
            self._loop, self._waiting, self._running = loop, {}, False
        future: asyncio.Future[bool] = loop.create_future()
        self._waiting.setdefault(schema_id, []).append(future)
        if not self._running:
            self._start(loop)
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        ids = list(itertools.islice(self._waiting, MAX_BATCH))
        batch = {schema_id: self._waiting.pop(schema_id) for schema_id in ids}
        token = self._schema_ids.token()  # read before the statement starts
        try:
            running = loop.run_in_executor(self._executor, self._schema_ids.in_use_many, ids)
        except RuntimeError as exc:  # the executor is shut down: the app is stopping
            _settle(batch, errors.StoreFailure(f"The registry is stopping: {exc}"), set())
            return
        self._running = True
        running.add_done_callback(lambda done: self._finish(loop, done, batch, token))

    def _finish(
        self,
        loop: asyncio.AbstractEventLoop,
        done: asyncio.Future[set[int]],
        batch: dict[int, list[asyncio.Future[bool]]],
        token: Token | None,
    ) -> None:
        if done.cancelled():
            _settle(batch, errors.StoreFailure("The registry is stopping"), set())
        elif (error := done.exception()) is not None:
            _settle(batch, error, set())
        else:
            used = done.result()
            self._schema_ids.found_in_use(used, token)
            _settle(batch, None, used)
        if loop is self._loop:
            self._running = False
            if self._waiting:
                self._start(loop)


def _settle(
    batch: dict[int, list[asyncio.Future[bool]]], error: BaseException | None, used: set[int]
) -> None:
    for schema_id, futures in batch.items():
        for future in futures:
            if future.done():  # its request was cancelled (the client went away)
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(schema_id in used)


class SchemaByIdHotPath:
    def __init__(
        self, app: ASGIApp, service: RegistryService, route: Any, executor: ThreadPoolExecutor
    ) -> None:
        self.app = app
        self.service = service
        self.route = route  # the documented APIRoute: what metrics and logs name
        self.executor = executor
        self.batches = ExistenceBatches(service.schema_ids, executor)
        self._media: dict[bytes, bytes] = {}
        self._bodies: dict[int, bytes] = {}
        self._body_bytes = 0  # bounded like the schema ids cache: entries and bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        schema_id = _schema_id(scope)
        if schema_id is not None and await self._answer(schema_id, scope, receive, send):
            return
        await self.app(scope, receive, send)

    async def _answer(self, schema_id: int, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request; False (nothing sent) to leave it to the router."""
        found = self.service.schema_ids.fresh(schema_id)  # nothing deleted since: no database
        try:
            if found is None:
                found = await self._checked(schema_id)
        except errors.RegistryError as exc:
            scope["route"] = self.route
            status, code = status_and_code(exc)
            await error_response(Request(scope), status, code, exc.message)(scope, receive, send)
            return True
        except Exception:
            return False
        scope["route"] = self.route
        content = self._bodies.get(schema_id)
        if content is None:  # what an id names never changes: its body neither
            content = orjson.dumps(schema_dict(found))
            ids = self.service.schema_ids
            most = ids.max_bytes
            if len(self._bodies) >= ids.size or (
                most is not None and self._body_bytes + len(content) > most
            ):
                self._bodies.clear()
                self._body_bytes = 0
            self._bodies[schema_id] = content
            self._body_bytes += len(content)
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

    async def _checked(self, schema_id: int) -> Any:
        """The content of the id, after asking the database whether a version uses it."""
        ids = self.service.schema_ids
        found = ids.cached(schema_id, count_miss=False)
        if found is None:  # first read of this id: the service loads and remembers it
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()  # the request id, for the service's logs
            token = ids.token()
            found = await loop.run_in_executor(
                self.executor, context.run, self.service.get_schema, schema_id
            )
            ids.found_in_use((schema_id,), token)
        elif not await self.batches.in_use(schema_id):
            raise errors.SchemaNotFound()
        return found

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
    """The id of a ``GET /schemas/ids/<digits>`` in range (of the default context: a ``subject``
    hint may name another context, which the route reads), else None."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    if b"subject=" in scope.get("query_string", b""):
        return None
    match = PATH.fullmatch(scope["path"])
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= MAX_ID else None
