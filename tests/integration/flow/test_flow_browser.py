"""``/ui/flow`` in a real browser (Debian's Chromium, headless, via Playwright) against a real
``evreg serve --load contracts/`` plus a ``notifications`` application that cannot read
``orders.placed``: the applications are drawn, the broken edge is marked, an edge is followed
to the message on the contract version page, by mouse and by keyboard, at 1280 px and at
phone width. ``EVREG_UPDATE_SCREENSHOTS=1`` writes the screenshot to ``docs/img/flow.png``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web.conftest import DESKTOP, PHONE, REPO, Registry, screenshot

APPLICATIONS = {"orders", "payments", "shipping", "notifications"}


@pytest.fixture
def console() -> list[str]:
    return []


@pytest.fixture
def page(browser: Any, flow_registry: Registry, console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, base_url=flow_registry.url)
    opened = context.new_page()
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: console.append(str(e)))
    yield opened
    context.close()


def _screenshot_folder(tmp_path: Path) -> Path:
    if os.environ.get("EVREG_UPDATE_SCREENSHOTS") == "1":
        return REPO / "docs" / "img"
    return tmp_path


def test_the_map_shows_the_applications_and_marks_the_broken_edge(
    page: Any, console: list[str], tmp_path: Path
) -> None:
    page.goto("/ui/flow")
    nodes = page.locator("svg a.flow-node")
    assert {nodes.nth(i).get_attribute("data-application") for i in range(nodes.count())} == (
        APPLICATIONS
    )
    for name in APPLICATIONS:
        assert page.locator(f'svg a.flow-node[data-application="{name}"]').is_visible()
    broken = page.locator("svg a.flow-edge.broken")
    assert broken.count() == 1
    assert broken.get_attribute("data-from") == "orders"
    assert broken.get_attribute("data-to") == "notifications"
    assert broken.is_visible()
    # drawn differently: red and dashed, where a good edge is neither
    style = broken.locator("path").evaluate(
        "p => [getComputedStyle(p).stroke, getComputedStyle(p).strokeDasharray]"
    )
    good = page.locator('svg a.flow-edge:not(.broken)[data-to="payments"] path').evaluate(
        "p => [getComputedStyle(p).stroke, getComputedStyle(p).strokeDasharray]"
    )
    assert style[0] != good[0] and style[1] not in ("none", "") and good[1] in ("none", "")
    assert page.locator("table.flow-edges-table tr.broken").count() == 1
    assert "notifications expects customerEmail," in page.locator("tr.broken").inner_text()
    # the whole map fits at 1280 px: no horizontal scrolling inside its frame
    assert page.locator(".flow-scroll").evaluate("e => e.scrollWidth <= e.clientWidth")
    screenshot(page, _screenshot_folder(tmp_path) / "flow.png", full=True)
    assert console == []


def test_click_an_edge_to_the_message_on_the_contract_version_page(page: Any) -> None:
    page.goto("/ui/flow")
    page.locator('svg a.flow-edge[data-to="payments"] .flow-label').click()
    page.wait_for_url("**/ui/subjects/order_placed/versions/1#message-OrderPlaced")
    assert page.locator("h1").inner_text().startswith("order_placed")
    message = page.locator("#message-OrderPlaced")
    assert message.is_visible()
    assert "OrderPlaced" in message.locator("h3").inner_text()
    # and back: a node leads to its contract version
    page.go_back()
    page.locator('svg a.flow-node[data-application="notifications"]').click()
    page.wait_for_url("**/ui/subjects/notifications/versions/1")
    assert "notifications" in page.locator("h1").inner_text()


def test_keyboard_reaches_the_broken_edge_and_follows_it(page: Any) -> None:
    page.goto("/ui/flow")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('broken')"):
            break
    else:
        pytest.fail("the broken edge is not reachable with Tab")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith("BROKEN: orders sends OrderPlaced on orders.placed to notifications")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/subjects/order_placed/versions/1#message-OrderPlaced")


def test_phone_width(browser: Any, flow_registry: Registry, console: list[str]) -> None:
    context = browser.new_context(viewport=PHONE, base_url=flow_registry.url)
    try:
        phone = context.new_page()
        phone.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        phone.goto("/ui/flow")
        # the page itself does not scroll sideways; the map scrolls inside its frame
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert phone.locator(".flow-scroll").evaluate("e => e.scrollWidth > e.clientWidth")
        # the edges table is one card per row: the finding is readable at full width
        row = phone.locator("table.flow-edges-table tr.broken")
        box = row.bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
        assert row.locator("td[data-label='Status']").bounding_box()["width"] > 300
        phone.locator("tr.broken td[data-label='Message'] a").first.click()
        phone.wait_for_url("**/ui/subjects/order_placed/versions/1#message-OrderPlaced")
        assert console == []
    finally:
        context.close()
