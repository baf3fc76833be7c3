"""The event-flow map as a drawing: a layered layout of the applications (nodes) and the
channels between them (labelled edges), computed in Python for ``flow.html`` to draw as SVG.

Layers follow the direction of the events (a sender left of its receivers): cycles are broken
by a depth-first search, each application goes to the layer after its longest chain of
senders, and a few barycenter sweeps order each layer to keep edges from crossing. An edge
between neighbouring layers is a curve from the sender's right side to the receiver's left
side; an edge that goes back (a cycle) or stays in its layer loops below the nodes. Labels that
would overlap are moved down until they do not.

Only geometry and plain strings come out of here; the template escapes every name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from evreg.registry.flow import Edge, Endpoint, FlowMap, message_pairs
from evreg.registry.web import flow_labels

NODE_W, NODE_H = 168.0, 56.0
GAP_Y = 48.0
MARGIN = 24.0
FONT = 12.0  # px: labels are drawn at this size
LABEL_H = 18.0
MAX_LABEL = 40  # characters, then an ellipsis (the full text is in the <title>)
MAX_NODE = 22


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def version_url(subject: str, version: int | None, anchor: str = "") -> str:
    """The contract version page (the subject page when the version is unknown)."""
    base = f"/ui/subjects/{quote(subject, safe='')}"
    if version is not None:
        base += f"/versions/{version}"
    return base + (f"#{anchor}" if anchor else "")


def message_anchor(key: str) -> str:
    """The id of a message's section on the version page (``message-{{ m.key|path }}``)."""
    return "message-" + quote(key, safe="")


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    label: str
    x: float
    y: float
    href: str
    contracts: tuple[tuple[str, int | None], ...]
    broken: bool  # receives on a broken edge

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2

    @property
    def cy(self) -> float:
        return self.y + NODE_H / 2


@dataclass(frozen=True, slots=True)
class Arrow:
    id: str
    edge: Edge
    d: str  # the SVG path
    label: str
    title: str  # the full description (tooltip and accessible name)
    href: str
    label_x: float  # the label box's left, top and width
    label_y: float
    label_w: float

    @property
    def broken(self) -> bool:
        return self.edge.broken


@dataclass(frozen=True, slots=True)
class Drawing:
    width: float
    height: float
    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]
    node_w: float = NODE_W
    node_h: float = NODE_H
    label_h: float = LABEL_H


@dataclass(frozen=True, slots=True)
class Row:
    """One message on one edge, for the table under the map."""

    edge: Edge
    arrow_id: str
    message: str
    sender_href: str  # the sender's contract version page at the message
    receiver_href: str  # the receiver's, at the message it reads it as
    channel_href: str  # the sender's version page at its channels


# ---------------------------------------------------------------- layering


