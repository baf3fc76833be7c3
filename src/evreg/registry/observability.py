"""Request ids, JSON logs and Prometheus metrics.

Every request gets an id (the client's ``X-Request-ID`` when it sends a sane one, else a new one),
echoed in the response's ``X-Request-ID`` and carried by every log line written while the request
runs. Logs of the ``evreg`` loggers are one JSON object per line on stderr. ``/metrics`` serves
the process's Prometheus metrics (each registry process has its own: scrape every process).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.responses import Response

from evreg.registry.service import LRU, RegistryService

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "evreg_request_id", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("evreg.registry.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras."""

    RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            out["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self.RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """JSON (or plain) lines on stderr for the ``evreg`` loggers; idempotent."""
    logger = logging.getLogger("evreg")
    for handler in list(logger.handlers):
        if getattr(handler, "_evreg", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
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
        for name, cache in (("contracts", service._contracts), ("reports", service._reports)):
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


def _reader(cache: LRU[Any, Any], attribute: str) -> Callable[[], float]:
    def read() -> float:
        return float(getattr(cache, attribute))

    return read


def install(app: FastAPI, metrics: Metrics) -> None:
    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.state.request_id = request_id
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(request.scope.get("route"), "path", None) or "unmatched"
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(request.method, route).observe(elapsed)
            access_log.info(
                "%s %s %s",
                request.method,
                request.url.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "actor": getattr(request.state, "actor", None),
                },
            )
            request_id_var.reset(token)

    @app.get(
        "/metrics",
        summary="Prometheus metrics of this process",
        tags=["ops"],
        responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
    )
    async def metrics_endpoint() -> Response:
        return Response(content=metrics.render(), media_type=CONTENT_TYPE_LATEST)
