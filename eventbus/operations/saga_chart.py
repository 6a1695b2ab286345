"""A saga as a picture: the geometry of a server-rendered SVG (``admin/eventbus/saga_chart.html``).

One lane per context (a subscriber's prefix: ``payments.charge_order`` runs in ``payments``), one bar
per handler attempt on a time axis of offsets from the saga's first event, an arrow from each event
(drawn where the attempt that published it ran) to the first attempt of each delivery it caused.

- **Broken axis.** Activity is grouped into stretches; a quiet stretch longer than ``BREAK_AFTER_MS``
  (a deadline timer's 15 minutes, a retry's backoff) is cut out and drawn as a narrow break that says
  how long it lasted. Each stretch keeps a linear scale of its own, with its own ticks (offsets from
  the saga's start), so a 20 ms saga and one with a 15-minute wait are both legible.
- **Long waits.** An event delivered later than it was published (``deliver_at`` past its ``time``)
  is drawn as a dashed span from its publication to when it was due.
- **What a bar tells.** Its outcome (done, failed, timeout, lost, dead: dead ones carry a mark); a
  done attempt that published nothing is a *no-op* (drawn hollow); one that published an event of
  ``compensating`` (the caller's list: the bus does not know which events undo others) is a
  *compensation*. A delivery waiting for a retry shows its next attempt, dashed, at its due time.

The publisher of an event is the delivery of its cause whose subscription declares it
(``publishes=``), else the one in the event's own context, else the one whose attempt ran when it
was published; an event with no cause in the saga starts in its own context's lane.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from eventbus.kernel.durations import duration_label
from eventbus.store.history import DeliveryStep, SubscriberFacts, TimelineEvent, subscriber_facts

BREAK_AFTER_MS = 1000.0
WIDTH = 800.0  # the viewBox: the page scales it to its width (about 1.15 at 1400 px wide, 0.85 at 1024)
LABEL_WIDTH = 70.0
RIGHT_PAD = 16.0
BREAK_WIDTH = 44.0
MIN_STRETCH_WIDTH = 40.0
STRETCH_PAD = 5.0
AXIS_HEIGHT = 22.0
BREAK_LABEL_HEIGHT = 16.0
ROW_HEIGHT = 16.0
LANE_PAD = 5.0
BAR_HEIGHT = 10.0
MIN_BAR_WIDTH = 3.0
TICK_SPACING = 70.0
MIN_TICK_GAP = 52.0


@dataclass(frozen=True)
class Bar:
    """One attempt (or a delivery's next one, ``outcome`` "next")."""

    lane: str
    x: float
    width: float
    row: int
    outcome: str
    kind: str  # "noop", "compensation", "effect" (a done attempt that published) or "" (not done)
    title: str
    delivery_id: int
    y: float = 0.0

    @property
    def css(self) -> str:
        return " ".join(filter(None, ("bar", self.outcome, self.kind)))

    @property
    def end(self) -> float:
        return self.x + self.width

    @property
    def middle(self) -> float:
        return self.y + BAR_HEIGHT / 2


@dataclass(frozen=True)
class Marker:
    """An event, where it was published."""

    x: float
    y: float
    title: str
    event_type: str


@dataclass(frozen=True)
class Arrow:
    x1: float
    y1: float
    x2: float
    y2: float
    delayed: bool
    title: str


@dataclass(frozen=True)
class Wait:
    """An event held back until its ``deliver_at``."""

    x1: float
    x2: float
    y: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Break:
    """A quiet stretch cut out of the axis; its label (rounded) goes under the lanes."""

    x: float
    width: float
    label: str
    exact: str

    @property
    def middle(self) -> float:
        return self.x + self.width / 2

    @property
    def end(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class Lane:
    name: str
    y: float
    height: float

    @property
    def label_y(self) -> float:
        return self.y + self.height / 2 + 4


@dataclass(frozen=True)
class SagaChart:
    width: float
    height: float
    lanes: tuple[Lane, ...]
    bars: tuple[Bar, ...]
    markers: tuple[Marker, ...]
    arrows: tuple[Arrow, ...]
    waits: tuple[Wait, ...]
    ticks: tuple[Tick, ...]
    breaks: tuple[Break, ...]
    label_width: float = LABEL_WIDTH
    axis_height: float = AXIS_HEIGHT

    @property
    def lanes_bottom(self) -> float:
        return self.lanes[-1].y + self.lanes[-1].height if self.lanes else self.axis_height


def lane_of(name: str) -> str:
    """The context a subscriber (or an event type) belongs to: its prefix."""
    return name.split(".", 1)[0]


@dataclass(frozen=True)
class _Span:
    """An attempt, in milliseconds from the saga's start, before it is placed."""

    lane: str
    start: float
    end: float
    outcome: str
    title: str
    delivery: DeliveryStep
    done: bool


@dataclass
class _Axis:
    """Time (ms from the start) to x, with the quiet stretches cut out."""

    stretches: list[tuple[float, float, float, float]] = field(default_factory=list)  # (start, end, x, width)
    breaks: list[Break] = field(default_factory=list)

    def x(self, at: float) -> float:
        previous: tuple[float, float, float, float] | None = None
        for start, end, x, width in self.stretches:
            if at < start and previous is not None:  # inside a break: across it, in proportion
                _, p_end, p_x, p_width = previous
                share = (at - p_end) / (start - p_end) if start > p_end else 0
                return p_x + p_width + share * (x - p_x - p_width)
            if at <= end or (start, end, x, width) == self.stretches[-1]:
                inner = width - 2 * STRETCH_PAD
                share = (at - start) / (end - start) if end > start else 0
                return x + STRETCH_PAD + min(max(share, 0), 1) * inner
            previous = (start, end, x, width)
        return LABEL_WIDTH

    def ticks(self) -> list[Tick]:
        """Each stretch's ticks, none closer than ``MIN_TICK_GAP`` to the one before (labels stay apart),
        none saying what the one before says (offsets past a minute are rounded to the second)."""
        found: list[Tick] = []
        for start, end, _, width in self.stretches:
            for at in nice_ticks(start, end, width):
                x, label = self.x(at), offset_label(at)
                if not found or (x - found[-1].x >= MIN_TICK_GAP and label != found[-1].label):
                    found.append(Tick(x, label))
        return found


def saga_chart(
    events: list[TimelineEvent],
    *,
    compensating: Iterable[str] = (),
    facts: dict[str, SubscriberFacts] | None = None,
) -> SagaChart | None:
    """The picture of a saga's timeline (``eventbus.timeline``), or None when it has no events.

    ``compensating``: the event types that undo an earlier step (the saga's owner knows them);
    ``facts``: the subscriptions' declarations, read from the store when not given.
    """
    if not events:
        return None
    start = min(event.time for event in events)
    if facts is None:
        facts = subscriber_facts({d.subscriber for event in events for d in event.deliveries})

    def ms(at: datetime) -> float:
        return (at - start) / timedelta(milliseconds=1)

    by_id = {event.id: event for event in events}
    publisher = {event.id: _publisher(event, by_id, facts) for event in events}
    published_by: dict[int, list[TimelineEvent]] = {}
    for event in events:
        if (found := publisher[event.id]) is not None:
            published_by.setdefault(found.id, []).append(event)
    compensations = frozenset(compensating)

    spans = [span for event in events for d in event.deliveries for span in _spans(event, d, ms)]
    nexts = [
        _Span(
            lane_of(d.subscriber),
            ms(d.available_at),
            ms(d.available_at),
            "next",
            f"{d.subscriber}: next attempt ({d.attempts + 1}) due at +{offset_label(ms(d.available_at))}",
            d,
            False,
        )
        for event in events
        for d in event.deliveries
        if d.state == "pending" and d.attempts > 0 and d.available_at is not None
    ]
    points = [ms(event.time) for event in events] + [ms(event.deliver_at) for event in events]
    axis = _axis([(span.start, span.end) for span in spans + nexts] + [(p, p) for p in points])

    lanes_seen: list[str] = []
    for name in [lane_of(event.type) for event in events if publisher[event.id] is None] + [s.lane for s in spans]:
        if name not in lanes_seen:
            lanes_seen.append(name)
    bars = _placed(spans + nexts, axis, published_by, compensations)
    lanes, bars = _stacked(lanes_seen, bars)
    height = (lanes[-1].y + lanes[-1].height if lanes else AXIS_HEIGHT) + (BREAK_LABEL_HEIGHT if axis.breaks else 0)

    first_bar: dict[int, Bar] = {}
    done_bar: dict[int, Bar] = {}
    for bar in bars:
        first_bar.setdefault(bar.delivery_id, bar)
        if bar.kind:
            done_bar[bar.delivery_id] = bar
    lane_y = {lane.name: lane.y + LANE_PAD + BAR_HEIGHT / 2 for lane in lanes}

    markers: list[Marker] = []
    arrows: list[Arrow] = []
    waits: list[Wait] = []
    for event in events:
        x = axis.x(ms(event.time))
        source = publisher[event.id]
        from_bar = done_bar.get(source.id) if source is not None else None
        y = from_bar.middle if from_bar is not None else lane_y.get(lane_of(event.type), AXIS_HEIGHT)
        label = f"{event.type} v{event.version} published at +{offset_label(ms(event.time))}"
        markers.append(Marker(x, y, label, event.type))
        delayed = event.deliver_at > event.time and ms(event.deliver_at) - ms(event.time) >= BREAK_AFTER_MS
        if delayed:
            # Waits of one lane drawn apart (a saga often arms two deadlines at once).
            stacked = y + 3 * sum(1 for wait in waits if abs(wait.y - y) < BAR_HEIGHT / 2 and wait.x2 > x)
            waits.append(
                Wait(
                    x,
                    axis.x(ms(event.deliver_at)),
                    stacked,
                    f"{event.type} held back {duration_label(ms(event.deliver_at) - ms(event.time))}, "
                    f"due at +{offset_label(ms(event.deliver_at))}",
                )
            )
        for delivery in event.deliveries:
            target = first_bar.get(delivery.id)
            if target is not None:
                arrows.append(Arrow(x, y, target.x, target.middle, delayed, f"{event.type} → {delivery.subscriber}"))
    return SagaChart(
        width=WIDTH,
        height=height,
        lanes=tuple(lanes),
        bars=tuple(bars),
        markers=tuple(markers),
        arrows=tuple(arrows),
        waits=tuple(waits),
        ticks=tuple(axis.ticks()),
        breaks=tuple(axis.breaks),
    )


def _publisher(
    event: TimelineEvent, by_id: dict[UUID, TimelineEvent], facts: dict[str, SubscriberFacts]
) -> DeliveryStep | None:
    """The delivery (of the event's cause) whose handler published it, or None for a saga's start."""
    cause = by_id.get(event.causation_id) if event.causation_id else None
    if cause is None or not cause.deliveries:
        return None
    candidates = list(cause.deliveries)
    for narrowed in (
        [d for d in candidates if event.type in facts.get(d.subscriber, SubscriberFacts(0, ())).publishes],
        [d for d in candidates if lane_of(d.subscriber) == lane_of(event.type)],
    ):
        if len(narrowed) == 1:
            return narrowed[0]
        if narrowed:
            candidates = narrowed
    for delivery in candidates:
        for attempt in delivery.history:
            if attempt.started_at <= event.time <= (attempt.finished_at or attempt.started_at):
                return delivery
    return candidates[0]


def _spans(event: TimelineEvent, delivery: DeliveryStep, ms: Callable[[datetime], float]) -> list[_Span]:
    lane = lane_of(delivery.subscriber)
    if delivery.history:
        found = []
        for attempt in delivery.history:
            ended = attempt.finished_at or (
                attempt.started_at + timedelta(milliseconds=attempt.duration_ms)
                if attempt.duration_ms is not None
                else attempt.started_at
            )
            took = "" if attempt.duration_ms is None else f", {attempt.duration_ms:.1f} ms"
            error = f"\n{attempt.error[:300]}" if attempt.error else ""
            title = (
                f"{delivery.subscriber} ← {event.type}: attempt {attempt.number}, {attempt.outcome}{took}, "
                f"at +{offset_label(ms(attempt.started_at))}{error}"
            )
            found.append(
                _Span(
                    lane, ms(attempt.started_at), ms(ended), attempt.outcome, title, delivery, attempt.outcome == "done"
                )
            )
        return found
    if delivery.finished_at is None:
        return []
    # Kept before attempts were (or by a peer that does not send them): its last attempt only.
    end_ms = ms(delivery.finished_at)
    ran_ms = delivery.duration_ms or 0.0
    title = f"{delivery.subscriber} ← {event.type}: {delivery.state}, attempt {delivery.attempts}, {ran_ms:.1f} ms"
    return [_Span(lane, end_ms - ran_ms, end_ms, delivery.state, title, delivery, delivery.state == "done")]


def _axis(intervals: list[tuple[float, float]]) -> _Axis:
    """Stretches of activity (gaps up to ``BREAK_AFTER_MS`` kept), widths shared by their durations."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start - merged[-1][1] <= BREAK_AFTER_MS:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    available = WIDTH - LABEL_WIDTH - RIGHT_PAD - BREAK_WIDTH * (len(merged) - 1)
    widths = _shared([end - start for start, end in merged], available)
    axis, x = _Axis(), LABEL_WIDTH
    for index, ((start, end), width) in enumerate(zip(merged, widths, strict=True)):
        if index:
            gap = start - merged[index - 1][1]
            axis.breaks.append(Break(x, BREAK_WIDTH, duration_label(gap, short=True), duration_label(gap)))
            x += BREAK_WIDTH
        axis.stretches.append((start, end, x, width))
        x += width
    return axis


def _shared(durations: list[float], available: float) -> list[float]:
    """``available`` shared in proportion to ``durations``, none below ``MIN_STRETCH_WIDTH``."""
    fixed: dict[int, float] = {}
    while True:
        rest = available - sum(fixed.values())
        free = [i for i in range(len(durations)) if i not in fixed]
        total = sum(durations[i] for i in free)
        shares = {i: (rest * durations[i] / total if total > 0 else rest / len(free)) for i in free}
        small = {i for i, width in shares.items() if width < MIN_STRETCH_WIDTH}
        if not small or len(small) == len(free):
            return [fixed.get(i, shares.get(i, MIN_STRETCH_WIDTH)) for i in range(len(durations))]
        fixed |= dict.fromkeys(small, MIN_STRETCH_WIDTH)


def _placed(
    spans: list[_Span], axis: _Axis, published_by: dict[int, list[TimelineEvent]], compensating: frozenset[str]
) -> list[Bar]:
    bars = []
    for span in sorted(spans, key=lambda found: (found.start, found.end)):
        x1, x2 = axis.x(span.start), axis.x(span.end)
        kind = ""
        if span.done:
            published = {event.type for event in published_by.get(span.delivery.id, [])}
            kind = "compensation" if published & compensating else "effect" if published else "noop"
        title = span.title + (" (published nothing)" if kind == "noop" else "")
        bars.append(Bar(span.lane, x1, max(x2 - x1, MIN_BAR_WIDTH), 0, span.outcome, kind, title, span.delivery.id))
    return bars


def _stacked(lane_names: list[str], bars: list[Bar]) -> tuple[list[Lane], list[Bar]]:
    """Each lane's bars in rows, so overlapping ones do not hide each other; lanes one under another."""
    rows_of: dict[str, list[float]] = {name: [] for name in lane_names}
    placed = []
    for bar in bars:
        ends = rows_of.setdefault(bar.lane, [])
        row = next((i for i, end in enumerate(ends) if end + 2 <= bar.x), len(ends))
        if row == len(ends):
            ends.append(bar.end)
        else:
            ends[row] = bar.end
        placed.append((bar, row))
    lanes, y = [], AXIS_HEIGHT
    for name, ends in rows_of.items():
        height = max(len(ends), 1) * ROW_HEIGHT + 2 * LANE_PAD
        lanes.append(Lane(name, y, height))
        y += height
    tops = {lane.name: lane.y for lane in lanes}
    return lanes, [
        Bar(
            bar.lane,
            bar.x,
            bar.width,
            row,
            bar.outcome,
            bar.kind,
            bar.title,
            bar.delivery_id,
            tops[bar.lane] + LANE_PAD + row * ROW_HEIGHT,
        )
        for bar, row in placed
    ]


def nice_ticks(start: float, end: float, width: float) -> list[float]:
    """Round offsets between ``start`` and ``end`` (ms), about one per ``TICK_SPACING`` px."""
    span = end - start
    if span <= 0 or width < TICK_SPACING:
        return [start]
    count = max(int(width // TICK_SPACING), 1)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(start / step) * step
    found = [start] if first - start > step / 2 else []
    found += [first + i * step for i in range(int((end - first) // step) + 1)]
    return found


def offset_label(ms: float) -> str:
    """An offset from the saga's start: 0 ms, 12.5 ms, 1.2 s, 15 min 3 s."""
    if abs(ms) < 10:
        return f"{ms:.1f} ms".replace(".0 ms", " ms")
    if abs(ms) < 1000:
        return f"{ms:.0f} ms"
    return duration_label(ms)
