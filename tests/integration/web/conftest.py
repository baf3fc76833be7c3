"""Fixtures for the web UI tests: a real registry (``evreg serve --load contracts/``) and a
headless Debian Chromium driven by Playwright.

The browser tests skip with a reason when ``/usr/bin/chromium`` (``apt-get install chromium``) or
the ``playwright`` package is missing, and fail instead under ``EVREG_REQUIRE_SERVICES=1`` (CI).
Playwright's own browser downloads are never used: ``executable_path`` points at Debian's build.
Screenshots go to ``tmp_path``; ``EVREG_UPDATE_SCREENSHOTS=1`` writes them to ``docs/img/``.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from servers import RegistryProcess

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


def screenshot(page: Any, path: Path, *, full: bool = False) -> None:
    """Screenshot ``page`` once it has loaded. Headless Chromium on a loaded machine sometimes
    answers ``Page.captureScreenshot`` with "Unable to capture screenshot" (no compositor frame
    yet; seen in CI right after a navigation): that one error is retried a few times, since the
    picture is an artifact for the docs, not what a test asserts."""
    page.wait_for_load_state("load")
    for attempt in range(4):
        try:
            page.screenshot(path=str(path), full_page=full)
            return
        except Exception as error:
            if "Unable to capture screenshot" not in str(error) or attempt == 3:
                raise
            page.wait_for_timeout(250 * (attempt + 1))


PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ui.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"evreg_ui_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class Registry(RegistryProcess):
    """``evreg serve`` in a child process on a SQLite file, with the example contracts
    (tests/servers.py)."""

    def __init__(self, folder: Path) -> None:
        database = f"sqlite:///{folder / 'evreg.db'}"
        super().__init__(database, folder / "serve.log", load=REPO / "contracts")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = Registry(tmp_path_factory.mktemp("registry")).start()
    try:
        yield server
    finally:
        server.stop()


def breaking_order_placed() -> dict[str, Any]:
    """contracts/order_placed.yaml with GBP dropped from ``currency``: consumers on this
    version reject events that version 1 allows."""
    document = yaml.safe_load((REPO / "contracts" / "order_placed.yaml").read_text())
    changed = copy.deepcopy(document)
    payload = changed["components"]["schemas"]["OrderPlacedPayload"]
    payload["properties"]["currency"]["enum"] = ["EUR", "USD"]
    changed["info"]["version"] = "2.0.0"
    return dict(changed)


def force_breaking_version(url: str) -> str:
    """Register the breaking version 2 of ``order_placed`` as token ``alice``: refused (409)
    under BACKWARD, then forced through with the level set to NONE (on the contract and its
    payload subject) and restored after. Returns alice's token."""
    created = httpx.post(f"{url}/api/tokens", json={"name": "alice", "role": "admin"})
    created.raise_for_status()
    token = created.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"schemaType": "ASYNCAPI", "schema": json.dumps(breaking_order_placed())}
    refused = httpx.post(f"{url}/subjects/order_placed/versions", json=body, headers=auth)
    assert refused.status_code == 409, refused.text  # what a push gets under BACKWARD
    assert "witness" in refused.json()["message"]
    subjects = ("order_placed", "orders.placed-value")
    for subject in subjects:
        httpx.put(
            f"{url}/config/{subject}", json={"compatibility": "NONE"}, headers=auth
        ).raise_for_status()
    registered = httpx.post(f"{url}/subjects/order_placed/versions", json=body, headers=auth)
    assert registered.status_code == 200, registered.text
    for subject in subjects:
        httpx.delete(f"{url}/config/{subject}", headers=auth).raise_for_status()
    return str(token)


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


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``docs/img`` with ``EVREG_UPDATE_SCREENSHOTS=1``, else a temp dir."""
    if os.environ.get("EVREG_UPDATE_SCREENSHOTS") == "1":
        folder = REPO / "docs" / "img"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")
