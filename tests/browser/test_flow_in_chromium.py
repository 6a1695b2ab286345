"""An operator's dashboard in a real browser (headless Chromium): the admin index's bus health card,
the flow page's graph with counts that open the filtered lists, and Django's breadcrumb styling.

Screenshots at 1400 and 1024 px, light and dark, go to var/screenshots/ (git-ignored).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from eventbus import publish
from eventbus.models import Delivery
from eventbus.store import workers
from eventbus.testing import relay
from tests.browser.conftest import log_in, screenshots
from tests.busapp.events import Fanout

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_sees_the_bus_at_a_glance_and_opens_what_a_count_counts(live_server, page, compensated_order):
    now = timezone.now()
    shop = workers.Beat("celery@shop-1", 4242, ("eventbus", "orders", "payments"), now - timedelta(hours=2), 318)
    workers.beat(shop, now=now)
    with transaction.atomic():
        publish(Fanout(n=1), key="k")
    relay()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(
        attempts=2, available_at=now - timedelta(seconds=40), last_error="provider down"
    )
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/")
    card = page.locator("#bus-health")
    expect(card).to_be_visible()
    expect(card.locator('[data-figure="dead"]')).to_have_text("1")
    expect(card.locator('[data-figure="retrying"]')).to_have_text("1")
    expect(card.locator('[data-figure="workers"]')).to_have_text("1")
    screenshots(page, "admin-index-health")

    card.get_by_role("link", name="Event flow").click()
    expect(page.locator("h1")).to_have_text("Event flow")
    chart = page.locator("#flow-chart")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 300
    crumbs = page.locator("ol.breadcrumbs")
    expect(crumbs).to_have_css("background-color", "rgb(38, 75, 93)")  # admin's base.css, not a bare list
    expect(crumbs.locator("li").first).to_have_css("display", "inline-block")
    expect(crumbs.locator("li")).to_have_count(3)
    lane = page.locator('#flow-chart g.lane[data-context="shipping"] text.lane-workers')
    expect(lane).to_contain_text("no worker up")
    box = page.locator('#flow-chart g.handler[data-subscriber="busapp.audit_cancellation"]')
    expect(box).to_have_class("node handler dead")
    screenshots(page, "flow")

    retrying = page.locator('#flow-chart g.handler[data-subscriber="busapp.fail_until_fixed"]')
    expect(retrying).to_have_class("node handler retrying")
    expect(retrying.locator('a[data-figure="oldest"]')).to_contain_text("s")

    retrying.locator('a[data-figure="retrying"]').click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("busapp.fail_until_fixed")
    page.go_back()
    box.locator('a[data-figure="dead"]').click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("busapp.audit_cancellation")
    page.go_back()
    page.locator('#flow-chart g.handler[data-subscriber="payments.charge_order"] a[data-figure="done"]').click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("payments.charge_order")
