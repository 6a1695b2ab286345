"""The choreography as a picture: contexts as lanes left to right in causal order, their events and
handlers as boxes, rows by causal depth, arrows event → handler and handler → event it publishes.

Only geometry is computed here (in SVG user units); the admin's template draws it and adds the counts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from eventbus.operations.flow import EventFlow, Reaction

LANE_WIDTH = 236
LANE_GAP = 12
NODE_MARGIN = 9
HEADER_HEIGHT = 46
ROW_GAP = 26
NODE_GAP = 7
EVENT_HEIGHT = 26
HANDLER_HEIGHT = 42  # a name and the window's figures
OPEN_HEIGHT = 16  # one more line when something waits
PADDING = 8
# The chart shrinks to fit the page down to this scale; below it, it scrolls sideways.
SMALLEST_SCALE = 0.8


@dataclass
class Node:
    id: str
    kind: str  # "event" or "handler"
    label: str
    context: str
    depth: int
    flow: EventFlow | None = None
    reaction: Reaction | None = None
    x: float = 0
    y: float = 0
    width: float = LANE_WIDTH - 2 * NODE_MARGIN
    height: float = 0

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2

    @property
    def text_x(self) -> float:
        return self.x + 8

    @property
    def middle_y(self) -> float:
        return self.y + self.height / 2 + 4

    def line_y(self, line: int) -> float:
        """The baseline of the box's ``line``-th line of text (0 is the name)."""
        return self.y + 17 + 15 * line

    @property
    def line0_y(self) -> float:
        return self.line_y(0)

    @property
    def line1_y(self) -> float:
        return self.line_y(1)

    @property
    def line2_y(self) -> float:
        return self.line_y(2)


@dataclass
class Edge:
    source: Node
    target: Node
    kind: str  # "reacts" (event → handler) or "publishes" (handler → event)
    path: str = ""


@dataclass
class Lane:
    context: str
    x: float
    nodes: list[Node] = field(default_factory=list)

    @property
    def width(self) -> float:
        return LANE_WIDTH

    @property
    def center_x(self) -> float:
        return self.x + LANE_WIDTH / 2


@dataclass
class Chart:
    lanes: list[Lane]
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float

    @property
    def min_width(self) -> float:
        return self.width * SMALLEST_SCALE

    @property
    def lane_top(self) -> float:
        return PADDING

    @property
    def lane_height(self) -> float:
        return self.height - 2 * PADDING


def chart(flows: list[EventFlow]) -> Chart:
    nodes, edges = _graph(flows)
    _depths(nodes, edges)
    lanes = _lanes(nodes)
    height = _place(lanes, nodes)
    for edge in edges:
        edge.path = _path(edge.source, edge.target)
    width = len(lanes) * (LANE_WIDTH + LANE_GAP) - LANE_GAP + 2 * PADDING
    return Chart(lanes, list(nodes.values()), edges, max(width, LANE_WIDTH), height)


def _graph(flows: list[EventFlow]) -> tuple[dict[str, Node], list[Edge]]:
    nodes: dict[str, Node] = {}
    for flow in flows:
        nodes[_event_id(flow.event_type)] = Node(
            _event_id(flow.event_type), "event", _event_label(flow), flow.publisher, -1, flow
        )
    edges = []
    for flow in flows:
        for reaction in flow.reactions:
            handler = nodes.setdefault(
                reaction.subscriber,
                Node(reaction.subscriber, "handler", _short(reaction.subscriber), reaction.context, -1, flow, reaction),
            )
            edges.append(Edge(nodes[_event_id(flow.event_type)], handler, "reacts"))
            edges += [
                Edge(handler, nodes[_event_id(published)], "publishes")
                for published in reaction.publishes
                if _event_id(published) in nodes
            ]
    return nodes, edges


def _depths(nodes: dict[str, Node], edges: list[Edge]) -> None:
    """Breadth-first from the events no handler publishes (those a request or a timer starts); what
    they do not reach (a loop of its own) starts again from its first node."""
    following: dict[str, list[Node]] = {}
    for edge in edges:
        following.setdefault(edge.source.id, []).append(edge.target)
    published = {edge.target.id for edge in edges if edge.kind == "publishes"}
    roots = [node for node in nodes.values() if node.kind == "event" and node.id not in published]
    while roots:
        queue = deque(roots)
        for root in roots:
            root.depth = 0
        while queue:
            node = queue.popleft()
            for found in following.get(node.id, []):
                if found.depth < 0:
                    found.depth = node.depth + 1
                    queue.append(found)
        roots = [node for node in nodes.values() if node.depth < 0][:1]


def _lanes(nodes: dict[str, Node]) -> list[Lane]:
    first_depth: dict[str, int] = {}
    for node in nodes.values():
        first_depth[node.context] = min(first_depth.get(node.context, node.depth), node.depth)
    order = sorted(first_depth, key=lambda context: (first_depth[context], context))
    lanes = [Lane(context, PADDING + i * (LANE_WIDTH + LANE_GAP)) for i, context in enumerate(order)]
    by_context = {lane.context: lane for lane in lanes}
    for node in sorted(nodes.values(), key=lambda found: (found.depth, found.kind != "event", found.label)):
        by_context[node.context].nodes.append(node)
    return lanes


def _place(lanes: list[Lane], nodes: dict[str, Node]) -> float:
    """Rows by depth, each as tall as its fullest lane; returns the chart's height."""
    y = HEADER_HEIGHT + PADDING + ROW_GAP / 2
    for depth in sorted({node.depth for node in nodes.values()}):
        tallest = 0.0
        for lane in lanes:
            stacked = 0.0
            for node in (found for found in lane.nodes if found.depth == depth):
                node.height = _height(node)
                node.x, node.y = lane.x + NODE_MARGIN, y + stacked
                stacked += node.height + NODE_GAP
            tallest = max(tallest, stacked)
        y += tallest + ROW_GAP
    return y


def _height(node: Node) -> float:
    if node.kind == "event":
        return EVENT_HEIGHT
    counts = node.reaction.counts if node.reaction else None
    waits = counts is not None and (counts.retrying or counts.dead or counts.backlog)
    return HANDLER_HEIGHT + (OPEN_HEIGHT if waits else 0)


def _path(source: Node, target: Node) -> str:
    """Within a lane, a loop through the lane's left margin (a straight line would run behind the
    boxes between); to another lane, from the side facing it into the target's facing side."""
    y1, y2 = source.y + source.height / 2, target.y + target.height / 2
    if target.x == source.x:
        x = source.x
        bend = min(10 + abs(y2 - y1) * 0.05, NODE_MARGIN + LANE_GAP / 2 + 10)
        return f"M{x:.0f},{y1:.0f} C{x - bend:.0f},{y1:.0f} {x - bend:.0f},{y2:.0f} {x:.0f},{y2:.0f}"
    if target.x > source.x:
        x1, x2 = source.x + source.width, target.x
    else:
        x1, x2 = source.x, target.x + target.width
    bend = (x2 - x1) / 2
    return f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"


def _event_label(flow: EventFlow) -> str:
    """Its name, and its version once there is more than one."""
    return _short(flow.event_type) + (f" v{flow.version}" if flow.version > 1 else "")


def _event_id(event_type: str) -> str:
    return f"event {event_type}"


def _short(name: str) -> str:
    """A name without its context's prefix: the lane says it."""
    return name.split(".", 1)[-1]
