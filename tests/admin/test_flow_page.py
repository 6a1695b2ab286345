"""The flow page: the choreography drawn with each reaction's counts as links, a window to choose,
auto-refresh that can be stopped, and the workers seen."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from eventbus.models import Delivery
from eventbus.store import workers

pytestmark = pytest.mark.django_db

FLOW = reverse("eventbus-flow")


def links_of(page: str, subscriber: str) -> dict[str, str]:
    """The figure links drawn in ``subscriber``'s box: label → URL."""
    box = page[page.index(f'data-subscriber="{subscriber}" data-event=') :]
    box = box[: box.index("</g>")]
    return {
        label: unescape(href)
        for href, label in re.findall(r'<a href="([^"]+)" class="figure" data-figure="(\w+)"', box)
    }


def test_the_graph_draws_every_context_event_and_reaction_with_arrows_both_ways(admin_client, compensated_order):
    page = admin_client.get(FLOW).content.decode()
    assert '<svg class="flow-chart"' in page
    for context in ("orders", "payments", "shipping", "catalog"):
        assert f'<g class="lane" data-context="{context}">' in page
    assert '<g class="node event" data-event="orders.OrderCreated">' in page
    assert 'data-subscriber="payments.charge_order" data-event="orders.OrderCreated"' in page
    assert 'class="edge reacts" d="M' in page
    assert 'data-from="event orders.OrderCreated" data-to="payments.charge_order"' in page
    assert 'data-from="payments.charge_order" data-to="event payments.PaymentSucceeded"' in page, "publishes edges"


def test_lanes_run_in_causal_order(admin_client):
    page = admin_client.get(FLOW).content.decode()
    lanes = re.findall(r'<g class="lane" data-context="(\w+)">', page)
    assert lanes.index("orders") < lanes.index("payments") < lanes.index("shipping")


def test_a_reactions_counts_link_to_the_deliveries_they_count(admin_client, compensated_order):
    page = admin_client.get(FLOW).content.decode()
    links = links_of(page, "busapp.audit_cancellation")
    assert 'class="node handler dead"' in page
    dead = urlsplit(links["dead"])
    assert dead.path == reverse("admin:eventbus_deadletter_changelist")
    assert parse_qs(dead.query) == {
        "subscriber": ["busapp.audit_cancellation"],
        "event__type": ["orders.OrderCancelled"],
    }

    done = links_of(page, "payments.charge_order")["done"]
    assert parse_qs(urlsplit(done).query)["state"] == ["done"]
    listed = admin_client.get(done)
    assert listed.status_code == 200, "the delivery list takes every filter the flow page links with"
    assert listed.context["cl"].result_count == 1


@pytest.mark.parametrize("figure", ["retrying", "waiting", "recovered"])
def test_every_figures_link_is_a_filter_the_delivery_list_accepts(admin_client, dead_letter, figure):
    now = timezone.now()
    Delivery.objects.filter(subscriber="busapp.record_fanout").update(
        state="done", attempts=2, finished_at=now, duration_ms=3
    )
    Delivery.objects.filter(id=dead_letter.id).update(
        state="pending", attempts=2, available_at=now - timedelta(seconds=3)
    )
    page = admin_client.get(FLOW).content.decode()
    links = {**links_of(page, "busapp.fail_until_fixed"), **links_of(page, "busapp.record_fanout")}
    listed = admin_client.get(links[figure])
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1


def test_the_window_is_chosen_by_query_and_an_unknown_one_falls_back_to_an_hour(admin_client):
    assert '<strong aria-current="true">24h</strong>' in admin_client.get(FLOW, {"window": "24h"}).content.decode()
    assert '<strong aria-current="true">1h</strong>' in admin_client.get(FLOW, {"window": "1y"}).content.decode()


def test_the_page_refreshes_itself_unless_told_not_to(admin_client):
    assert '<meta http-equiv="refresh" content="30">' in admin_client.get(FLOW).content.decode()
    stopped = admin_client.get(FLOW, {"window": "7d", "refresh": "off"}).content.decode()
    assert 'http-equiv="refresh"' not in stopped
    assert 'href="?window=7d">refresh every 30 s' in stopped


def test_the_breadcrumb_is_django_admins_list(admin_client):
    page = admin_client.get(FLOW).content.decode()
    assert '<ol class="breadcrumbs">' in page
    assert '<li aria-current="page">Event flow</li>' in page


def test_the_workers_seen_and_whether_a_lane_has_one(admin_client):
    now = timezone.now()
    page = admin_client.get(FLOW).content.decode()
    assert "No worker seen in the last minute" in page
    assert "no worker up" in page

    workers.beat(workers.Beat("celery@pay", 41, ("payments",), now - timedelta(hours=1), 7), now=now)
    workers.beat(
        workers.Beat("celery@old", 42, ("orders",), now - timedelta(hours=1), 3), now=now - timedelta(minutes=5)
    )
    page = admin_client.get(FLOW).content.decode()
    assert "1 worker seen in the last minute" in page
    assert '<tr data-worker="celery@pay" data-up="yes">' in page
    assert '<tr data-worker="celery@old" data-up="no">' in page
    payments = page[page.index('data-context="payments"') :]
    assert "queue payments: 1 worker up" in payments[: payments.index("</g>")]
    orders = page[page.index('data-context="orders"') :]
    assert "no worker up" in orders[: orders.index("</g>")]


def test_the_admin_index_shows_the_bus_health_card_linking_to_the_flow(admin_client, compensated_order):
    page = admin_client.get(reverse("admin:index")).content.decode()
    card = page[page.index('<div class="module" id="bus-health">') :]
    card = card[: card.index("</p>")]
    assert '<span class="value" data-figure="dead">1</span>' in card
    assert '<span class="value" data-figure="workers">0</span>' in card
    assert "no worker is running: events wait in the outbox" in card
    assert f'href="{FLOW}"' in card
    assert f'href="{reverse("admin:eventbus_deadletter_changelist")}"' in card


def test_staff_who_may_not_see_deliveries_get_no_card(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("clerk", password="pw", is_staff=True))
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert 'id="bus-health"' not in page.content.decode()
    assert client.get(FLOW).status_code == 403, "nor the flow page (worker hosts, the bus's counts)"
