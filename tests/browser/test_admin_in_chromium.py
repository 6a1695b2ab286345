"""An operator in a real browser (headless Chromium): follow a compensated order, retry its dead letter.

Screenshots go to var/screenshots/ (git-ignored).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from eventbus.models import Delivery
from eventbus.testing import run_pending
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.busapp.models import Switch

SAGA_STEPS = [
    "orders.OrderCreated",
    "payments.PaymentSucceeded",
    "shipping.ShipmentFailed",
    "payments.PaymentRefunded",
    "orders.OrderCancelled",
]

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_follows_a_compensated_order_and_retries_its_dead_letter(live_server, page, compensated_order):
    log_in(page, live_server.url)
    page.goto(live_server.url + reverse("admin:orders_order_change", args=[compensated_order.id]))

    events = page.locator("#timeline tr.event-row")
    shown = [events.nth(i).get_attribute("data-type") for i in range(events.count())]
    assert [step for step in shown if step in SAGA_STEPS] == SAGA_STEPS
    dead = page.locator('#timeline tr.delivery-row[data-subscriber="busapp.audit_cancellation"]')
    expect(dead).to_have_attribute("data-state", "dead")
    expect(dead).to_contain_text("audit trail unavailable")
    page.screenshot(path=SCREENSHOTS / "order-timeline.png", full_page=True)

    dead.get_by_role("button", name="Retry").click()
    expect(page.locator("#confirm-action .consequence")).to_contain_text("fresh set of attempts")
    page.fill("textarea[name=reason]", "the audit service is back")
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=SCREENSHOTS / f"confirm-retry-{width}.png", full_page=True)
    page.click("#confirm-action input[type=submit]")
    expect(page.locator("ul.messagelist")).to_contain_text("retry done")
    Switch.objects.filter(name="audit-broken").delete()
    assert run_pending() == 1
    page.reload()
    expect(dead).to_have_attribute("data-state", "done")
    assert Delivery.objects.get(subscriber="busapp.audit_cancellation").state == "done"
    page.screenshot(path=SCREENSHOTS / "order-timeline-retried.png", full_page=True)

    page.click("#payment-link")
    expect(page.locator("#result_list")).to_contain_text(str(compensated_order.id))
    page.go_back()
    page.click("#flow-link")
    expect(page.locator("h1")).to_have_text("Event flow")
    edge = page.locator('#flow tr[data-event="orders.OrderCreated"][data-subscriber="payments.charge_order"]')
    expect(edge.locator("td.handled")).to_have_text("1")
    page.screenshot(path=SCREENSHOTS / "flow.png", full_page=True)


def test_swagger_ui_renders_the_live_schema_without_a_cdn(live_server, page):
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shop orders API")
    expect(page.locator(".opblock-summary-path", has_text="/api/orders/{id}/cancel/")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "swagger-ui.png", full_page=True)
