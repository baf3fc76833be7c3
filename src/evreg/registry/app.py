"""The ASGI app: ``create_app()`` (uvicorn's factory: ``evreg.registry.app:create_app``)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evreg import __version__
from evreg.contracts.limits import Limits
from evreg.registry import errors, observability
from evreg.registry.api import errors as api_errors
from evreg.registry.api import ids_hot_path, security
from evreg.registry.api.confluent import router as confluent_router
from evreg.registry.api.confluent_config import router as confluent_config_router
from evreg.registry.api.confluent_server import router as confluent_server_router
from evreg.registry.api.context_paths import ContextPaths
from evreg.registry.api.evreg_api import router as evreg_router
from evreg.registry.api.flow_api import router as flow_router
from evreg.registry.api.guards import RequestGuards
from evreg.registry.api.media import json_response, media_content
from evreg.registry.api.openapi_inputs import describe_inputs
from evreg.registry.api.tokens_api import router as tokens_router
from evreg.registry.auth import Tokens
from evreg.registry.loader import load_directory
from evreg.registry.metrics import Metrics
from evreg.registry.service import RegistryService
from evreg.registry.settings import Settings
from evreg.registry.store import Store
from evreg.registry.store.engine import redact
from evreg.registry.web import STATIC_PATH as UI_STATIC_PATH
from evreg.registry.web import router as ui_router
from evreg.registry.web import static_files as ui_static_files
from evreg.registry.web.flow_page import router as flow_page_router

log = logging.getLogger("evreg.registry")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the registry: open (and migrate) the database, wire routes and error handlers."""
    settings = settings or Settings.from_env()
    observability.configure_logging(settings.log_level, settings.log_format)
    store = Store(
        settings.database_url, pool_size=settings.pool_size, max_overflow=settings.max_overflow
    )
    service = RegistryService(
        store,
        cache_size=settings.cache_size,
        cache_bytes=settings.cache_bytes,
        payload_subjects=settings.payload_subjects,
        payload_strategy=settings.payload_strategy,
        limits=Limits(settings.max_properties, settings.max_nodes),
        default_draft=settings.default_draft,
        max_references=settings.max_references,
    )
    service.prepare()

    tokens = Tokens(service)
    if settings.bootstrap_token:
        tokens.ensure("bootstrap", "admin", settings.bootstrap_token)
    if settings.auth == "auto" and not tokens.admin_exists():
        log.warning(
            "evreg registry: NO AUTHENTICATION: no admin token exists, so anyone who can reach "
            "this port may register and delete schemas. Create an admin token "
            "(POST /api/tokens) or set EVREG_AUTH=required to require tokens for writes."
        )

    ids_threads = ids_hot_path.executor()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.changes.start()  # in-memory reads (ids, tokens) are served until a change
        if settings.load_dir:
            await run_in_threadpool(
                load_directory, service, settings.load_dir, actor="evreg serve --load"
            )
        # What start-up made (modules, the app, caches) lives as long as the process: moved
        # out of the garbage collector's generations, a full collection no longer walks it
        # (~100 ms pauses in a request otherwise).
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            ids_threads.shutdown(wait=False, cancel_futures=True)
            service.changes.close()
            service.schema_ids.close()
            store.close()

    app = FastAPI(
        title="evreg registry",
        version=__version__,
        description="Contract-first event schema registry: the Confluent Schema Registry API "
        "for JSON Schema and AsyncAPI contracts.",
        lifespan=lifespan,
        # evreg observes itself (Prometheus metrics, JSON logs); FastAPI's own OpenTelemetry
        # hooks would ask for configured providers on every request (~4% of the ids path)
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_inputs(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.service = service
    app.state.tokens = tokens
    api_errors.install(app)
    # middleware added first runs innermost: the hot path inside auth, auth inside observe
    app.add_middleware(
        ids_hot_path.SchemaByIdHotPath,
        service=service,
        route=_route(confluent_router, ids_hot_path.ROUTE),
        executor=ids_threads,
    )
    security.install(app, settings, tokens)
    # a path that is not text is refused before auth; each request's patterns share a budget
    app.add_middleware(RequestGuards, pattern_budget=settings.pattern_budget)
    observability.install(app, Metrics(service))  # sees every request
    # outermost: /contexts/{context}/... is the route it stands for, for everything inside
    app.add_middleware(ContextPaths)
    app.include_router(confluent_router)
    app.include_router(confluent_config_router)
    app.include_router(confluent_server_router)  # /v1/metadata, Confluent features refused
    app.include_router(evreg_router)
    app.include_router(tokens_router)  # /api/tokens
    app.include_router(flow_router)  # the event-flow map and consumer-aware checks
    app.include_router(ui_router)  # the web UI (/ui/) and its JSON twins (/api/ui/)
    app.include_router(flow_page_router)  # /ui/flow: the event-flow map (twin: /api/flow)
    app.mount(UI_STATIC_PATH, ui_static_files(), name="ui-static")

    _status = {"type": "object", "properties": {"status": {"type": "string"}}}

    @app.get(
        "/health",
        summary="Liveness: the process answers",
        tags=["ops"],
        responses={200: {"description": "Alive", "content": media_content(_status)}},
    )
    async def health(request: Request) -> Response:
        return json_response(request, {"status": "ok"})

    @app.get(
        "/ready",
        summary="Readiness: the database answers and is at the head migration",
        tags=["ops"],
        responses={
            200: {"description": "Ready", "content": media_content(_status)},
            503: {
                "description": "The database does not answer, or is not at the head "
                "migration: error_code 50001",
                "content": media_content(api_errors.ERROR_BODY_SCHEMA),
            },
        },
    )
    async def ready(request: Request) -> Response:
        try:
            await run_in_threadpool(service.ping)
        except errors.StoreFailure as exc:
            return api_errors.error_response(request, 503, 50001, exc.message)
        return json_response(request, {"status": "ready"})

    log.info("evreg registry on %s", redact(settings.database_url))
    return app


# The cyclic garbage collector's thresholds while the app runs. Python's default first threshold
# (700 net allocations) makes the first registration after a restart, which loads every earlier
# version of a BACKWARD_TRANSITIVE subject (hundreds of contracts), run dozens of collections
# over a growing heap: a third of its CPU at 200 versions of a 300-property schema. One request
# allocates far more than 700 objects anyway; collecting every 50,000 keeps cyclic garbage
# bounded (a few MB) and its pauses rare (bench/bench_transitive_registry.py, docs/performance.md).
GC_THRESHOLDS = (50_000, 10, 10)


def _route(router: APIRouter, path: str) -> APIRoute:
    [route] = [r for r in router.routes if isinstance(r, APIRoute) and r.path == path]
    return route
