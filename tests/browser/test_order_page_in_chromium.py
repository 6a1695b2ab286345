"""The order page in a real browser (headless Chromium): the saga's summary and picture above the fold.

A paid order whose shipment booking is dead-lettered (the carrier failed all 20 attempts), whose
address step recovered after two failures, and with a subscriber of its payment still retrying.
Screenshots of both widths, light and dark, go to var/screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from eventbus.models import Delivery, DeliveryAttempt
from eventbus.testing import run_pending
from eventbus.testing.faults import failing
from eventbus.topology.subscribers import subscribe, unsubscribe
from orders.models import Order
from payments.events import PaymentSucceeded
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFIER = "busapp.notify_accounting"
VIEWPORTS = [(1400, 1000), (1024, 768)]


def notify_accounting(event: PaymentSucceeded) -> None:
    raise ConnectionError(f"accounting is unreachable for order {event.order_id}")


@pytest.fixture
def accounting_notifier() -> Iterator[str]:
    """A subscriber of PaymentSucceeded that never succeeds (50 attempts allowed): it keeps retrying."""
    subscribe(PaymentSucceeded, id=NOTIFIER, max_attempts=50)(notify_accounting)
    yield NOTIFIER
    unsubscribe(NOTIFIER)


@pytest.fixture
def stuck_order(accounting_notifier: str) -> Order:
    order = place_order(country="DE")
    start = timezone.now()
    with failing("shipping.book_shipment", times=100), failing("shipping.prepare_shipment", times=2):
        for step in range(24):  # book_shipment's backoff is at most 5 s: 20 attempts in 2 simulated minutes
            run_pending(now=start + timedelta(seconds=6 * step))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Delivery.objects.get(subscriber="shipping.book_shipment").state == Delivery.State.DEAD
    assert Delivery.objects.get(subscriber=NOTIFIER).state == Delivery.State.PENDING
    return order


def test_the_order_page_shows_what_happened_and_what_is_wrong_above_the_fold(live_server, page: Page, stuck_order):
    log_in(page, live_server.url)
    url = live_server.url + reverse("admin:orders_order_change", args=[stuck_order.id])
    page.goto(url)

    headline = page.locator("#saga-headline")
    expect(headline).to_contain_text("Paid")
    expect(headline).to_contain_text("waiting for the shipment booking, which is dead-lettered")
    expect(page.locator("#saga-summary .badge.error")).to_contain_text("dead letter: shipping.book_shipment")
    expect(page.locator("#saga-summary .badge.warning").first).to_contain_text(f"{NOTIFIER} retrying: attempt")
    expect(page.locator("#saga-summary .badge.warning").first).to_contain_text("of 50, next in")
    expect(page.locator("#saga-took")).to_contain_text("took")

    chart = page.locator("#saga-chart")
    attempts = DeliveryAttempt.objects.filter(delivery__event__correlation_id=str(stuck_order.id)).count()
    assert page.locator("#saga-chart rect.bar:not(.next)").count() == attempts
    booked = Delivery.objects.get(subscriber="shipping.book_shipment")
    assert page.locator(f'#saga-chart rect.bar[data-delivery="{booked.id}"]').count() == 20
    expect(page.locator(f'#saga-chart rect.bar.dead[data-delivery="{booked.id}"]')).to_have_count(1)
    expect(page.locator("#saga-chart .dead-mark")).to_have_count(1)
    expect(page.locator("#saga-chart rect.bar.next")).to_have_count(1)  # the notifier's next attempt
    lanes = [page.locator("#saga-chart g.lane").nth(i).get_attribute("data-lane") for i in range(4)]
    assert set(lanes) == {"orders", "payments", "shipping", "busapp"}

    prepared = page.locator('#timeline tr.delivery-row[data-subscriber="shipping.prepare_shipment"]')
    expect(prepared).to_have_attribute("data-state", "done")
    expect(prepared.locator(".current-error")).to_have_count(0)
    expect(prepared).to_contain_text("recovered after 2 failed attempts")
    prepared.locator("details summary").click()
    expect(prepared.locator("li.attempt")).to_have_count(3)

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(url)
            summary = page.locator("#saga-summary .facts").bounding_box()
            drawn = chart.bounding_box()
            assert summary is not None
            assert drawn is not None
            assert summary["y"] + summary["height"] <= height, f"summary below the fold at {width}"
            assert drawn["y"] + drawn["height"] <= height, f"saga picture below the fold at {width}"
            page.screenshot(path=SCREENSHOTS / f"order-page-{width}-{scheme}.png")
    page.screenshot(path=SCREENSHOTS / "order-page-full.png", full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator('#timeline tr.delivery-row[data-subscriber="shipping.prepare_shipment"] details summary').click()
    page.locator("#saga").screenshot(path=SCREENSHOTS / "order-page-details.png")
