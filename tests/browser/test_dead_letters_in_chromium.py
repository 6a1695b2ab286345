"""An operator in Chromium discards a dead booking from its saga, after a confirmation that says what it leaves
behind, and retries a group of dead letters; bus rows' pages offer their actions and no Save.

Screenshots (1400 and 1024 px wide, light and dark) go to var/screenshots/ (git-ignored).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, expect

from eventbus.models import Delivery, OperatorAction
from tests.admin.dead_letters import BOOKING, stuck_at_booking
from tests.browser.conftest import log_in, screenshots

pytestmark = pytest.mark.django_db(transaction=True)
DELETE_RED = "rgb(186, 33, 33)"  # the admin's --delete-button-bg, light and dark


def background(locator: Locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def test_an_operator_discards_a_dead_booking_after_reading_what_it_leaves_behind(live_server, page):
    order, booking = stuck_at_booking()
    log_in(page, live_server.url)
    order_page = reverse("admin:orders_order_change", args=[order.id])
    page.goto(live_server.url + order_page)
    expect(page.locator("input[name=_save]")).to_have_count(0)

    dead = page.locator(f'#timeline tr.delivery-row[data-subscriber="{BOOKING}"]')
    dead.get_by_role("button", name="Discard").click()

    left_behind = page.locator("#confirm-action .left-behind")
    expect(left_behind.locator(".unpublished")).to_contain_text("shipping.ShipmentCreated, shipping.ShipmentFailed")
    expect(left_behind.locator(".not-run")).to_contain_text("orders.confirm_order")
    expect(left_behind.locator(".not-run")).to_contain_text("payments.refund_unshippable_order")
    expect(left_behind.locator(".stays")).to_have_text("The saga will stay where it is until an operator acts.")
    expect(left_behind.locator(".sagas")).to_contain_text(str(order.id))
    expect(page.get_by_role("link", name="Back to the saga")).to_have_attribute("href", order_page)
    discard = page.locator("#confirm-action input[type=submit]")
    expect(discard).to_have_value("Discard")
    assert background(discard) == DELETE_RED
    page.fill("textarea[name=reason]", "carrier account closed; refund by hand")
    screenshots(page, "confirm-discard")

    discard.click()

    expect(page).to_have_url(live_server.url + order_page)
    expect(page.locator("ul.messagelist")).to_contain_text(f"Delivery {booking.id}: discard done")
    assert Delivery.objects.get(id=booking.id).state == "discarded"
    assert OperatorAction.objects.get().reason == "carrier account closed; refund by hand"


def test_a_dead_letters_page_has_buttons_and_no_save(live_server, page):
    _, booking = stuck_at_booking()
    log_in(page, live_server.url)
    page.goto(live_server.url + reverse("admin:eventbus_deadletter_change", args=[booking.id]))

    actions = page.locator("#bus-actions")
    expect(actions.get_by_role("button", name="Retry")).to_be_visible()
    discard = actions.get_by_role("button", name="Discard…")
    assert background(discard) == DELETE_RED
    assert background(actions.get_by_role("button", name="Retry")) != DELETE_RED
    expect(actions.get_by_role("button", name=f"Pause {BOOKING}")).to_be_visible()
    for save in ("_save", "_continue", "_addanother"):
        expect(page.locator(f"input[name={save}]")).to_have_count(0)
    expect(page.locator("a.deletelink")).to_have_count(0)
    expect(page.locator("a.closelink")).to_be_visible()
    screenshots(page, "dead-letter-page")

    actions.get_by_role("button", name="Retry").click()
    page.fill("textarea[name=reason]", "carrier is back")
    page.locator("#confirm-action input[type=submit]").click()
    expect(page.locator("ul.messagelist")).to_contain_text(f"Delivery {booking.id}: retry done")
    expect(page.locator("#bus-actions")).to_have_count(1)
    assert Delivery.objects.get(id=booking.id).state == "pending"


def test_an_operator_retries_a_group_of_dead_letters(live_server, page):
    timeouts = [stuck_at_booking(f"CarrierDown: no answer after {s} s")[1] for s in (30, 45)]
    refused = stuck_at_booking("CarrierRefused: unknown depot 17")[1]
    log_in(page, live_server.url)
    page.goto(live_server.url + reverse("admin:eventbus_deadletter_changelist"))

    page.click("#dead-letter-groups-link")

    groups = page.locator("#dead-letter-groups tr.group")
    expect(groups).to_have_count(2)
    expect(groups.first).to_have_attribute("data-count", "2")
    expect(groups.first.locator(".fingerprint")).to_have_text("CarrierDown: no answer after <n> s")
    assert background(groups.first.get_by_role("button", name="Discard all…")) == DELETE_RED
    page.set_viewport_size({"width": 1024, "height": 900})
    expect(groups.first.get_by_role("button", name="Discard all…")).to_be_in_viewport(ratio=1)
    screenshots(page, "dead-letter-groups")

    groups.first.get_by_role("button", name="Discard all…").click()
    expect(page.locator("#confirm-action .left-behind .never-handled")).to_contain_text("these 2 sagas")
    screenshots(page, "confirm-discard-group")
    page.get_by_role("link", name="Cancel").click()

    groups.first.get_by_role("button", name="Retry all").click()
    page.fill("textarea[name=reason]", "carrier is back")
    page.locator("#confirm-action input[type=submit]").click()

    expect(page.locator("ul.messagelist")).to_contain_text("2 dead letter(s)")
    expect(groups).to_have_count(1)
    assert {d.id: d.state for d in Delivery.objects.filter(subscriber=BOOKING)} == {
        timeouts[0].id: "pending",
        timeouts[1].id: "pending",
        refused.id: "dead",
    }
