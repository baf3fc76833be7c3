"""The diff page's side-by-side view in a real browser (Debian's Chromium via Playwright): where
unchanged lines are folded a visible marker says how many (the numbers jump by exactly that
many), and a line that differs only by a trailing comma (``"USD",`` before ``"GBP"`` was
removed, ``"USD"`` after) is not highlighted as changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import DESKTOP, Registry, force_breaking_version

ROWS = """() => [...document.querySelectorAll('table.diff tbody tr')].map(tr => {
  const cells = [...tr.querySelectorAll('td')];
  const box = tr.getBoundingClientRect();
  return {
    fold: tr.classList.contains('fold'),
    text: tr.innerText.trim(),
    visible: box.width > 0 && box.height > 0 && box.left >= 0,
    old: cells.length === 4 ? cells[0].innerText.trim() : null,
    oldText: cells.length === 4 ? cells[1].innerText : null,
    oldMarked: cells.length === 4 && cells[1].classList.contains('del'),
    new: cells.length === 4 ? cells[2].innerText.trim() : null,
    newText: cells.length === 4 ? cells[3].innerText : null,
    newMarked: cells.length === 4 && cells[3].classList.contains('ins'),
  };
})"""


@pytest.fixture(scope="module")
def page(browser: Any, registry: Registry) -> Iterator[Any]:
    force_breaking_version(registry.url)  # v2 drops GBP from the currency enum
    context = browser.new_context(viewport=DESKTOP, base_url=registry.url)
    opened = context.new_page()
    opened.goto("/ui/subjects/order_placed/diff?from=1&to=2")
    yield opened
    context.close()


def test_folded_lines_have_a_visible_marker(page: Any) -> None:
    rows = page.evaluate(ROWS)
    folds = [r for r in rows if r["fold"]]
    assert folds, "nothing folded"
    assert all(r["visible"] for r in rows), [r for r in rows if not r["visible"]]
    last: int | None = None
    pending: int | None = None
    for row in rows:
        if row["fold"]:
            words = row["text"].split()
            assert words[2:4] in (["unchanged", "lines"], ["unchanged", "line"]), row
            pending = int(words[1])
            continue
        if not row["old"]:
            continue
        number = int(row["old"])
        expected = (last or 0) + 1 + (pending or 0)
        assert number == expected, (row, last, pending)  # a jump only where a marker says so
        last, pending = number, None


def test_a_trailing_comma_alone_is_not_a_change(page: Any) -> None:
    rows = [r for r in page.evaluate(ROWS) if not r["fold"]]
    [usd] = [r for r in rows if r["oldText"] and r["oldText"].strip() == '"USD",']
    assert usd["newText"].strip() == '"USD"'
    assert not usd["oldMarked"] and not usd["newMarked"]
    [gbp] = [r for r in rows if r["oldText"] and r["oldText"].strip() == '"GBP"']
    assert gbp["oldMarked"] and not gbp["newText"]  # the real change: GBP removed
    changed = [r for r in rows if r["oldMarked"] or r["newMarked"]]
    assert {(r["oldText"] or "").strip() for r in changed} == {'"GBP"', '"version": "1.0.0"'}
