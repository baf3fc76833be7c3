"""``/ui/flow`` over HTTP against a real ``evreg serve``: the SVG map has the applications and
edges of ``/api/flow`` (its JSON twin), the broken edge is marked, every link resolves, and
hostile application and channel names are escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
from web.conftest import Registry

from .conftest import push


class _Page(HTMLParser):
    """The elements of a page: (tag, attributes) in document order, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _edges(page: _Page) -> set[tuple[str, str, str, bool]]:
    return {
        (a["data-from"], a["data-to"], a["data-channel"], "broken" in a["class"].split())
        for tag, a in page.elements
        if tag == "a" and "flow-edge" in a.get("class", "").split()
    }


def test_the_map_is_the_api_flow_drawn(flow_registry: Registry) -> None:
    response = httpx.get(f"{flow_registry.url}/ui/flow")
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = _parse(response.text)
    apps = {a["data-application"] for tag, a in page.elements if "data-application" in a}
    assert apps == {"orders", "payments", "shipping", "notifications"}
    graph = httpx.get(f"{flow_registry.url}/api/flow").json()
    assert _edges(page) == {(e["from"], e["to"], e["channel"], e["broken"]) for e in graph["edges"]}
    assert ("orders", "notifications", "orders.placed", True) in _edges(page)
    assert ("orders", "payments", "orders.placed", False) in _edges(page)
    # the finding and its witness are on the page, and in the twin
    [broken] = [e for e in graph["edges"] if e["broken"]]
    assert "customerEmail" in broken["findings"][0]["text"]
    assert "notifications expects customerEmail," in "".join(page.text)  # in <code>
    assert any(a.get("href") == "/api/flow" for tag, a in page.elements if tag == "a")


def test_every_link_resolves_and_edges_point_at_messages(flow_registry: Registry) -> None:
    html = httpx.get(f"{flow_registry.url}/ui/flow").text
    page = _parse(html)
    links = {a["href"] for tag, a in page.elements if tag == "a" and a.get("href", "")}
    inner = sorted(h for h in links if h.startswith("/ui/subjects/") or h.startswith("/api/"))
    assert len(inner) >= 8
    for href in inner:
        path, _, anchor = href.partition("#")
        target = httpx.get(f"{flow_registry.url}{path}")
        assert target.status_code == 200, href
        if anchor:
            assert f'id="{anchor}"' in target.text, href
    edge = next(
        a
        for tag, a in page.elements
        if tag == "a" and a.get("data-to") == "notifications" and a.get("data-from") == "orders"
    )
    assert edge["href"] == "/ui/subjects/order_placed/versions/1#message-OrderPlaced"
    assert edge["aria-label"].startswith("BROKEN: orders sends OrderPlaced on orders.placed")


def test_the_nav_links_to_the_map(flow_registry: Registry) -> None:
    page = _parse(httpx.get(f"{flow_registry.url}/ui/").text)
    assert any(tag == "a" and a.get("href") == "/ui/flow" for tag, a in page.elements)
    current = _parse(httpx.get(f"{flow_registry.url}/ui/flow").text)
    [nav] = [a for tag, a in current.elements if tag == "a" and a.get("href") == "/ui/flow"]
    assert nav.get("aria-current") == "page"


HOSTILE_APP = '<script>alert("app")</script>'
HOSTILE_CHANNEL = '"><img src=x onerror=alert(1)>'


def _hostile_contract() -> str:
    return f"""asyncapi: 3.0.0
info:
  title: '{HOSTILE_APP}'
  version: 1.0.0
channels:
  in:
    address: orders.placed
    messages:
      OrderPlaced:
        payload: {{type: object}}
  out:
    address: '{HOSTILE_CHANNEL}'
    messages:
      '</text><script>x()</script>':
        payload: {{type: string}}
operations:
  read:
    action: receive
    channel: {{$ref: '#/channels/in'}}
  write:
    action: send
    channel: {{$ref: '#/channels/out'}}
"""


def _listener() -> str:
    """An application that receives on the hostile channel: an edge drawn with its name."""
    return f"""asyncapi: 3.0.0
info: {{title: listener, version: 1.0.0}}
channels:
  in:
    address: '{HOSTILE_CHANNEL}'
    messages:
      M:
        payload: {{type: object}}
operations:
  read:
    action: receive
    channel: {{$ref: '#/channels/in'}}
"""


def test_hostile_names_are_escaped(flow_registry: Registry) -> None:
    # its own registry state: a module fixture, so run it last in this file
    push(flow_registry.url, "hostile", _hostile_contract())
    push(flow_registry.url, "listener", _listener())
    response = httpx.get(f"{flow_registry.url}/ui/flow")
    assert response.status_code == 200
    html = response.text
    assert HOSTILE_APP not in html and HOSTILE_CHANNEL not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#34;app&#34;)&lt;/script&gt;" in html
    page = _parse(html)
    scripts = [a for tag, a in page.elements if tag == "script"]
    assert scripts == [{"src": "/ui/static/ui.js", "defer": ""}]
    apps = {a["data-application"] for tag, a in page.elements if "data-application" in a}
    assert HOSTILE_APP in apps  # the parser unescapes attributes: the name is intact
    assert ("orders", HOSTILE_APP, "orders.placed", False) in _edges(page)
    assert (HOSTILE_APP, "listener", HOSTILE_CHANNEL, True) in _edges(page)  # string vs object
    assert "&lt;/text&gt;&lt;script&gt;x()&lt;/script&gt;" in html  # the message name
    node = next(a for tag, a in page.elements if a.get("data-application") == HOSTILE_APP)
    assert node["href"] == "/ui/subjects/hostile/versions/1"
