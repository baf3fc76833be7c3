"""Request ids, JSON logs and Prometheus metrics.

Every request gets an id (the client's ``X-Request-ID`` when it sends a sane one, else a new one),
echoed in the response's ``X-Request-ID`` and carried by every log line written while the request
runs. Logs of the ``evreg`` loggers are one JSON object per line on stderr. ``/metrics`` serves
the process's Prometheus metrics (each registry process has its own: scrape every process).
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
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evreg.registry.service import RegistryService

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
        reserved = self.RESERVED
        for key, value in record.__dict__.items():
            if key not in reserved and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
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
    INFO lines; the records keep the time at which they were made."""

    LIMIT = 64 * 1024

    def __init__(self, stream: Any, interval: float = 0.1) -> None:
        super().__init__(stream)
        self.interval = interval
        self._pending: list[str] = []
        self._size = 0
        self._timer: threading.Timer | None = None

    def emit(self, record: logging.LogRecord) -> None:  # called with self.lock held
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._pending.append(line)
        self._size += len(line)
        if record.levelno >= logging.WARNING or self._size >= self.LIMIT:
            self._write()
        elif self._timer is None:
            self._timer = threading.Timer(self.interval, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def _write(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
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
            handler.flush()
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


class Metrics:
    """The process's metrics, in a registry of its own (one per app)."""

    def __init__(self, service: RegistryService) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "evreg_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "evreg_http_request_duration_seconds",
            "HTTP request duration by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        caches: tuple[tuple[str, Any], ...] = (
            ("contracts", service._contracts),
            ("reports", service._reports),
            ("schema_ids", service.schema_ids),
        )
        for name, cache in caches:
            hits = Gauge(
                f"evreg_{name}_cache_hits",
                f"Hits of the {name} cache since start",
                registry=self.registry,
            )
            hits.set_function(_reader(cache, "hits"))
            misses = Gauge(
                f"evreg_{name}_cache_misses",
                f"Misses of the {name} cache since start",
                registry=self.registry,
            )
            misses.set_function(_reader(cache, "misses"))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _reader(cache: Any, attribute: str) -> Callable[[], float]:
    def read() -> float:
        return float(getattr(cache, attribute))

    return read


class Observe:
    """Pure ASGI middleware (no ``BaseHTTPMiddleware``, no extra task per request): the request
    id, the access log line and the request metrics of every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # prometheus_client's ``labels()`` validates and locks on every call: keep the children
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

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
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self.metrics.requests.labels(method, route, str(status))
            self._counters[(method, route, status)] = counter
        counter.inc()
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self.metrics.latency.labels(method, route)
            self._histograms[(method, route)] = histogram
        histogram.observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            # the record made here rather than by ``access_log.info(..., extra=...)``, which
            # would also walk the stack for the caller's file and line (not logged)
            path: str = scope["path"]
            record = logging.LogRecord(
                access_log.name, logging.INFO, __file__, 0, "%s %s %s", (method, path, status), None
            )
            record.method = method
            record.path = path
            record.route = route
            record.status = status
            record.duration_ms = round(elapsed * 1000, 2)
            record.actor = state.get("actor")
            access_log.handle(record)


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
        responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
    )
    async def metrics_endpoint() -> Response:
        return Response(content=metrics.render(), media_type=CONTENT_TYPE_LATEST)
