"""The choreography's picture: lanes in causal order, rows by causal depth, arrows that do not run
behind other boxes."""

from __future__ import annotations

from eventbus.operations.flow import EventFlow, Reaction, choreography
from eventbus.operations.flow_chart import chart
from eventbus.store.flow_counts import EdgeCounts


def reaction(subscriber: str, context: str, *publishes: str, counts: EdgeCounts | None = None) -> Reaction:
    return Reaction(subscriber, context, counts or EdgeCounts(), tuple(publishes), context)


SAGA = [
    EventFlow("a.Started", 1, "a", (reaction("b.react", "b", "b.Reacted"),)),
    EventFlow("b.Reacted", 1, "b", (reaction("c.finish", "c", "a.Started"), reaction("b.again", "b"))),
    EventFlow("c.Unheard", 2, "c", ()),
]


def test_lanes_follow_the_saga_and_rows_its_depth():
    drawn = chart(SAGA)
    # By the first depth a context's boxes reach: c publishes an event nobody publishes in reply
    # (a start, depth 0), b only reacts (depth 1); ties by name.
    assert [lane.context for lane in drawn.lanes] == ["a", "c", "b"]
    depth = {node.id: node.depth for node in drawn.nodes}
    assert depth == {
        "event a.Started": 0,
        "event c.Unheard": 0,
        "b.react": 1,
        "event b.Reacted": 2,
        "c.finish": 3,
        "b.again": 3,
    }
    y = {node.id: node.y for node in drawn.nodes}
    assert y["event a.Started"] < y["b.react"] < y["event b.Reacted"] < y["c.finish"]


def test_arrows_go_both_ways_and_a_loop_back_does_not_reset_depth():
    drawn = chart(SAGA)
    edges = {(edge.source.id, edge.target.id, edge.kind) for edge in drawn.edges}
    assert ("event a.Started", "b.react", "reacts") in edges
    assert ("b.react", "event b.Reacted", "publishes") in edges
    assert ("c.finish", "event a.Started", "publishes") in edges


def test_an_arrow_within_a_lane_loops_through_its_margin_instead_of_behind_the_boxes():
    drawn = chart(SAGA)
    [inside] = [edge for edge in drawn.edges if (edge.source.id, edge.target.id) == ("event b.Reacted", "b.again")]
    lane_x = inside.source.x
    bends = [float(point.split(",")[0]) for point in inside.path.replace("M", "").replace("C", "").split()]
    assert min(bends) < lane_x, "it leaves the box's left side into the margin"
    assert max(bends) <= lane_x


def test_a_reaction_with_something_waiting_gets_a_line_more_for_it():
    waiting = [EventFlow("a.Started", 1, "a", (reaction("b.react", "b", counts=EdgeCounts(backlog=2)),))]
    idle = [EventFlow("a.Started", 1, "a", (reaction("b.react", "b"),))]

    def height(flows: list[EventFlow]) -> float:
        return next(node.height for node in chart(flows).nodes if node.id == "b.react")

    assert height(waiting) > height(idle)


def test_the_whole_registry_is_drawn_with_every_context_once():
    flows = choreography()
    drawn = chart(flows)
    assert len(drawn.lanes) == len({lane.context for lane in drawn.lanes})
    assert {"orders", "payments", "shipping"} <= {lane.context for lane in drawn.lanes}
    assert len([node for node in drawn.nodes if node.kind == "event"]) == len(flows)
    assert drawn.width > 0
    assert drawn.height > 0
