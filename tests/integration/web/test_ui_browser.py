"""The web UI in a real browser (Debian's Chromium, headless, via Playwright) against a real
``evreg serve --load contracts/``: a new user finds the ``OrderPlaced`` message, reads its schema,
and sees why a breaking change to it is breaking (the finding and its witness)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import DESKTOP, PHONE, Registry, force_breaking_version, screenshot


@pytest.fixture(scope="module")
def prepared(registry: Registry) -> Registry:
    force_breaking_version(registry.url)
    return registry


@pytest.fixture(scope="module")
def console() -> list[str]:
    """Console errors (CSP violations among them) and uncaught exceptions of ``page``."""
    return []


@pytest.fixture(autouse=True)
def quiet_console(console: list[str]) -> Iterator[None]:
    """After each test: no console error (CSP violations among them) and no uncaught exception
    on the pages it opened. Tests do not rely on the page a previous one left: with
    ``--dist worksteal`` a test may run on another worker, with a fresh page."""
    yield
    assert console == [], console


@pytest.fixture(scope="module")
def page(browser: Any, prepared: Registry, console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, base_url=prepared.url)
    opened = context.new_page()
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: console.append(str(e)))
    yield opened
    context.close()


def _shoot(page: Any, folder: Path, name: str, *, full: bool = False) -> None:
    screenshot(page, folder / name, full=full)
    assert (folder / name).stat().st_size > 10_000


def test_1_search_finds_the_order_placed_message(page: Any, screenshots: Path) -> None:
    page.goto("/ui/")
    assert page.title() == "Subjects · evreg"
    page.get_by_label("Name, title, message name, channel address or description").fill(
        "OrderPlaced"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ui/\?q=OrderPlaced"))
    rows = page.locator("table.subjects tbody tr")
    names = [rows.nth(i).locator("th a").inner_text() for i in range(rows.count())]
    assert "order_placed" in names
    assert "orders.placed-value" in names
    assert "subjects match" in page.get_by_role("status").inner_text()
    row = rows.filter(has=page.get_by_role("link", name="order_placed", exact=True))
    assert "AsyncAPI" in row.inner_text()
    assert "v2" in row.inner_text()
    assert "BACKWARD" in row.inner_text()
    _shoot(page, screenshots, "ui-subjects.png")


def test_2_open_the_subject(page: Any, screenshots: Path) -> None:
    page.goto("/ui/?q=OrderPlaced")  # (each test starts from its page: xdist may move it)
    page.get_by_role("link", name="order_placed", exact=True).click()
    page.wait_for_url("**/ui/subjects/order_placed")
    assert page.locator("h1").inner_text().startswith("order_placed")
    timeline = page.locator("ol.timeline li")
    assert timeline.count() == 2
    newest = timeline.nth(0).inner_text()
    assert "v2" in newest and "by token:alice" in newest
    assert "by evreg serve --load" in timeline.nth(1).inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "BACKWARD" in facts and "STRICT" in facts
    payloads = page.locator("section", has=page.get_by_role("heading", name="Payload subjects"))
    assert payloads.get_by_role("link", name="orders.placed-value").is_visible()
    _shoot(page, screenshots, "ui-subject.png")


def test_3_payload_subject_links_back(page: Any, prepared: Registry) -> None:
    page.goto("/ui/subjects/orders.placed-value")
    origins = page.locator("section", has=page.get_by_role("heading", name="Derived from"))
    assert origins.get_by_role("link", name="order_placed v1").count() == 1
    assert origins.get_by_role("link", name="order_placed v2").count() == 1


def test_4_open_a_version_and_read_the_schema(page: Any, screenshots: Path) -> None:
    page.goto("/ui/subjects/order_placed")
    page.get_by_role("link", name="v1", exact=True).first.click()
    page.wait_for_url("**/ui/subjects/order_placed/versions/1")
    message = page.locator("article.message", has=page.get_by_role("heading", name="OrderPlaced"))
    payload = message.locator("table.props").first
    currency = payload.locator("tr", has=page.locator("th", has_text=re.compile(r"^currency$")))
    text = currency.inner_text()
    assert "string" in text and "required" in text and '"EUR", "USD", "GBP"' in text
    nested = payload.locator("th", has_text="shippingAddress.country")
    assert nested.count() == 1
    headers = message.locator("table.props").nth(1)
    assert "correlationId" in headers.inner_text()
    operations = page.locator("section", has=page.get_by_role("heading", name="Operations"))
    assert "sendOrderPlaced" in operations.inner_text() and "send" in operations.inner_text()
    channels = page.locator("section", has=page.get_by_role("heading", name="Channels"))
    assert "orders.placed" in channels.inner_text()
    examples = page.locator("section", has=page.get_by_role("heading", name="Examples"))
    assert "BOOK-0042" in examples.inner_text()
    document = page.locator("#document-text")
    assert document.locator("span.j-key").count() > 50  # highlighted
    assert json.loads(document.inner_text())["info"]["title"] == "orders"
    # the copy button copies the document
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    button = page.locator("button.copy[data-copy='document-text']")
    button.click()
    page.wait_for_function("b => b.textContent !== 'Copy'", arg=button.element_handle())
    assert button.inner_text() in ("Copied", "Copy failed")
    # raw schema and Confluent JSON links work
    for name in ("Raw schema", "Confluent API JSON"):
        href = page.get_by_role("link", name=name).get_attribute("href")
        answer = page.request.get(href)
        assert answer.ok, href
        assert answer.json()
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, screenshots, "ui-version.png")


def test_5_the_diff_shows_the_breaking_finding_and_its_witness(
    page: Any, screenshots: Path
) -> None:
    page.goto("/ui/subjects/order_placed/versions/2")
    page.get_by_role("link", name="Diff with v1").click()
    page.wait_for_url("**/ui/subjects/order_placed/diff?from=1&to=2")
    verdict = page.locator("#verdict").inner_text()
    assert "Incompatible" in verdict and "BACKWARD" in verdict
    breaking = page.locator("li.finding.breaking")
    assert breaking.count() >= 1
    finding = breaking.first.inner_text()
    assert "Breaking" in finding
    assert "currency" in finding
    witness = json.loads(breaking.first.locator(".witness pre").inner_text())
    assert witness["currency"] == "GBP" or "GBP" in json.dumps(witness)
    changed = page.locator("table.diff td.del")
    assert changed.count() >= 1 and "GBP" in " ".join(changed.all_inner_texts())
    _shoot(page, screenshots, "ui-diff.png")
    # the twin JSON says the same
    twin = page.get_by_role("link", name="This page as JSON").get_attribute("href")
    report = page.request.get(twin).json()
    assert report["is_compatible"] is False
    assert any(f["breaking"] and f.get("witness") for f in report["findings"])


def test_6_the_diff_form_compares_other_versions(page: Any) -> None:
    page.goto("/ui/subjects/order_placed/diff?from=1&to=2")
    page.get_by_label("From").select_option("2")
    page.get_by_label("To").select_option("2")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"from=2&to=2"))
    assert "Compatible" in page.locator("#verdict").inner_text()


def test_7_audit_log_filters(page: Any, screenshots: Path) -> None:
    page.goto("/ui/audit")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 10
    page.get_by_label("Actor").fill("alice")
    page.get_by_label("Action").select_option("schema")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"actor=alice"))
    texts = rows.all_inner_texts()
    assert texts and all("alice" in t and "schema.register" in t for t in texts)
    assert any("order_placed" in t for t in texts)
    page.get_by_label("Actor").fill("")
    page.get_by_label("Action").select_option("")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"actor=&"))
    assert rows.count() >= 10
    _shoot(page, screenshots, "ui-audit.png")


def test_8_keyboard_only(page: Any) -> None:
    page.goto("/ui/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the search box is reachable and submits with Enter
    page.locator("#q").focus()
    page.keyboard.type("orders.placed")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=orders.placed"))
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "order_placed":
            break
    else:
        pytest.fail("the subject link is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/subjects/order_placed")


def test_9_phone_width(browser: Any, prepared: Registry, screenshots: Path) -> None:
    context = browser.new_context(viewport=PHONE, base_url=prepared.url, is_mobile=True)
    phone = context.new_page()
    try:
        for url in (
            "/ui/?q=OrderPlaced",
            "/ui/subjects/order_placed",
            "/ui/subjects/order_placed/versions/1",
            "/ui/subjects/order_placed/diff?from=1&to=2",
            "/ui/audit",
        ):
            phone.goto(url)
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{url} scrolls sideways by {overflow}px at phone width"
        phone.goto("/ui/subjects/order_placed/diff?from=1&to=2")
        _shoot(phone, screenshots, "ui-phone-diff.png")
    finally:
        context.close()


def test_10_content_security_policy_holds(prepared: Registry) -> None:
    answer = httpx.get(f"{prepared.url}/ui/subjects/order_placed/versions/1")
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    # (that no page broke it, no CSP violation and no script error, `quiet_console` checks
    # after every test of the page)
