"""``/ui/flow``: the event-flow map, drawn as server-rendered SVG (:mod:`flow_svg`), with a
table of every edge and message under it. Its JSON twin is ``/api/flow`` (the same map)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.web import flow_svg
from evreg.registry.web.routes import error_page, render

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/flow")
async def flow_page(request: Request) -> Response:
    service: RegistryService = request.app.state.service
    try:
        found = await run_in_threadpool(service.flow_map)
    except errors.RegistryError as exc:
        return error_page(request, exc)
    drawing = await run_in_threadpool(flow_svg.layout, found)
    return render(
        request,
        "flow.html",
        title="Event flow",
        nav="flow",
        drawing=drawing,
        rows=flow_svg.rows(drawing),
        applications=found.applications(),
        broken=sum(1 for arrow in drawing.arrows if arrow.broken),
        version_url=flow_svg.version_url,
        json_url="/api/flow",
    )
