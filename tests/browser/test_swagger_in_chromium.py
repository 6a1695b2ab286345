"""Swagger UI as a newcomer uses it: authorize with a token, pick a saga example, execute, get a 201."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from playwright.sync_api import Locator, Page, expect

from demo.management.commands.seed_demo import PRODUCTS
from orders.api_examples import IDEMPOTENCY_KEY_EXAMPLE
from orders.models import Order
from tests.browser.conftest import screenshots
from tests.price_list import on_sale

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(transactional_db: None) -> str:
    for sku, _, price, tax_rate in PRODUCTS:
        on_sale(sku, str(price), tax_rate=str(tax_rate))
    user = get_user_model().objects.create_user("newcomer", password="pw-newcomer")
    return AuthToken.objects.create(user=user)[1]


def shots(page: Page, name: str, part: Locator | None = None) -> None:
    """Screenshots at each width, light and dark: of ``part`` when given, else of the page."""
    screenshots(page, f"swagger-{name}", height=1000, part=part, full_page=False)


def test_a_newcomer_authorizes_picks_an_example_and_places_an_order(live_server, page, token):
    policy: list[str] = []
    page.on("console", lambda message: policy.append(message.text) if "olicy" in message.text else None)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shop orders API")
    page.emulate_media(color_scheme="dark")  # Swagger UI's own dark theme follows the system's
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark-mode\b"))
    page.emulate_media(color_scheme="light")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark-mode\b"))

    page.click(".swagger-ui .auth-wrapper .authorize")
    dialog = page.locator(".swagger-ui .dialog-ux .modal-ux")
    first_scheme = dialog.locator(".auth-container").first
    expect(first_scheme).to_contain_text("knoxApiToken")
    expect(first_scheme).to_contain_text("Token <key>")
    shots(page, "authorize")
    first_scheme.locator("input").fill(f"Token {token}")
    first_scheme.locator("button.authorize").click()
    expect(first_scheme).to_contain_text("Authorized")
    dialog.locator("button.btn-done").first.click()

    place = page.locator("#operations-orders-orders_create")
    place.locator(".opblock-summary").click()
    place.locator("button.try-out__btn").click()
    key = place.locator('tr[data-param-name="Idempotency-Key"] input')
    expect(key).to_have_value(IDEMPOTENCY_KEY_EXAMPLE)
    examples = place.locator(".opblock-section-request-body select.examples-select-element")
    assert "Unserved country: AQ → shipment failed, refunded, cancelled (shipping_failed)" in examples.inner_text()
    examples.select_option(label="Unserved country: AQ → shipment failed, refunded, cancelled (shipping_failed)")
    expect(place.locator(".opblock-section-request-body textarea")).to_contain_text('"country": "AQ"')
    shots(page, "example", place.locator(".opblock-body > .opblock-section").first)

    place.locator("button.execute").click()
    status = place.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_have_text("201", timeout=15_000)
    order = Order.objects.get()
    assert order.shipping_address["country"] == "AQ"
    expect(place.locator(".live-responses-table")).to_contain_text(f"/api/orders/{order.id}/")
    documented = place.locator('.responses-table tr.response[data-code="201"]').last
    expect(documented.locator(".response-col_links")).to_contain_text("orders_retrieve")
    shots(page, "placed", place.locator(".live-responses-table"))
    shots(page, "created-link", documented)
    assert policy == []
