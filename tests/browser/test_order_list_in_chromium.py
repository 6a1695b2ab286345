"""The order list in headless Chromium: what needs attention, payment and shipment, the stuck sagas' filter.

Screenshots go to var/screenshots/ (git-ignored): 1400 and 1024 px wide, light and dark.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from eventbus import PermanentError
from eventbus.models import Delivery
from eventbus.testing import run_pending
from orders.models import Order
from shipping.carrier import FakeCarrier
from tests.browser.conftest import SCREENSHOTS, each_look, log_in
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def orders_in_every_state() -> dict[str, Order]:
    """A confirmed order, one whose booking is dead, one stalled, one whose booking is retrying."""

    def refuse(self, **kwargs):
        raise PermanentError("carrier refuses the parcel")

    with mock.patch.object(FakeCarrier, "book", refuse):
        dead = place_order(who="dead")
        run_pending()
    fine, stalled, retrying = place_order(who="fine"), place_order(who="stalled"), place_order(who="retrying")
    run_pending()
    Order.objects.filter(id=stalled.id).update(stalled_at=stalled.created_at, stalled_reason="not_booked_by_deadline")
    Delivery.objects.filter(event__correlation_id=str(retrying.id), subscriber="shipping.book_shipment").update(
        state="pending", attempts=3, last_error="ConnectionError: carrier down"
    )
    return {"dead": dead, "fine": fine, "stalled": stalled, "retrying": retrying}


def test_an_operator_sees_what_needs_attention_and_opens_the_stuck_sagas(live_server, page, orders_in_every_state):
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    log_in(page, live_server.url)
    page.goto(live_server.url + reverse("admin:orders_order_changelist"))

    def row(name: str):
        return page.locator(f'#result_list tbody tr:has([title="{orders_in_every_state[name].id}"])')

    expect(row("dead").locator(".attention-dead")).to_have_text("dead letter")
    expect(row("dead").locator(".attention-why")).to_have_text("shipping.book_shipment dead")
    expect(row("dead").locator(".attention-why")).to_have_attribute(
        "title", re.compile(r"^shipping\.book_shipment dead after 1 attempt\(s\) on payments\.PaymentSucceeded")
    )
    expect(row("stalled").locator(".attention-stalled")).to_have_text("stalled")
    expect(row("retrying").locator(".attention-retrying")).to_have_text("retrying")
    expect(row("retrying")).to_contain_text("shipping.book_shipment retrying: attempt 4 of 20, due now")
    expect(row("fine").locator(".attention")).to_have_count(0)
    expect(row("fine")).to_contain_text("confirmed")
    expect(row("fine")).to_contain_text("captured 19.80 EUR")
    expect(row("fine")).to_contain_text("booked")

    dead_badge = row("dead").locator(".attention-dead")
    for width, scheme in each_look(page, height=800):
        page.screenshot(path=SCREENSHOTS / f"order-list-{width}-{scheme}.png", full_page=True)
        # light and dark: the dead badge keeps a background of the admin's error colours
        assert dead_badge.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)", scheme
    page.click("#stuck-sagas-link")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(row("dead")).to_have_count(1)
    expect(row("stalled")).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "order-list-stuck.png", full_page=True)

    page.locator("#result_list tbody tr .attention-dead + a").click()
    expect(page.locator("h1")).to_contain_text("delivery")
    assert refused == []
