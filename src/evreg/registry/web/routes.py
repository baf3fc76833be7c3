"""The web UI (``/ui/``, server-rendered HTML) and its JSON twins (``/api/ui/...``).

Every page is a GET with a stable, shareable URL; each links to the JSON it shows. Pages run the
same read-only code as their twins (:mod:`evreg.registry.web.pages`), in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from evreg import __version__
from evreg.contracts import Level, Policy
from evreg.registry import errors
from evreg.registry.api.deps import call, service
from evreg.registry.api.errors import status_and_code
from evreg.registry.inputs import parse_version
from evreg.registry.web import pages, queries, twins
from evreg.registry.web.highlight import highlight_json, highlight_lines, inline_code, pretty

T = TypeVar("T")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
LEVELS = [level.value for level in Level]
POLICIES = [policy.value for policy in Policy]
ACTIONS = ["schema", "version", "subject", "config", "mode", "token"]


def path_part(value: object) -> str:
    """A value quoted for one URL path segment (a subject name may hold any character)."""
    return quote(str(value), safe="")


def query_string(params: Mapping[str, object]) -> str:
    """``?a=1&b=2`` of the params that are set (empty when none is)."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


def when(value: str | None) -> str:
    """An ISO timestamp as ``2026-11-20 09:14:03 UTC``."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:  # the registry stores UTC (SQLite hands it back naive)
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _highlight(value: Any) -> Markup:
    return highlight_json(pretty(value))


environment = Environment(
    loader=PackageLoader("evreg.templates", "web"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    path=path_part,
    when=when,
    highlight=_highlight,
    hl=highlight_json,
    lines=highlight_lines,
    inline_code=inline_code,
)
environment.globals.update(qs=query_string, version=__version__, levels=LEVELS, policies=POLICIES)


class UIStaticFiles(StaticFiles):
    """The UI's CSS and JS (package data), with the same security headers as the pages."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


def static_files() -> UIStaticFiles:
    return UIStaticFiles(packages=[("evreg.templates", "web/static")])


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = environment.get_template(template).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(request: Request, exc: errors.RegistryError) -> HTMLResponse:
    status, code = status_and_code(exc)
    return render(
        request,
        "error.html",
        status=status,
        title=f"Error {status}",
        http_status=status,
        code=code,
        message=exc.message,
        json_url=None,
        nav="",
    )


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(params.get(name, default))))
    except ValueError:
        return default


def _text(params: Mapping[str, str], name: str, limit: int = 200) -> str:
    return params.get(name, "")[:limit]


# ---------------------------------------------------------------- HTML pages

html = APIRouter(prefix="/ui", include_in_schema=False)


@html.get("")
async def ui_root() -> Response:
    return RedirectResponse("/ui/", status_code=307)


@html.get("/")
async def subjects_page(request: Request) -> Response:
    params = request.query_params
    q = _text(params, "q")
    sort = params.get("sort", "subject")
    order = params.get("order", "asc")
    page = _int(params, "page", 1, 1, 10**6)
    size = _int(params, "size", 50, 1, queries.MAX_PAGE_SIZE)
    try:
        result = await call(
            queries.list_subjects,
            service(request),
            q=q,
            sort=sort,
            order=order,
            page=page,
            size=size,
        )
    except errors.RegistryError as exc:
        return error_page(request, exc)
    state = {"q": result.q, "sort": result.sort, "order": result.order, "size": result.size}
    if state["size"] == 50:
        state["size"] = ""
    return render(
        request,
        "subjects.html",
        title="Search: " + q if q else "Subjects",
        nav="subjects",
        result=result,
        state=state,
        json_url="/api/ui/subjects" + query_string({**state, "page": result.page}),
    )


@html.get("/subjects/{subject}")
async def subject_page(request: Request, subject: str) -> Response:
    try:
        view = await call(pages.subject_view, service(request), subject)
    except errors.RegistryError as exc:
        return error_page(request, exc)
    return render(
        request,
        "subject.html",
        title=subject,
        nav="subjects",
        s=view,
        json_url=f"/api/ui/subjects/{path_part(subject)}",
    )


@html.get("/subjects/{subject}/versions/{version}")
async def version_page(request: Request, subject: str, version: str) -> Response:
    try:
        view = await call(pages.version_view, service(request), subject, parse_version(version))
    except errors.RegistryError as exc:
        return error_page(request, exc)
    base = f"/subjects/{path_part(subject)}/versions/{view['version']}"
    document = pretty(view["document"])
    return render(
        request,
        "version.html",
        title=f"{subject} v{view['version']}",
        nav="subjects",
        v=view,
        document=document,
        raw_url=f"{base}/schema",
        confluent_url=base,
        json_url=f"/api/ui{base}",
    )


@html.get("/subjects/{subject}/diff")
async def diff_page(request: Request, subject: str) -> Response:
    params = request.query_params
    level = params.get("level") or None
    policy = params.get("policy") or None
    try:
        facts = await call(queries.subject_facts, service(request), subject)
        if facts is None:
            raise errors.SubjectNotFound(subject)
        numbers = [v.version for v in facts.versions]
        new = parse_version(params.get("to") or "latest")
        new_number = numbers[-1] if new == "latest" else new
        if params.get("from"):
            old = parse_version(params["from"])
        else:
            earlier = [n for n in numbers if isinstance(new_number, int) and n < new_number]
            old = earlier[-1] if earlier else new_number
        view = await call(
            pages.diff_view, service(request), subject, old, new, level=level, policy=policy
        )
    except errors.RegistryError as exc:
        return error_page(request, exc)
    twin = query_string(
        {
            "from": view["from"],
            "to": view["to"],
            "level": view["report"]["level"],
            "policy": policy,
        }
    )
    return render(
        request,
        "diff.html",
        title=f"{subject}: v{view['from']} → v{view['to']}",
        nav="subjects",
        d=view,
        rows=pages.side_by_side(view["old"], view["new"]),
        chosen_level=level or "",
        chosen_policy=policy or "",
        json_url=f"/api/subjects/{path_part(subject)}/diff{twin}",
    )


@html.get("/audit")
async def audit_page(request: Request) -> Response:
    params = request.query_params
    filters = {
        "subject": _text(params, "subject"),
        "actor": _text(params, "actor"),
        "action": _text(params, "action"),
    }
    before = _int(params, "before", 0, 0, 2**31 - 1) or None
    try:
        result = await call(
            queries.audit_page,
            service(request),
            subject=filters["subject"] or None,
            actor=filters["actor"] or None,
            action=filters["action"] or None,
            before=before,
        )
    except errors.RegistryError as exc:
        return error_page(request, exc)
    return render(
        request,
        "audit.html",
        title="Audit log",
        nav="audit",
        result=result,
        filters=filters,
        actions=ACTIONS,
        before=before,
        json_url="/api/ui/audit" + query_string({**filters, "before": before}),
    )


router = APIRouter()
router.include_router(html)
router.include_router(twins.router)
