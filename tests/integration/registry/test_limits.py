"""Limits on a real server, on SQLite and PostgreSQL: the body limit stops reading at the limit,
and a schema nested deeper than the bound (128 levels of objects and arrays) is refused."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from evreg.contracts.values import MAX_DEPTH

from .conftest import Server

LIMIT = 1024 * 1024  # the default EVREG_MAX_BODY_BYTES


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _answer_while_body_unfinished(server: Server, head: bytes, body: bytes) -> bytes:
    """Send ``head`` and ``body`` but never the end of the body; what the server answers.

    A server that read on, waiting for the rest of the body, would answer nothing: the read
    times out and the test fails."""
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        sock.sendall(head)
        if body:
            sock.sendall(body)
        answer = b""
        while not _complete(answer):
            try:
                part = sock.recv(65536)
            except TimeoutError:
                pytest.fail(f"no answer while the body was unfinished: {answer!r}")
            if not part:
                break
            answer += part
        return answer


def _complete(answer: bytes) -> bool:
    """The head and as many body bytes as its Content-Length says have arrived."""
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


def _head(subject: str, *headers: str) -> bytes:
    lines = [
        f"POST /subjects/{subject}/versions HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    server: Server, http: httpx.Client, subject: str
) -> None:
    answer = _answer_while_body_unfinished(
        server, _head(subject, f"Content-Length: {10 * LIMIT}"), b""
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error_code":42209' in answer
    assert http.get(f"/subjects/{subject}/versions").status_code == 404  # nothing stored


def test_reading_stops_at_the_limit(server: Server, http: httpx.Client, subject: str) -> None:
    chunk = b" " * 65536
    sent = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // len(chunk) + 2))
    # chunked, one chunk past the limit, and the final empty chunk never comes
    answer = _answer_while_body_unfinished(
        server, _head(subject, "Transfer-Encoding: chunked"), sent
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error_code":42209' in answer
    assert http.get(f"/subjects/{subject}/versions").status_code == 404


def _nested(depth: int) -> str:
    """A schema whose JSON nests ``depth`` objects and arrays: the root object, then arrays."""
    value: Any = 0
    for _ in range(depth - 1):
        value = [value]
    return json.dumps({"type": "object", "default": value})


def test_a_schema_nested_past_the_bound_is_refused(http: httpx.Client, subject: str) -> None:
    assert MAX_DEPTH == 128  # the bound docs/api.md and docs/operations.md state
    versions = f"/subjects/{subject}/versions"
    deep = http.post(versions, json={"schemaType": "JSON", "schema": _nested(MAX_DEPTH + 1)})
    assert (deep.status_code, deep.json()["error_code"]) == (422, 42201)
    assert f"nested more than {MAX_DEPTH} levels deep" in deep.json()["message"]
    assert http.get(versions).status_code == 404  # nothing stored
    ok = http.post(versions, json={"schemaType": "JSON", "schema": _nested(MAX_DEPTH)})
    assert ok.status_code == 200, ok.text
