"""Prices are the shop's: a client sends sku and quantity, and the order is priced from the price list."""

from decimal import Decimal

import pytest

from orders.models import IdempotencyKey, Order
from tests.api.conftest import order_body
from tests.price_list import on_sale

pytestmark = pytest.mark.django_db


def test_a_price_or_tax_rate_sent_by_the_client_is_refused_not_used(alice):
    on_sale("GOLD-1KG", "65000.00", tax_rate="0.19")
    body = order_body(lines=[{"sku": "GOLD-1KG", "quantity": 1, "unit_price": "0.01", "tax_rate": "0"}])

    response = alice.place(body)

    assert response.status_code == 400
    assert set(response.json()["errors"]["lines"]["0"]) == {"unit_price", "tax_rate"}
    assert "the shop sets prices" in response.json()["errors"]["lines"]["0"]["unit_price"][0]
    assert not Order.objects.exists()


def test_each_line_is_priced_and_taxed_from_the_price_list(alice):
    on_sale("GOLD-1KG", "65000.00", tax_rate="0.19")
    on_sale("MUG", "9.90", tax_rate="0.07")

    response = alice.place(order_body(lines=[{"sku": "GOLD-1KG", "quantity": 1}, {"sku": "MUG", "quantity": 3}]))

    assert response.status_code == 201, response.data
    lines = {line.sku: line for line in Order.objects.get().lines.all()}
    assert (lines["GOLD-1KG"].unit_price, lines["GOLD-1KG"].tax) == (Decimal("65000.00"), Decimal("12350.00"))
    assert (lines["MUG"].unit_price, lines["MUG"].tax) == (Decimal("9.90"), Decimal("2.08"))
    assert response.json()["total"] == "77381.78"  # 65000 + 29.70 net, 12350 + 2.08 tax


def test_an_unknown_or_delisted_sku_is_a_400_naming_its_line_and_keeps_no_key(alice):
    delisted = on_sale("OLD", "5.00")
    delisted.listed = False
    delisted.save()
    body = order_body(
        lines=[{"sku": "SKU-1", "quantity": 1}, {"sku": "NOPE", "quantity": 1}, {"sku": "OLD", "quantity": 1}]
    )

    response = alice.place(body, key="k")

    assert response.status_code == 400
    assert response.json()["errors"]["lines"] == {
        "1": {"sku": ["No product with sku 'NOPE' is on sale."]},
        "2": {"sku": ["No product with sku 'OLD' is on sale."]},
    }
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_a_currency_other_than_the_products_is_a_400(alice):
    response = alice.place(order_body(currency="USD"))

    assert response.status_code == 400
    assert response.json()["errors"]["lines"] == {"0": {"sku": ["'SKU-1' is priced in EUR, not USD."]}}


def test_the_currency_may_be_left_to_the_products(alice):
    body = order_body()
    del body["currency"]
    assert alice.place(body).json()["currency"] == "EUR"


def test_a_total_over_the_maximum_as_charged_is_a_400_not_an_overflow(alice):
    on_sale("BIG", "99999999.99", tax_rate="0.19")
    response = alice.place(order_body(lines=[{"sku": "BIG", "quantity": 10_000}] * 20))

    assert response.status_code == 400
    assert "may not exceed" in response.json()["errors"]["lines"][0]
    assert not Order.objects.exists()
