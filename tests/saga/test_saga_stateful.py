"""Hypothesis interleaves places, cancels, dispatches, partial delivery, duplicate deliveries and
worker crashes; however they interleave, once the bus drains every invariant holds."""

import contextlib
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from chaos.invariants import assert_saga_invariants
from eventbus.engine.handling import process_claim
from eventbus.kernel.context import handling
from eventbus.models import Delivery, OutboxEvent
from eventbus.store import outbox, release_expired_leases
from eventbus.testing import claim, decoded, relay, run_pending
from eventbus.topology.subscribers import subscriber
from orders import services as orders_services
from orders.models import Order, OrderLine
from payments.models import Payment, Refund
from shipping import services as shipping_services
from shipping.models import Shipment
from tests.saga.factories import place_order

MOST_CRASHES = 3


class SagaMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        for model in (Delivery, OutboxEvent, Refund, Payment, Shipment, OrderLine, Order):
            model.objects.all().delete()
        self.crashes = 0

    @rule(
        target=orders,
        token=st.sampled_from(["tok_ok", "tok_declined", "tok_flaky"]),
        country=st.sampled_from(["DE", "AQ"]),
    )
    def place(self, token: str, country: str):
        return place_order(token=token, country=country).id

    @rule(order_id=orders)
    def cancel(self, order_id) -> None:
        with contextlib.suppress(orders_services.OrderCannotBeCancelled):
            orders_services.order_cancel(order_id=order_id)

    @rule(order_id=orders)
    def dispatch(self, order_id) -> None:
        with contextlib.suppress(Shipment.DoesNotExist, shipping_services.ShipmentNotDispatchable):
            shipping_services.shipment_dispatch(order_id=order_id)

    @rule(batch=st.integers(min_value=1, max_value=5))
    def deliver_a_few(self, batch: int) -> None:
        relay(batch)
        claimed = claim(batch)
        if claimed is not None:
            process_claim(claimed)

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    def deliver_a_done_delivery_again(self, pick: int) -> None:
        """As an at-least-once transport would: the handler runs a second time for the same event."""
        done = list(Delivery.objects.filter(state=Delivery.State.DONE).order_by("id").values_list("id", flat=True))
        if not done:
            return
        delivery = Delivery.objects.select_related("event").get(id=done[pick % len(done)])
        found = subscriber(delivery.subscriber)
        envelope = outbox.envelope_of(delivery.event)
        event = decoded(envelope, found.event_class)
        with handling(envelope):
            if found.prepare is None:
                with transaction.atomic():
                    found.handler(event)
                return
            prepared = found.prepare(event)
            with transaction.atomic():
                found.handler(event, prepared)

    @precondition(lambda self: self.crashes < MOST_CRASHES)
    @rule(batch=st.integers(min_value=1, max_value=5))
    def crash_a_worker_after_its_claim(self, batch: int) -> None:
        relay(batch)
        if claim(batch) is not None:
            self.crashes += 1

    def teardown(self) -> None:
        later = timezone.now()
        for _ in range(30):
            later += timedelta(minutes=30)
            release_expired_leases(now=later)
            if run_pending(now=later) == 0 and not Delivery.objects.exclude(state=Delivery.State.DONE).exists():
                break
        assert_saga_invariants()


@pytest.mark.django_db
def test_invariants_hold_however_the_saga_interleaves():
    run_state_machine_as_test(
        SagaMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
