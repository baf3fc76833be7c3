"""Fixtures for the flow-map page: a real ``evreg serve --load contracts/`` (SQLite) with a
fourth application, ``notifications``, whose receive side cannot read ``orders.placed`` (a
broken edge), and a headless Debian Chromium (the web UI tests' own fixtures, reused)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web.conftest import CHROMIUM, CHROMIUM_ARGS, Registry, _unavailable

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
