"""Request ids, JSON logs, and the middleware that records each request's metrics.

Every request gets an id (the client's ``X-Request-ID`` when it sends a sane one, else a new one),
echoed in the response's ``X-Request-ID`` and carried by every log line written while the request
runs. Logs of the ``evreg`` loggers are one JSON object per line on stderr. ``/metrics`` serves
the process's Prometheus metrics (:mod:`evreg.registry.metrics`).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import re
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evreg.registry.metrics import Metrics

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "evreg_request_id", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("evreg.registry.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras.

    It writes every access-log line, so it is kept cheap: orjson, and the time's text made once
    per second."""

    RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def access_line(self, created: float, message: str, fields: dict[str, Any]) -> str:
        """What :meth:`format` makes of an access record with these ``fields`` (the ``_fields``
        that :class:`Observe` sets), made without the record."""
        out: dict[str, Any] = {
            "ts": self._time(created),
            "level": "info",
            "logger": access_log.name,
            "msg": message,
        }
        request_id = request_id_var.get()
        if request_id:
            out["request_id"] = request_id
        out.update(fields)
        return self._dumps(out)

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            out["request_id"] = request_id
        attributes = record.__dict__
        fields = attributes.get("_fields")
        if fields is not None:  # an access record: its extras are named
            for key in fields:
                out[key] = attributes[key]
        else:
            reserved = self.RESERVED
            for key, value in attributes.items():
                if key not in reserved and not key.startswith("_"):
                    out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return self._dumps(out)

    @staticmethod
    def _dumps(out: dict[str, Any]) -> str:
        try:
            return orjson.dumps(out, default=str, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
        except TypeError:  # what orjson refuses (an int beyond 64 bits): the standard library
            return json.dumps(out, default=str, ensure_ascii=False)

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC with milliseconds: ``2026-11-26T14:29:03.123+00:00``."""
        second = int(created)
        if second != self._second:
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"


class BatchedLines(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes its lines in batches: one ``write`` for all the lines of
    the last ``interval`` seconds (0.1), instead of one system call per access-log line.

    A record at WARNING or above is written at once, with everything before it; so is a batch
    that reaches 64 KiB; and what is pending at exit (``logging.shutdown``) or when the
    handler is replaced. A process killed with SIGKILL loses at most ``interval`` seconds of
    INFO lines; the records keep the time at which they were made. One thread of the
    handler's own, started with the first line, writes the batches (``emit`` only appends)."""

    LIMIT = 64 * 1024

    def __init__(self, stream: Any, interval: float = 0.1) -> None:
        super().__init__(stream)
        self.interval = interval
        self._pending: list[str] = []
        self._size = 0
        self._writer: threading.Thread | None = None
        # (not `_closed`: logging.Handler.close sets that attribute to True)
        self._stopped = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:  # called with self.lock held
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._add(line, record.levelno)

    def append(self, line: str) -> None:
        """A line formatted already, at INFO: what :class:`Observe` writes for the access log
        when this handler is the only way out (see :func:`_direct_handler`)."""
        with self.lock:  # type: ignore[union-attr]
            self._add(line, logging.INFO)

    def _add(self, line: str, level: int) -> None:
        self._pending.append(line)
        self._size += len(line)
        if level >= logging.WARNING or self._size >= self.LIMIT:
            self._write()
        elif self._writer is None and not self._stopped.is_set():
            self._writer = threading.Thread(
                target=self._write_every_interval, name="evreg-log-writer", daemon=True
            )
            self._writer.start()

    def _write_every_interval(self) -> None:
        while not self._stopped.wait(self.interval):
            if self._pending:
                self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()

    def _write(self) -> None:
        if self._pending:
            text, self._pending, self._size = "".join(self._pending), [], 0
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:
                self._pending.clear()


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """JSON (or plain) lines on stderr for the ``evreg`` loggers, written in batches
    (:class:`BatchedLines`); idempotent."""
    logger = logging.getLogger("evreg")
    for handler in list(logger.handlers):
        if getattr(handler, "_evreg", False):
            handler.close()  # writes what is pending, stops its writer thread
            logger.removeHandler(handler)
    handler = BatchedLines(sys.stderr)
    handler._evreg = True  # type: ignore[attr-defined]
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


class Observe:
    """Pure ASGI middleware (no ``BaseHTTPMiddleware``, no extra task per request): the request
    id, the access log line and the request metrics of every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _SANE_ID.match(given) else _new_request_id()
        echoed = (b"x-request-id", request_id.encode("latin-1"))
        token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            self._record(scope, state, status, elapsed)
            request_id_var.reset(token)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, elapsed: float) -> None:
        method: str = scope["method"]
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        self.metrics.requests.observe(method, route, status, elapsed)
        if access_log.isEnabledFor(logging.INFO):
            path: str = scope["path"]
            fields = {
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "actor": state.get("actor"),
            }
            handler = _direct_handler()
            if handler is None:  # logging configured otherwise: the record goes its way
                access_log.handle(_access_record((method, path, status), **fields))
            else:  # the same line, without logging's layers (half of this middleware's CPU)
                formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]
                message = f"{method} {path} {status}"
                handler.append(formatter.access_line(time.time(), message, fields) + "\n")


_registry_log = logging.getLogger("evreg.registry")
_evreg_log = logging.getLogger("evreg")


def _direct_handler() -> BatchedLines | None:
    """The handler an access-log record would reach, when the way there is the one
    :func:`configure_logging` sets up (one :class:`BatchedLines` with a :class:`JsonFormatter`
    on ``evreg``, no handler or filter on the loggers between, none on the handler), else None.
    Then the line it would write can be appended to it directly."""
    for logger in (access_log, _registry_log):
        if logger.handlers or logger.filters or not logger.propagate:
            return None
    handlers = _evreg_log.handlers
    if len(handlers) != 1 or _evreg_log.filters:
        return None
    handler = handlers[0]
    if (
        type(handler) is not BatchedLines
        or type(handler.formatter) is not JsonFormatter
        or handler.filters
        or handler.level > logging.INFO
        or handler.terminator != "\n"
    ):
        return None
    return handler


_ACCESS_FIELDS = ("method", "path", "route", "status", "duration_ms", "actor")
# Every attribute ``logging.LogRecord.__init__`` sets, made once: an access record copies them and
# sets what differs per request. ``LogRecord.__init__`` itself (the caller's file name split,
# the process and thread names looked up) was a twentieth of the by-id hot path's CPU.
_ACCESS_TEMPLATE = vars(
    logging.LogRecord(access_log.name, logging.INFO, __file__, 0, "%s %s %s", (), None)
).copy()
_TEMPLATE_NS = time.time_ns()


def _access_record(args: tuple[Any, ...], **fields: Any) -> logging.LogRecord:
    """A LogRecord equal to what ``LogRecord(...)`` would make, with the access fields as
    attributes (what ``extra=`` gives) and ``_fields`` naming them for :class:`JsonFormatter`."""
    record: logging.LogRecord = logging.LogRecord.__new__(logging.LogRecord)
    attributes = record.__dict__
    attributes.update(_ACCESS_TEMPLATE)
    now = time.time_ns()
    attributes["created"] = now / 1e9
    attributes["msecs"] = float((now % 1_000_000_000) // 1_000_000)
    attributes["relativeCreated"] = _ACCESS_TEMPLATE["relativeCreated"] + (now - _TEMPLATE_NS) / 1e6
    attributes["thread"] = threading.get_ident()
    attributes["threadName"] = threading.current_thread().name
    attributes["args"] = args
    attributes.update(fields)
    attributes["_fields"] = _ACCESS_FIELDS
    return record


class _RequestIds:
    """New request ids: 32 hex digits, a random prefix per process and a counter (no system
    call per request; a forked child draws a prefix of its own)."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count(int.from_bytes(os.urandom(4), "big"))

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"


_new_request_id = _RequestIds()


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` in lower case), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def install(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(Observe, metrics=metrics)

    @app.get(
        "/metrics",
        summary="Prometheus metrics of this process",
        tags=["ops"],
        response_class=PlainTextResponse,
        responses={200: {"description": "Prometheus text format"}},
    )
    async def metrics_endpoint() -> Response:
        return Response(content=metrics.render(), media_type=CONTENT_TYPE_LATEST)
