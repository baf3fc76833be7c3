"""Confluent's context-prefixed routes, rewritten to the routes they stand for.

A client may use ``http://registry/contexts/.staging`` as its base URL (Confluent's
``ContextFilter``): ``/contexts/.staging/subjects/orders/versions`` is
``/subjects/:.staging:orders/versions``, and so on. This pure ASGI middleware rewrites the path
(and query) before anything else reads it, so authentication, metrics and the router see the
route it stands for:

| prefixed | rewritten |
| --- | --- |
| ``/contexts/{c}/subjects`` | ``/subjects?subjectPrefix=:{c}:`` |
| ``/contexts/{c}/subjects/{s}...`` | ``/subjects/:{c}:{s}...`` |
| ``/contexts/{c}/schemas`` | ``/schemas?subjectPrefix=:{c}:`` |
| ``/contexts/{c}/schemas/types`` | ``/schemas/types`` |
| ``/contexts/{c}/schemas/ids/{id}...`` | the same, ``subject`` qualified in ``{c}`` |
| ``/contexts/{c}/config`` (``/mode``) | ``/config/:{c}:`` (the context's own config) |
| ``/contexts/{c}/config/{s}`` (``/mode/{s}``) | ``/config/:{c}:{s}`` |
| ``/contexts/{c}/compatibility/subjects/{s}...`` | ``/compatibility/subjects/:{c}:{s}...`` |

A subject written in the default context's qualified form, ``:.:orders``, is ``orders``
everywhere. Any other path under ``/contexts/{c}/`` is left alone (the router answers 404).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from evreg.registry import contexts


class ContextPaths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            rewritten = rewrite(scope["path"], scope.get("query_string", b"").decode("latin-1"))
            if rewritten is not None:
                path, query = rewritten
                scope = dict(scope)
                scope["path"] = path
                scope["raw_path"] = quote(path, safe="/:").encode("ascii")
                scope["query_string"] = query.encode("latin-1")
        await self.app(scope, receive, send)


def _qualified(context: str, subject: str) -> str:
    if subject.startswith(":."):
        return subject
    return f":{context}:{subject}" if context != contexts.DEFAULT_CONTEXT else subject


def _with(query: str, key: str, value: str, *, qualify: str | None = None) -> str:
    """``query`` with ``key`` set to ``value`` if absent, else qualified with ``qualify``."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(k == key for k, _ in pairs):
        if qualify is not None:
            pairs = [(k, _qualified(qualify, v) if k == key else v) for k, v in pairs]
    else:
        pairs.append((key, value))
    return urlencode(pairs)


def rewrite(path: str, query: str) -> tuple[str, str] | None:
    """The (path, query) a request stands for, or None when it is as it is."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] in ("subjects", "config", "mode") and parts[2].startswith(":.:"):
        parts[2] = parts[2][3:]  # ":.:orders" is the default context's "orders"
        return "/".join(parts), query
    if len(parts) < 4 or parts[1] != "contexts" or not parts[2].startswith("."):
        return None
    context, rest = parts[2], parts[3:]
    own = contexts.context_key(context) if context != contexts.DEFAULT_CONTEXT else ""
    head = rest[0]
    if head == "subjects":
        if len(rest) == 1 or rest[1] == "":
            return "/subjects", _with(query, "subjectPrefix", own or "")
        rest[1] = _qualified(context, rest[1])
        return "/" + "/".join(rest), query
    if head == "schemas":
        if len(rest) == 1:
            return "/schemas", _with(query, "subjectPrefix", own or "")
        if rest[1] == "ids":
            return "/" + "/".join(rest), _with(query, "subject", own, qualify=context)
        return "/" + "/".join(rest), query
    if head in ("config", "mode"):
        if len(rest) == 1:
            return (f"/{head}/{own}" if own else f"/{head}"), query
        rest[1] = _qualified(context, rest[1])
        return "/" + "/".join(rest), query
    if head == "compatibility" and len(rest) > 2 and rest[1] == "subjects":
        rest[2] = _qualified(context, rest[2])
        return "/" + "/".join(rest), query
    return None
