"""The flow map reads cleanly in a real browser (Debian's Chromium via Playwright), measured on
the drawn SVG rather than on evreg's layout numbers: no edge label lies on a curve (its own or
another's: every point of every path, at 1 px steps, stays out of every label box grown by half
the stroke), no label text is clipped by its box (the text's ``getBBox`` inside the box's) and
the whole label is drawn (``✕ orders.placed: OrderPlaced``, not ``OrderPlace``); findings show
inline code instead of backticks and the witness pretty-printed, equal to the ``/api/flow``
witness."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from web.conftest import DESKTOP, Registry

MEASURE = """() => {
  const paths = [...document.querySelectorAll('svg a.flow-edge path.flow-line')];
  const points = paths.map(p => {
    const out = [], length = p.getTotalLength();
    for (let s = 0; s <= length; s += 1) { const q = p.getPointAtLength(s); out.push([q.x, q.y]); }
    return out;
  });
  const nodes = [...document.querySelectorAll('svg a.flow-node rect')].map(r => r.getBBox());
  return [...document.querySelectorAll('svg a.flow-edge')].map(a => {
    const r = a.querySelector('rect.flow-label-box').getBBox();
    const t = a.querySelector('text.flow-label').getBBox();
    const grow = 1.5;  // half the broken edge's 2.5 px stroke, rounded up
    const hits = points.map(pts => pts.filter(([x, y]) =>
      x >= r.x - grow && x <= r.x + r.width + grow &&
      y >= r.y - grow && y <= r.y + r.height + grow).length);
    return {
      id: a.id,
      text: a.querySelector('text.flow-label').textContent,
      box: [r.x, r.y, r.width, r.height],
      glyphs: [t.x, t.y, t.width, t.height],
      hits,
      nodes: nodes.map(n => [n.x, n.y, n.width, n.height]),
    };
  });
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.fixture
def page(browser: Any, flow_registry: Registry) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, base_url=flow_registry.url)
    opened = context.new_page()
    opened.goto("/ui/flow")
    yield opened
    context.close()


def test_edge_labels_are_off_the_curves_and_not_clipped(page: Any) -> None:
    labels = page.evaluate(MEASURE)
    assert len(labels) == 4
    for label in labels:
        assert label["hits"] == [0] * len(labels), label  # no path passes through the box
        x, y, w, h = label["box"]
        gx, gy, gw, gh = label["glyphs"]
        assert gx >= x and gx + gw <= x + w, label  # the text fits its box
        assert gy >= y - 0.5 and gy + gh <= y + h + 0.5, label
        for node in label["nodes"]:
            assert not _overlap(label["box"], node), label
    boxes = [label["box"] for label in labels]
    for i, box in enumerate(boxes):
        assert not any(_overlap(box, other) for other in boxes[i + 1 :])
    assert "✕ orders.placed: OrderPlaced" in [label["text"] for label in labels]
    # the drawing is not cut off either: every label inside the SVG's own box
    size = page.locator("svg[role=group]").evaluate(
        "s => [s.width.baseVal.value, s.height.baseVal.value]"
    )
    assert all(x >= 0 and y >= 0 and x + w <= size[0] and y + h <= size[1] for x, y, w, h in boxes)


def test_findings_render_inline_code_and_a_pretty_witness(
    page: Any, flow_registry: Registry
) -> None:
    finding = page.locator("table.flow-edges-table tr.broken ul.flow-findings li").first
    text = finding.locator(".finding-text")
    assert "`" not in text.inner_text()
    assert text.inner_text().startswith("notifications expects customerEmail, orders v1 of")
    assert [c.inner_text() for c in text.locator("code").all()][:3] == [
        "customerEmail",
        "OrderPlaced",
        "orders.placed",
    ]
    shown = finding.locator(".witness pre").inner_text()
    assert shown.count("\n") >= 5  # one member per line, as the diff page shows it
    edges = httpx.get(f"{flow_registry.url}/api/flow", timeout=30).json()["edges"]
    [broken] = [e for e in edges if e["broken"]]
    assert json.loads(shown) == broken["findings"][0]["finding"]["witness"]
    # the edge's accessible name reads the same text, without backticks
    name = page.locator("svg a.flow-edge.broken").get_attribute("aria-label")
    assert "`" not in name and "expects customerEmail" in name
