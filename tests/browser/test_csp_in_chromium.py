"""Every page the shop serves works in Chromium under its Content-Security-Policy, with no violation reported.

Screenshots at two widths go to var/screenshots/ (git-ignored).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect
from rest_framework.renderers import JSONRenderer

from common.renderers import BrowsableAPIRenderer
from orders.views import OrderViewSet
from tests.browser.conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium reports a violation on the console ("Refused to ... Content Security Policy"); the event
# is logged as well, for violations a page's own script would only see.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`securitypolicyviolation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""
WIDTHS = (1400, 1024)


@pytest.fixture
def violations(page: Page, live_server) -> list[str]:
    reported: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: reported.append(m.text) if "olicy" in m.text else None)
    page.route(  # nothing from a CDN or anywhere else: the page must work from the shop alone
        "**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
    )
    return reported


def screenshots(page: Page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=SCREENSHOTS / f"csp-{name}-{width}.png", full_page=True)


def padding_left(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("e => getComputedStyle(e).paddingLeft").removesuffix("px"))


def test_admin_and_the_order_saga_page_run_under_the_policy(live_server, page, violations, compensated_order):
    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("#login-form")).to_be_visible()
    # admin's stylesheet applied: the login box is a centred card, not the page's full width
    assert page.locator("#container").bounding_box()["width"] < 1000
    log_in(page, live_server.url)

    page.goto(live_server.url + reverse("admin:orders_order_changelist"))
    expect(page.locator("#result_list")).to_contain_text(str(compensated_order.id))
    expect(page.locator("#changelist-filter")).to_be_visible()  # the filter sidebar: changelists.css
    screenshots(page, "admin-changelist")

    page.goto(live_server.url + reverse("admin:orders_order_change", args=[compensated_order.id]))
    expect(page.locator("#timeline tr.delivery-row").first).to_be_visible()
    # the saga's indentation is the template's nonce'd style sheet at work
    assert padding_left(page, "#timeline td.depth-4") > padding_left(page, "#timeline td.depth-0")
    screenshots(page, "admin-order-saga")

    page.goto(live_server.url + reverse("eventbus-flow"))
    expect(page.locator("#flow td.event").first).to_have_css("font-weight", "700")

    assert violations == []


def test_swagger_ui_renders_under_the_policy(live_server, page, violations):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shop orders API")
    operation = page.locator(".opblock-summary-path", has_text="/api/orders/{id}/cancel/")
    expect(operation).to_be_visible()
    operation.click()
    expect(page.locator(".opblock-body").first).to_be_visible()  # the UI's scripts run: it expands
    screenshots(page, "swagger-ui")
    assert violations == []


def test_the_api_login_page_and_the_browsable_api_run_under_the_policy(
    live_server, page, violations, monkeypatch, compensated_order
):
    monkeypatch.setattr(OrderViewSet, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])  # as with DEBUG
    compensated_order.customer.set_password("customer-password")
    compensated_order.customer.save()
    page.goto(f"{live_server.url}/api/auth/login/")
    page.fill("#id_username", "customer")
    page.fill("#id_password", "customer-password")
    page.click("input[type=submit]")
    assert violations == []

    page.goto(f"{live_server.url}/api/orders/")
    expect(page.locator(".response-info")).to_contain_text(str(compensated_order.id))
    expect(page.locator(".navbar")).to_have_css("position", "fixed")  # DRF's style sheets apply
    screenshots(page, "browsable-api")
    # One inline event handler, set by DRF's scripts (development only), is blocked; the page works without it.
    assert all("inline event handler" in text or "script-src-attr" in text for text in violations), violations
