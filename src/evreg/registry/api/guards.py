"""Guards every request passes before the routes: a path that is text, and a pattern budget.

``RequestGuards`` is a pure ASGI middleware:

- **The path must be UTF-8 without NUL.** The server decodes ``%FF%FE`` as two U+FFFD, so two
  different byte strings would name one subject (issue 15), and PostgreSQL cannot store a NUL
  that SQLite keeps. The raw path is percent-decoded and checked; otherwise 422/42208 naming
  the offending byte, before any route runs.
- **Regular expressions share a budget per request.** The request runs inside
  ``patterns.budget(units)``; the use cases run in worker threads, which inherit the request's
  context, so every pattern search of the request (compatibility rules, witness search, the
  validators that verify witnesses) is charged to it, and past it a
  ``patterns.PatternBudgetError`` ends the check (422/42201 naming the pattern).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from evreg.contracts import patterns

__all__ = ["RequestGuards", "path_problem"]


def path_problem(raw_path: bytes) -> str | None:
    """Why a raw (percent-encoded) request path is not acceptable text, or None."""
    decoded = unquote_to_bytes(raw_path)
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = decoded[exc.start : exc.start + 1].hex().upper()
        return f"the path is not UTF-8 (byte 0x{bad} at byte {exc.start + 1} of the decoded path)"
    if "\x00" in text:
        return f"the path holds a NUL character (%00) at character {text.index(chr(0)) + 1}"
    return None


class RequestGuards:
    """Refuses a path that is not text; runs the request inside a pattern budget."""

    def __init__(self, app: ASGIApp, *, pattern_budget: int) -> None:
        self.app = app
        self.pattern_budget = pattern_budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        problem = path_problem(raw.split(b"?", 1)[0])
        if problem is not None:
            body = orjson.dumps({"error_code": 42208, "message": f"Invalid path: {problem}"})
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-length", str(len(body)).encode("latin-1")),
                        (b"content-type", b"application/vnd.schemaregistry.v1+json"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        with patterns.budget(self.pattern_budget):
            await self.app(scope, receive, send)
