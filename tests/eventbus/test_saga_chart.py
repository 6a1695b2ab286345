"""The saga picture's geometry: lanes per context, a bar per attempt on a broken time axis, arrows by causation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from eventbus.kernel.durations import duration_label
from eventbus.operations.saga_chart import (
    BREAK_AFTER_MS,
    BREAK_WIDTH,
    LABEL_WIDTH,
    MIN_STRETCH_WIDTH,
    RIGHT_PAD,
    WIDTH,
    lane_of,
    nice_ticks,
    offset_label,
    saga_chart,
)
from eventbus.store.history import AttemptStep, DeliveryStep, SubscriberFacts, TimelineEvent

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
_ids = iter(range(1, 1000))


def at(ms: float) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def attempt(number: int, start: float, end: float, outcome: str = "done", error: str = "") -> AttemptStep:
    return AttemptStep(number, at(start), at(end), end - start, outcome, error)


def delivery(subscriber: str, *attempts: AttemptStep, state: str = "done", available_at: float | None = None):
    return DeliveryStep(
        id=next(_ids),
        subscriber=subscriber,
        state=state,
        attempts=len(attempts),
        last_error=attempts[-1].error if attempts else "",
        duration_ms=None,
        finished_at=attempts[-1].finished_at if attempts else None,
        available_at=at(available_at) if available_at is not None else None,
        history=attempts,
    )


def event(type: str, time: float, *deliveries: DeliveryStep, cause=None, deliver_at: float | None = None):
    return TimelineEvent(
        id=uuid4(),
        position=next(_ids),
        type=type,
        version=1,
        time=at(time),
        deliver_at=at(time if deliver_at is None else deliver_at),
        dispatched_at=at(time),
        causation_id=cause.id if cause else None,
        depth=0,
        deliveries=tuple(deliveries),
    )


FACTS = {
    "payments.charge_order": SubscriberFacts(8, ("payments.PaymentSucceeded",)),
    "shipping.prepare_shipment": SubscriberFacts(8, ()),
    "orders.cancel_refunded_order": SubscriberFacts(8, ("orders.OrderCancelled",)),
    "payments.refund": SubscriberFacts(8, ("payments.PaymentRefunded",)),
}


def fast_saga():
    """A 20 ms saga: charge_order fails once then publishes PaymentSucceeded; prepare_shipment a no-op."""
    charge = delivery("payments.charge_order", attempt(1, 2, 4, "failed", "boom"), attempt(2, 6, 10))
    prepare = delivery("shipping.prepare_shipment", attempt(1, 3, 5))
    created = event("orders.OrderCreated", 0, charge, prepare)
    paid = event("payments.PaymentSucceeded", 9, delivery("orders.mark_order_paid", attempt(1, 12, 20)), cause=created)
    return [created, paid], charge, prepare


def test_one_lane_per_context_in_order_of_appearance():
    events, *_ = fast_saga()
    chart = saga_chart(events, facts=FACTS)
    assert [lane.name for lane in chart.lanes] == ["orders", "payments", "shipping"]
    assert lane_of("payments.charge_order") == "payments"
    tops = [lane.y for lane in chart.lanes]
    assert tops == sorted(tops)


def test_one_bar_per_attempt_placed_on_a_linear_axis_when_nothing_waits():
    events, charge, _ = fast_saga()
    chart = saga_chart(events, facts=FACTS)
    bars = [bar for bar in chart.bars if bar.delivery_id == charge.id]
    assert [bar.outcome for bar in bars] == ["failed", "done"]
    assert chart.breaks == ()
    # linear: x grows with time at one scale from the first event (0 ms) to the last end (20 ms)
    left, right = LABEL_WIDTH + 5, WIDTH - RIGHT_PAD - 5
    scale = (right - left) / 20
    assert bars[0].x == left + 2 * scale
    assert abs(bars[1].x + bars[1].width - (left + 10 * scale)) < 1e-6
    failed, done = bars
    assert failed.end < done.x
    assert failed.y == done.y  # the same row: they do not overlap


def test_noop_effect_and_compensation_are_told_apart():
    events, charge, prepare = fast_saga()
    refund = delivery("payments.refund", attempt(1, 30, 31))
    cancelled = event("orders.Cancelled", 25, refund, cause=events[1])
    refunded = event("payments.PaymentRefunded", 30.5, cause=cancelled)
    chart = saga_chart([*events, cancelled, refunded], compensating={"payments.PaymentRefunded"}, facts=FACTS)
    kind = {bar.delivery_id: bar.kind for bar in chart.bars if bar.outcome == "done"}
    assert kind[charge.id] == "effect"
    assert kind[prepare.id] == "noop"
    assert kind[refund.id] == "compensation"
    assert "published nothing" in next(bar.title for bar in chart.bars if bar.delivery_id == prepare.id)


def test_an_arrow_runs_from_where_an_event_was_published_to_each_delivery_it_caused():
    events, charge, _ = fast_saga()
    chart = saga_chart(events, facts=FACTS)
    done_charge = next(bar for bar in chart.bars if bar.delivery_id == charge.id and bar.outcome == "done")
    paid = events[1]
    marker = next(m for m in chart.markers if m.event_type == "payments.PaymentSucceeded")
    assert marker.y == done_charge.middle  # drawn on the attempt that published it
    [arrow] = [a for a in chart.arrows if a.title.startswith("payments.PaymentSucceeded")]
    target = next(bar for bar in chart.bars if bar.delivery_id == paid.deliveries[0].id)
    assert (arrow.x1, arrow.y1) == (marker.x, marker.y)
    assert (arrow.x2, arrow.y2) == (target.x, target.middle)
    # the root event's arrows go to the first attempt of each of its deliveries, the failed one included
    first_charge = next(bar for bar in chart.bars if bar.delivery_id == charge.id)
    assert any(a.x2 == first_charge.x and a.title.endswith("payments.charge_order") for a in chart.arrows)


def test_a_fifteen_minute_wait_is_cut_out_of_the_axis_and_both_sides_stay_legible():
    events, *_ = fast_saga()
    deadline = event(
        "orders.PaymentDeadlineReached",
        1,
        delivery("orders.cancel_past_deadline", attempt(1, 15 * 60_000 + 3, 15 * 60_000 + 8)),
        cause=events[0],
        deliver_at=15 * 60_000,
    )
    chart = saga_chart([*events, deadline], facts=FACTS)
    [gap] = chart.breaks
    assert gap.width == BREAK_WIDTH
    assert gap.label == "15 min"
    # the first 20 ms still take most of the width, the 8 ms after the wait at least the minimum
    early = [bar for bar in chart.bars if bar.x < gap.x]
    late = [bar for bar in chart.bars if bar.x > gap.x]
    assert len(late) == 1
    assert max(bar.end for bar in early) - min(bar.x for bar in early) > 300
    assert WIDTH - RIGHT_PAD - gap.end >= MIN_STRETCH_WIDTH - 1e-6
    [wait] = chart.waits
    assert wait.x1 < gap.x < gap.end <= wait.x2
    assert "held back 15 min" in wait.title
    assert any(a.delayed for a in chart.arrows)


def test_short_pauses_are_kept_on_the_axis():
    quiet = BREAK_AFTER_MS - 1
    saga = [event("orders.OrderCreated", 0, delivery("payments.charge_order", attempt(1, quiet, quiet + 5)))]
    assert saga_chart(saga, facts=FACTS).breaks == ()


def test_a_dead_attempt_and_a_pending_retry_are_drawn():
    dead = delivery("shipping.book_shipment", attempt(1, 1, 2, "failed"), attempt(2, 3, 4, "dead"), state="dead")
    retrying = delivery("busapp.notify", attempt(1, 1, 3, "failed"), state="pending", available_at=4000)
    chart = saga_chart([event("payments.PaymentSucceeded", 0, dead, retrying)], facts=FACTS)
    assert [bar.outcome for bar in chart.bars if bar.delivery_id == dead.id] == ["failed", "dead"]
    [next_attempt] = [bar for bar in chart.bars if bar.outcome == "next"]
    assert next_attempt.delivery_id == retrying.id
    assert "next attempt (2)" in next_attempt.title
    assert len(chart.breaks) == 1  # 4 s after the last attempt


def test_overlapping_attempts_of_one_context_stack_in_rows():
    saga = [
        event(
            "orders.OrderCreated",
            0,
            delivery("shipping.a", attempt(1, 1, 10)),
            delivery("shipping.b", attempt(1, 2, 9)),
        )
    ]
    chart = saga_chart(saga, facts=FACTS)
    rows = sorted(bar.row for bar in chart.bars)
    assert rows == [0, 1]
    [shipping] = [lane for lane in chart.lanes if lane.name == "shipping"]
    assert all(shipping.y <= bar.y and bar.y + 10 <= shipping.y + shipping.height for bar in chart.bars)


def test_no_events_no_picture():
    assert saga_chart([], facts={}) is None


def test_labels():
    assert offset_label(0) == "0 ms"
    assert offset_label(2.5) == "2.5 ms"
    assert offset_label(1500) == "1.5 s"
    assert duration_label(15 * 60_000 + 3000) == "15 min 3 s"
    assert duration_label(15 * 60_000 + 3000, short=True) == "15 min"
    assert nice_ticks(0, 20, 700) == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    assert nice_ticks(5, 5, 40) == [5]


def test_ticks_never_repeat_a_label_nor_crowd():
    saga = [
        event("orders.OrderCreated", 0, delivery("payments.charge_order", attempt(1, 1, 5))),
        event("orders.Deadline", 2, delivery("orders.act", attempt(1, 15 * 60_000 + 10, 15 * 60_000 + 400))),
    ]
    ticks = saga_chart(saga, facts=FACTS).ticks
    labels = [tick.label for tick in ticks]
    assert len(labels) == len(set(labels))
    assert all(b.x - a.x >= 52 for a, b in itertools.pairwise(ticks))
