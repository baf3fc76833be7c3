"""The flow map's layout (:mod:`evreg.registry.web.flow_svg`) on the repository's example
contracts and on graphs built to be awkward: a cycle, parallel channels, a skipped layer."""

from __future__ import annotations

from pathlib import Path

from evreg.contracts import Policy, load_contract
from evreg.registry import flow
from evreg.registry.web import flow_svg

REPO = Path(__file__).parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "flow"


def _endpoints(*files: Path) -> list[flow.Endpoint]:
    out: list[flow.Endpoint] = []
    for number, path in enumerate(files, 1):
        out += flow.endpoints(load_contract(path.read_text(), name=path.name), path.stem, number)
    return out


def _map(found: list[flow.Endpoint]) -> flow.FlowMap:
    return flow.FlowMap(tuple(found), flow.edge_findings(found, lambda _: Policy.STRICT, {}))


def _app(name: str, sends: list[str], receives: list[str]) -> str:
    """A minimal AsyncAPI 3.0 contract for application ``name``."""
    channels, operations = [], []
    for i, address in enumerate(sends + receives):
        action = "send" if i < len(sends) else "receive"
        channels.append(
            f"  c{i}:\n    address: {address}\n    messages:\n      M{i}:\n"
            f"        payload: {{type: object}}\n"
        )
        operations.append(
            f"  o{i}:\n    action: {action}\n    channel: {{$ref: '#/channels/c{i}'}}\n"
        )
    return (
        f"asyncapi: 3.0.0\ninfo: {{title: {name}, version: 1.0.0}}\n"
        f"channels:\n{''.join(channels)}operations:\n{''.join(operations)}"
    )


def _synthetic(tmp_path: Path, apps: dict[str, tuple[list[str], list[str]]]) -> flow.FlowMap:
    files = []
    for name, (sends, receives) in apps.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(_app(name, sends, receives))
        files.append(path)
    return _map(_endpoints(*files))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _check_geometry(drawing: flow_svg.Drawing) -> None:
    boxes = [(n.x, n.y, drawing.node_w, drawing.node_h) for n in drawing.nodes]
    labels = [(a.label_x, a.label_y, a.label_w, drawing.label_h) for a in drawing.arrows]
    for i, box in enumerate(boxes + labels):
        x, y, w, h = box
        assert x >= 0 and y >= 0, box
        assert x + w <= drawing.width and y + h <= drawing.height, (box, drawing.width)
        for other in (boxes + labels)[i + 1 :]:
            assert not _overlap(box, other), (box, other)


def test_the_example_contracts_senders_left_of_receivers() -> None:
    found = _endpoints(*sorted((REPO / "contracts").glob("*.yaml")))
    drawing = flow_svg.layout(_map(found))
    nodes = {n.name: n for n in drawing.nodes}
    assert set(nodes) >= {"orders", "payments", "shipping"}
    assert nodes["orders"].x < nodes["payments"].x
    assert nodes["orders"].x < nodes["shipping"].x
    assert {(a.edge.sender.application, a.edge.receiver.application) for a in drawing.arrows} == {
        ("orders", "payments"),
        ("orders", "shipping"),
    }
    assert not any(a.broken for a in drawing.arrows)
    _check_geometry(drawing)
    # every node links to its contract version page, every edge to the sender's message
    assert nodes["orders"].href == "/ui/subjects/order_placed/versions/1"
    [edge] = [a for a in drawing.arrows if a.edge.receiver.application == "payments"]
    assert edge.href.startswith("/ui/subjects/order_placed/versions/1#message-")


def test_a_broken_edge_is_marked_with_its_findings() -> None:
    found = _endpoints(
        REPO / "contracts" / "order_placed.yaml",
        REPO / "contracts" / "shipment_events.yaml",
        FIXTURES / "notifications.asyncapi.yaml",
    )
    drawing = flow_svg.layout(_map(found))
    broken = [a for a in drawing.arrows if a.broken]
    assert [(a.edge.sender.application, a.edge.receiver.application) for a in broken] == [
        ("orders", "notifications")
    ]
    assert broken[0].label.startswith("✕ ")
    assert "customerEmail" in broken[0].title
    assert [n.name for n in drawing.nodes if n.broken] == ["notifications"]
    # orders -> notifications skips the shipping layer: it arcs above every node
    top = min(n.y for n in drawing.nodes)
    assert broken[0].label_y + drawing.label_h <= top
    _check_geometry(drawing)
    rows = flow_svg.rows(drawing)
    [row] = [r for r in rows if r.edge.broken]
    assert row.message == "OrderPlaced"
    assert row.receiver_href == "/ui/subjects/notifications.asyncapi/versions/3#message-OrderPlaced"


def test_a_cycle_parallel_channels_and_a_lone_application(tmp_path: Path) -> None:
    graph = _synthetic(
        tmp_path,
        {
            "a": (["a.one", "a.two", "a.three"], ["c.back"]),
            "b": (["b.out"], ["a.one", "a.two", "a.three"]),
            "c": (["c.back"], ["b.out"]),
            "lonely": (["nobody.listens"], []),
        },
    )
    drawing = flow_svg.layout(graph)
    nodes = {n.name: n for n in drawing.nodes}
    assert nodes["a"].x < nodes["b"].x < nodes["c"].x
    assert "lonely" in nodes
    assert len(drawing.arrows) == 5
    back = next(a for a in drawing.arrows if a.edge.sender.application == "c")
    assert back.label_y > max(n.y for n in drawing.nodes)  # the loop runs below the nodes
    parallel = [a.d for a in drawing.arrows if a.edge.receiver.application == "b"]
    assert len(set(parallel)) == 3  # three channels, three lanes
    _check_geometry(drawing)


def test_hostile_names_stay_plain_strings(tmp_path: Path) -> None:
    hostile = '"<script>alert(1)</script>'
    path = tmp_path / "evil.yaml"
    path.write_text(
        _app("x", [], ["orders.placed"]).replace("title: x", "title: 'x</text><script>'")
    )
    found = _endpoints(REPO / "contracts" / "order_placed.yaml", path)
    drawing = flow_svg.layout(_map(found))
    assert {n.name for n in drawing.nodes} == {"orders", "x</text><script>"}
    assert flow_svg.version_url(hostile, 2) == (
        "/ui/subjects/%22%3Cscript%3Ealert%281%29%3C%2Fscript%3E/versions/2"
    )
