"""In a real browser, contract text with markup in it stays text: a ``<script>`` in a
description is shown, never run, and the Content-Security-Policy reports no violation."""

from __future__ import annotations

import json
from typing import Any

import httpx

from .conftest import DESKTOP, Registry

PAYLOAD = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def test_a_script_in_a_contract_renders_as_text(browser: Any, registry: Registry) -> None:
    schema = {
        "title": PAYLOAD,
        "description": PAYLOAD,
        "type": "object",
        "properties": {"note": {"type": "string", "description": PAYLOAD}},
    }
    answer = httpx.post(
        f"{registry.url}/subjects/xss-value/versions",
        json={"schemaType": "JSON", "schema": json.dumps(schema)},
    )
    assert answer.status_code == 200, answer.text
    context = browser.new_context(viewport=DESKTOP, base_url=registry.url)
    page = context.new_page()
    dialogs: list[str] = []
    problems: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        for url in ("/ui/?q=pwned", "/ui/subjects/xss-value", "/ui/subjects/xss-value/versions/1"):
            page.goto(url)
            assert page.evaluate("window.__pwned") is None, url
        note = page.locator("table.props tr", has=page.locator("th", has_text="note"))
        assert PAYLOAD in note.inner_text()
        assert PAYLOAD in page.locator("h1").inner_text()
        assert page.locator("script").count() == 1  # ui.js only
        assert page.locator("main img").count() == 0
    finally:
        context.close()
    assert dialogs == [] and problems == []
