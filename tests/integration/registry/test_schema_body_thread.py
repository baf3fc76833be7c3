"""Where a schema body is checked (issue 15, and the per-request cost of issue 21): a body of at
most ``INLINE_BODY_BYTES`` on the event loop (its check is linear in its size, so that size bounds
it), a larger one in a worker thread, so that a body of 1,000 references never holds up the
loop. Through the real app on a real SQLite file, on the evreg and the Confluent register
routes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evreg.registry.api import deps
from evreg.registry.app import create_app
from evreg.registry.settings import Settings


def _where() -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "thread"
    return "loop"


def _body(size: int) -> dict[str, Any]:
    """A registration body whose JSON is ``size`` bytes (the schema's description pads it)."""
    body = {"schemaType": "JSON", "schema": json.dumps({"type": "string", "description": ""})}
    pad = size - len(json.dumps(body, separators=(",", ":")).encode())
    body["schema"] = json.dumps({"type": "string", "description": "x" * pad})
    assert len(json.dumps(body, separators=(",", ":")).encode()) == size
    return body


@pytest.mark.parametrize("path", ["/subjects/{s}/versions", "/api/subjects/{s}/check"])
def test_small_bodies_are_checked_on_the_loop_larger_ones_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    seen: list[str] = []
    real = deps.schema_input

    def recorded(body: Any, **options: Any) -> Any:
        seen.append(_where())
        return real(body, **options)

    monkeypatch.setattr(deps, "schema_input", recorded)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}"))
    limit = deps.INLINE_BODY_BYTES
    with TestClient(app) as client:
        for n, size in enumerate([limit, limit + 1]):
            content = json.dumps(_body(size), separators=(",", ":")).encode()
            r = client.post(
                path.format(s=f"s{n}"),
                content=content,
                headers={"Content-Type": "application/json"},
            )
            assert r.status_code == 200, r.text
    assert seen == ["loop", "thread"]