def _layers(names: Sequence[str], pairs: set[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layers over the graph with its back edges (found by a DFS) left out."""
    succ: dict[str, list[str]] = {n: [] for n in names}
    for a, b in sorted(pairs):
        succ[a].append(b)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    forward: set[tuple[str, str]] = set()

    def visit(start: str) -> None:
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, i = stack.pop()
            if i < len(succ[node]):
                stack.append((node, i + 1))
                nxt = succ[node][i]
                if state.get(nxt) == 1:
                    continue  # a back edge: it closes a cycle
                forward.add((node, nxt))
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2

    for name in names:
        if name not in state:
            visit(name)
    layer = {n: 0 for n in names}
    for _ in names:  # relax |V| times: enough for a DAG's longest paths
        changed = False
        for a, b in forward:
            if layer[b] < layer[a] + 1:
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    return layer


def _order(layer: dict[str, int], pairs: set[tuple[str, str]]) -> list[list[str]]:
    """Each layer's nodes, ordered by a few barycenter sweeps (names break ties)."""
    depth = max(layer.values(), default=-1) + 1
    rows = [sorted(n for n in layer if layer[n] == i) for i in range(depth)]
    preds: dict[str, list[str]] = {n: [] for n in layer}
    succs: dict[str, list[str]] = {n: [] for n in layer}
    for a, b in pairs:
        succs[a].append(b)
        preds[b].append(a)

    def sweep(indices: range, neighbours: dict[str, list[str]]) -> None:
        for i in indices:
            position = {n: k for row in rows for k, n in enumerate(row)}

            def centre(name: str, position: dict[str, int] = position) -> tuple[float, str]:
                near = [position[m] for m in neighbours[name] if m in position]
                return (sum(near) / len(near) if near else float(position[name]), name)

            rows[i].sort(key=centre)

    for _ in range(4):
        sweep(range(1, depth), preds)
        sweep(range(depth - 2, -1, -1), succs)
    return rows


# ---------------------------------------------------------------- geometry


Point = flow_labels.Point


def _fmt(*points: Point) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _edge_label(edge: Edge) -> str:
    return f"{edge.sender.address}: {', '.join(edge.sender.message_names)}"


def _edge_title(edge: Edge) -> str:
    head = (
        f"{edge.sender.application} sends {', '.join(edge.sender.message_names)} on "
        f"{edge.sender.address} to {edge.receiver.application}"
    )
    if not edge.broken:
        return head
    return f"BROKEN: {head}. " + " ".join(f.text.replace("`", "") for f in edge.findings)


def _first_contract(endpoints: Sequence[Endpoint], name: str) -> tuple[str, int | None]:
    return next((e.subject, e.version) for e in endpoints if e.application == name)


def layout(found: FlowMap) -> Drawing:
    """Place every application and edge of the map."""
    edges = found.links()
    names = sorted({e.application for e in found.endpoints})
    pairs = {(e.sender.application, e.receiver.application) for e in edges}
    layer = _layers(names, pairs)
    rows = _order(layer, pairs)
    longest = max((len(short(_edge_label(e), MAX_LABEL)) for e in edges), default=0)
    gap_x = min(340.0, max(200.0, longest * flow_labels.CHAR_W + 48))
    tallest = max((len(row) for row in rows), default=0)
    column_h = tallest * NODE_H + max(tallest - 1, 0) * GAP_Y
    broken_to = {e.receiver.application for e in edges if e.broken}
    # edges that skip a layer arc over the nodes, each at its own height in a band on top
    long_edges = [
        e for e in edges if layer[e.receiver.application] - layer[e.sender.application] > 1
    ]
    band = MARGIN + LABEL_H * 2 + len(long_edges) * (LABEL_H + 6)
    nodes: dict[str, Node] = {}
    for i, row in enumerate(rows):
        height = len(row) * NODE_H + max(len(row) - 1, 0) * GAP_Y
        top = band + (column_h - height) / 2
        for k, name in enumerate(row):
            contracts = tuple(
                dict.fromkeys(
                    (e.subject, e.version) for e in found.endpoints if e.application == name
                )
            )
            subject, version = _first_contract(found.endpoints, name)
            nodes[name] = Node(
                name=name,
                label=short(name, MAX_NODE),
                x=MARGIN + i * (NODE_W + gap_x),
                y=top + k * (NODE_H + GAP_Y),
                href=version_url(subject, version),
                contracts=contracts,
                broken=name in broken_to,
            )
    bottom = band + column_h
    width = MARGIN * 2 + len(rows) * NODE_W + max(len(rows) - 1, 0) * gap_x

    # parallel edges between one pair (several channels) get their own lane
    lanes: dict[tuple[str, str], int] = {}
    counts: dict[tuple[str, str], int] = {}
    for e in edges:
        counts[(e.sender.application, e.receiver.application)] = (
            counts.get((e.sender.application, e.receiver.application), 0) + 1
        )
    curves: list[flow_labels.Curve] = []
    under: list[bool] = []
    loops = 0
    for edge in edges:
        a, b = nodes[edge.sender.application], nodes[edge.receiver.application]
        pair = (a.name, b.name)
        lane = lanes.get(pair, 0)
        lanes[pair] = lane + 1
        spread = (lane - (counts[pair] - 1) / 2) * 10.0
        if layer[b.name] - layer[a.name] > 1:  # over the layers between
            p0 = (a.x + NODE_W, a.cy + spread)
            p3 = (b.x - 6, b.cy + spread)
            apex = MARGIN + LABEL_H * 1.5 + long_edges.index(edge) * (LABEL_H + 6)
            high = (8 * apex - p0[1] - p3[1]) / 6  # puts the curve's midpoint at the apex
            p1, p2 = (p0[0] + 48, high), (p3[0] - 48, high)
        elif layer[b.name] > layer[a.name]:
            p0 = (a.x + NODE_W, a.cy + spread)
            p3 = (b.x - 6, b.cy + spread)
            mid_x = (p0[0] + p3[0]) / 2
            p1, p2 = (mid_x, p0[1]), (mid_x, p3[1])
        else:  # back or sideways: loop below
            loops += 1
            drop = 40.0 + 22.0 * loops
            p0 = (a.cx + spread, a.y + NODE_H)
            p3 = (b.cx + spread + (8 if a is not b else 24), b.y + NODE_H + 6)
            low = max(a.y, b.y) + NODE_H + drop
            p1, p2 = (p0[0], low), (p3[0], low)
        curves.append((p0, p1, p2, p3))
        under.append(layer[b.name] <= layer[a.name])
    labels = [("✕ " if e.broken else "") + short(_edge_label(e), MAX_LABEL) for e in edges]
    widths = [flow_labels.label_width(label) for label in labels]
    boxes = [(n.x, n.y, NODE_W, NODE_H) for n in nodes.values()]
    corners = flow_labels.place(curves, widths, LABEL_H, boxes, under)
    arrows: list[Arrow] = []
    for n, (edge, curve, label, w, (lx, ly)) in enumerate(
        zip(edges, curves, labels, widths, corners, strict=True)
    ):
        p0, p1, p2, p3 = curve
        bottom = max(bottom, ly + LABEL_H, p1[1], p2[1])
        width = max(width, lx + w + MARGIN)
        first = edge.sender.messages[0].key if edge.sender.messages else ""
        arrows.append(
            Arrow(
                id=f"edge-{n + 1}",
                edge=edge,
                d=f"M {_fmt(p0)} C {_fmt(p1, p2, p3)}",
                label=label,
                title=_edge_title(edge),
                href=version_url(
                    edge.sender.subject,
                    edge.sender.version,
                    message_anchor(first) if first else "channels",
                ),
                label_x=lx,
                label_y=ly,
                label_w=w,
            )
        )
    left = min([0.0] + [x for x, _ in corners])
    top = min([MARGIN / 2] + [y for _, y in corners])
    dx = -left + MARGIN / 2 if left < 0 else 0.0  # a label left of the drawing: shift right
    dy = MARGIN / 2 - top  # a label above the drawing: shift down
    if dx or dy:
        width += dx
        bottom += dy
        nodes = {k: _shift_node(v, dx, dy) for k, v in nodes.items()}
        arrows = [_shift_arrow(arrow, dx, dy) for arrow in arrows]
    return Drawing(
        width=round(width, 1),
        height=round(bottom + MARGIN, 1),
        nodes=tuple(nodes[n] for n in names),
        arrows=tuple(arrows),
    )


def _shift_node(node: Node, dx: float, dy: float) -> Node:
    return Node(
        node.name, node.label, node.x + dx, node.y + dy, node.href, node.contracts, node.broken
    )


def _shift_arrow(arrow: Arrow, dx: float, dy: float) -> Arrow:
    parts = []
    for token in arrow.d.split(" "):
        if "," in token:
            x, y = token.split(",")
            token = f"{float(x) + dx:.1f},{float(y) + dy:.1f}"
        parts.append(token)
    return Arrow(
        arrow.id,
        arrow.edge,
        " ".join(parts),
        arrow.label,
        arrow.title,
        arrow.href,
        arrow.label_x + dx,
        arrow.label_y + dy,
        arrow.label_w,
    )


def rows(drawing: Drawing) -> list[Row]:
    """One row per message on each edge, with links to both contract versions."""
    out: list[Row] = []
    for arrow in drawing.arrows:
        edge = arrow.edge
        for written, read in message_pairs(edge.sender, edge.receiver):
            out.append(
                Row(
                    edge=edge,
                    arrow_id=arrow.id,
                    message=written.name,
                    sender_href=version_url(
                        edge.sender.subject, edge.sender.version, message_anchor(written.key)
                    ),
                    receiver_href=version_url(
                        edge.receiver.subject, edge.receiver.version, message_anchor(read.key)
                    ),
                    channel_href=version_url(edge.sender.subject, edge.sender.version, "channels"),
                )
            )
        if not any(True for _ in message_pairs(edge.sender, edge.receiver)):
            out.append(
                Row(
                    edge=edge,
                    arrow_id=arrow.id,
                    message=", ".join(edge.sender.message_names),
                    sender_href=version_url(edge.sender.subject, edge.sender.version, "channels"),
                    receiver_href=version_url(
                        edge.receiver.subject, edge.receiver.version, "channels"
                    ),
                    channel_href=version_url(edge.sender.subject, edge.sender.version, "channels"),
                )
            )
    return out
