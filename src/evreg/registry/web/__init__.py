"""The registry's web UI: server-rendered pages under ``/ui/`` and their ``/api/ui`` twins.

``app.include_router(router)`` adds the pages and twins; ``app.mount(STATIC_PATH,
static_files())`` serves the CSS and JS (package data under ``evreg/templates/web/static``).
"""

from evreg.registry.web.routes import router, static_files

STATIC_PATH = "/ui/static"

__all__ = ["STATIC_PATH", "router", "static_files"]
