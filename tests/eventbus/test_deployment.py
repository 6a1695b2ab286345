"""Which service runs which context, and what a split process runs: its own subscribers, and one
forwarding subscriber per event type another service reacts to."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from eventbus import conf
from eventbus.engine.routing import FORWARD_QUEUE, local_subscriber, local_subscribers, receiving_queues
from eventbus.topology.deployment import Deployment, parse
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport.checks import check_split_broker

SPLIT = "shop=*;payments=payments"


def test_an_empty_service_is_the_monolith_whatever_the_services_say():
    assert parse("", SPLIT) == Deployment()
    assert Deployment().runs_here("payments")


def test_every_context_not_named_belongs_to_the_star_service():
    deployment = parse("shop", SPLIT)

    assert deployment.services == ["payments", "shop"]
    assert deployment.service_of("orders") == "shop"
    assert deployment.service_of("payments") == "payments"
    assert not deployment.runs_here("payments")


@pytest.mark.parametrize(
    ("here", "services", "problem"),
    [
        ("billing", SPLIT, "'billing' is not one of"),
        ("shop", "shop=*;payments=*", "both shop and payments claim every other context"),
        ("shop", "shop=orders;payments=orders", "context orders is in both"),
        ("shop", "shop", "is not service=context"),
        ("shop.eu", "shop.eu=*", "letters, digits, - and _ only"),
    ],
)
def test_a_malformed_deployment_is_a_configuration_error(settings, here, services, problem):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = here, services
    with pytest.raises(ImproperlyConfigured, match=problem):
        conf.current().deployment  # noqa: B018


def test_the_monolith_runs_every_declared_subscriber_and_forwards_nothing():
    assert [found.id for found in local_subscribers()] == [found.id for found in all_subscribers()]


def test_the_shop_forwards_what_payments_reacts_to_and_runs_the_rest(settings):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "shop", SPLIT

    ids = {found.id for found in local_subscribers()}

    assert "payments.charge_order" not in ids
    assert {"orders.mark_order_paid", "shipping.book_shipment"} <= ids
    forward = local_subscriber("forward:orders.OrderCreated")
    assert forward is not None
    assert (forward.forward_to, forward.queue, forward.send_many is not None) == (("payments",), FORWARD_QUEUE, True)
    assert local_subscriber("forward:payments.PaymentSucceeded") is None  # shop reacts to it itself


def test_payments_runs_its_own_subscribers_and_forwards_what_the_shop_reacts_to(settings):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "payments", SPLIT

    ids = {found.id for found in local_subscribers()}

    assert {"payments.charge_order", "forward:payments.PaymentSucceeded"} <= ids
    assert not any(found.startswith(("orders.", "shipping.")) for found in ids)
    assert local_subscriber("forward:payments.PaymentSucceeded").forward_to == ("shop",)


def test_each_service_inbox_is_bound_to_the_types_its_subscribers_react_to():
    queues = receiving_queues(parse("shop", SPLIT), tuple(all_subscribers()))

    assert queues["payments"].event_types == {"orders.OrderCreated", "orders.OrderCancelled", "shipping.ShipmentFailed"}
    assert queues["payments"].senders == {"shop"}  # never its own events back
    assert "shop.orders.OrderCreated" in queues["payments"].routing_keys(["orders.OrderCreated"])
    assert "payments.PaymentSucceeded" in queues["shop"].event_types


def test_a_split_process_without_the_broker_fails_its_start_up_check(settings):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES, settings.EVENTBUS_BROKER_URL = "payments", SPLIT, ""

    assert [found.id for found in check_split_broker()] == ["eventbus.E001"]
    settings.EVENTBUS_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    assert check_split_broker() == []
