"""A product's currency is an ISO 4217 code: the admin form and the catalogue's command refuse others."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.admin import ProductForm
from catalog.models import Product
from eventbus.models import OutboxEvent

pytestmark = pytest.mark.django_db


def form(currency: str) -> ProductForm:
    data = {"sku": "MUG", "name": "Mug", "price": "9.90", "currency": currency, "tax_rate": "0.19", "listed": "on"}
    return ProductForm(data=data)


def test_the_admin_form_refuses_a_currency_not_in_iso_4217_with_one_clear_message():
    bad = form("XYZ")
    assert not bad.is_valid()
    assert bad.errors["currency"] == ["'XYZ' is not an ISO 4217 currency code (three capitals, e.g. EUR)."]


def test_the_admin_form_accepts_a_real_currency():
    assert form("CHF").is_valid()


def test_saving_a_product_in_no_iso_currency_saves_and_publishes_nothing():
    product = Product(sku="MUG", name="Mug", price=Decimal("9.90"), currency="ABC", listed=True)
    with pytest.raises(ValidationError, match="'ABC' is not an ISO 4217 currency code"):
        services.product_save(product)
    assert not Product.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_the_admin_add_page_shows_the_message_and_saves_a_real_currency(admin_client):
    data = {"sku": "MUG", "name": "Mug", "price": "9.90", "currency": "XYZ", "tax_rate": "0.19", "listed": "on"}
    refused = admin_client.post("/admin/catalog/product/add/", data)
    assert refused.status_code == 200
    assert "is not an ISO 4217 currency code" in refused.content.decode()
    assert not Product.objects.exists()

    saved = admin_client.post("/admin/catalog/product/add/", {**data, "currency": "EUR"})
    assert saved.status_code == 302
    assert Product.objects.get().currency == "EUR"
