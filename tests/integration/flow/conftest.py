"""Fixtures for the flow-map page: a real ``evreg serve --load contracts/`` (SQLite) with a
fourth application, ``notifications``, whose receive side cannot read ``orders.placed`` (a
broken edge), and a headless Debian Chromium (the web UI tests' own fixtures, reused)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web.conftest import Registry
from web.conftest import browser as browser  # the web UI tests' Chromium fixture

FIXTURES = Path(__file__).parents[2] / "fixtures" / "flow"
NOTIFICATIONS = (FIXTURES / "notifications.asyncapi.yaml").read_text()


def push(url: str, subject: str, text: str) -> httpx.Response:
    response = httpx.post(
        f"{url}/subjects/{subject}/versions",
        json={"schemaType": "ASYNCAPI", "schema": text},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response


@pytest.fixture(scope="module")
def flow_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = Registry(tmp_path_factory.mktemp("flow-ui")).start()
    try:
        push(server.url, "notifications", NOTIFICATIONS)
        yield server
    finally:
        server.stop()
